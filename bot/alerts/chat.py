"""The alert commands people type: ``alert <topic>``, ``alert list``, ``alert remove <n>``.

Alerts are personal: they belong to the user who typed the command (on that platform), wherever
they typed it, and arrive by DM (:mod:`bot.alerts.run`). Each command returns a neutral Reply.
"""

from __future__ import annotations

from bot.chat.reply import Reply
from bot.settings import AlertSettings
from bot.store.alerts import AlertTopics
from retrieval.text import normalise_space

USAGE = (
    "`alert <topic>` DMs you new papers on a topic (at most one message a day) · "
    "`alert list` shows your alerts · `alert remove <n>` stops one."
)


def _error(text: str) -> Reply:
    return Reply(title="Sorry, I couldn't do that", text=text, kind="error")


class AlertChat:
    """``alert ...`` commands over the alert topics store (the router's ``AlertCommands``)."""

    def __init__(self, topics: AlertTopics, settings: AlertSettings) -> None:
        self.topics = topics
        self.settings = settings

    def handle(self, platform: str, user_id: str, rest: str) -> Reply:
        """Run ``alert <rest>`` for ``user_id`` on ``platform``."""
        rest = normalise_space(rest).strip("`\"“”'")
        word, _, argument = rest.partition(" ")
        if not rest:
            return Reply(title="Personal alerts", text=USAGE, kind="info")
        if word.lower() == "list" and not argument:
            return self.list(platform, user_id)
        if word.lower() in ("remove", "delete", "stop") and (
            not argument or argument.lstrip("#").isdigit()
        ):
            return self.remove(platform, user_id, argument.lstrip("#"))
        return self.add(platform, user_id, rest)

    def add(self, platform: str, user_id: str, topic: str) -> Reply:
        """Watch ``topic`` for the user, within the limits on length and number."""
        most, longest = self.settings.max_topics, self.settings.max_topic_chars
        if len(topic) > longest:
            return _error(
                f"That topic is {len(topic)} characters; keep it under {longest}, "
                "e.g. `alert efficient attention for long context`."
            )
        if not any(ch.isalnum() for ch in topic):
            return _error("Give a topic in words, e.g. `alert diffusion models for video`.")
        existing = self.topics.topics(platform, user_id)
        if any(t.topic.lower() == topic.lower() for t in existing):
            return Reply(title="Already watching", text=f"You already have “{topic}”.", kind="info")
        if len(existing) >= most:
            return _error(
                f"You have {len(existing)} alerts, the most I keep per person. "
                "Remove one first: `alert list`, then `alert remove <n>`."
            )
        self.topics.add(platform, user_id, topic)
        return Reply(
            title="Alert added",
            text=(
                f"I'll DM you new papers about “{topic}” as they are listed "
                f"(at most one message a day, up to {self.settings.max_papers} papers). "
                "`alert list` shows your alerts."
            ),
            kind="info",
        )

    def list(self, platform: str, user_id: str) -> Reply:
        """The user's topics, numbered for ``alert remove <n>``."""
        found = self.topics.topics(platform, user_id)
        if not found:
            return Reply(title="Your alerts", text="You have no alerts yet. " + USAGE, kind="info")
        lines = [f"{n}. {t.topic}" for n, t in enumerate(found, start=1)]
        text = "\n".join(lines) + "\n\n`alert remove <n>` stops one."
        return Reply(title="Your alerts", text=text, kind="info")

    def remove(self, platform: str, user_id: str, number: str) -> Reply:
        """Stop the user's topic number ``number``."""
        count = len(self.topics.topics(platform, user_id))
        if not number:
            return _error("Which one? `alert list` shows the numbers; then `alert remove 2`.")
        gone = self.topics.remove(platform, user_id, int(number))
        if gone is None:
            have = f"you have {count} alert" + ("" if count == 1 else "s") if count else ""
            return _error(
                f"There is no alert number {number}"
                + (f"; {have}." if have else "; you have none.")
                + " `alert list` shows them."
            )
        return Reply(title="Alert removed", text=f"No more alerts for “{gone.topic}”.", kind="info")
