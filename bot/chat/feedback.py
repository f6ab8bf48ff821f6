"""👍/👎 buttons and "Similar" presses: what they record for a channel's taste.

``feedback up|down <token>`` votes on a whole answer (all the papers of that page);
``feedback up|down paper <id>`` on one paper (the per-item buttons of digests and
``recommend``). See :mod:`bot.taste.votes` for how the votes weigh.
"""

from __future__ import annotations

from bot.chat.reply import ChatRequest, Reply
from bot.store.state import BotState

THANKS = Reply(title="Thanks for the feedback!", kind="info")
UNKNOWN = Reply(
    title="Sorry, I couldn't do that",
    text="I couldn't tell which answer that feedback was for.",
    kind="error",
)


def record_button_feedback(state: BotState, request: ChatRequest, rest: str) -> Reply:
    """Record the vote of ``feedback <rest>`` pressed by ``request``'s user in its channel."""
    direction, _, target = rest.partition(" ")
    target = target.strip()
    if direction not in ("up", "down") or not target:
        return UNKNOWN
    value = 1 if direction == "up" else -1
    kind, _, paper_id = target.partition(" ")
    if kind == "paper" and paper_id.strip():
        paper_id = paper_id.strip()
        message, ids = f"paper:{paper_id}", [paper_id]
    else:
        payload = state.load_page(target)
        if not payload:
            return UNKNOWN
        message, ids = f"page:{target}", payload.get("paper_ids") or []
    state.record_feedback(
        request.platform, request.channel_id, message, request.user_id, value, ids
    )
    return THANKS


def note_similar(state: BotState, request: ChatRequest, paper_id: str) -> None:
    """ "Similar <paper>" asked in a chat channel: a weak positive for that channel's taste."""
    if request.platform != "cli" and request.channel_id:
        state.record_similar(request.platform, request.channel_id, request.user_id, paper_id)
