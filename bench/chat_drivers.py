"""The two chat platforms as ``bench/load_chat.py`` drives them: send a question to the bot
process, and find its answers among what the fake platform received (with arrival times).

Slack: a signed ``app_mention`` event over HTTP, one channel per question; its answer is the
``chat.postMessage`` or the ``chat.update`` that replaces the "Searching…" placeholder.
Discord: an @mention pushed over the fake gateway; its answer is the reply message.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import httpx

from tests.demo_questions import first_in_discord_message, first_in_slack_message
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.processes import free_port
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_events import signed_mention

SECRET = "bench-load-chat-signing-secret"
SEARCHING = "🔎 Searching…"
ANSWER_S = 600.0  # limit for a round of answers (a busy machine is slow, not broken)


@dataclass
class Sample:
    """One question: when it was sent and answered (monotonic seconds), and the answer."""

    question: str
    expected: str | None
    sent: float
    answered: float = 0.0
    first: str = ""
    answers: int = 0

    @property
    def ms(self) -> float:
        return (self.answered - self.sent) * 1000


class SlackDriver:
    """``paperboy slack --mode http`` against the fake Slack API; one channel per question."""

    name = "slack"
    check = "slack"

    def __init__(self, fake: FakeSlackApi, http: httpx.AsyncClient) -> None:
        self.fake, self.http = fake, http
        self.port = free_port()

    def env(self) -> dict[str, str]:
        return {
            "SLACK__MODE": "http",
            "SLACK__BOT_TOKEN": "xoxb-bench-load",
            "SLACK__SIGNING_SECRET": SECRET,
            "SLACK__API_BASE_URL": self.fake.base_url,
        }

    def args(self) -> list[str]:
        return ["slack", "--mode", "http", "--port", str(self.port)]

    async def send(self, question: str) -> tuple[str, float]:
        channel = f"C{uuid.uuid4().hex[:10].upper()}"
        body, headers = signed_mention(question, channel, f"Ev{uuid.uuid4().hex[:12]}", SECRET)
        sent = time.monotonic()
        response = await self.http.post(
            f"http://127.0.0.1:{self.port}/slack/events", content=body, headers=headers
        )
        response.raise_for_status()
        return channel, sent

    def answers(self, key: str) -> list[tuple[float, str]]:
        return [
            (c.at, first_in_slack_message(c.params))
            for c in self.fake.calls
            if c.method in ("chat.postMessage", "chat.update")
            and c.params.get("channel") == key
            and c.params.get("text") != SEARCHING
        ]


class DiscordDriver:
    """``paperboy discord`` against the fake Discord; questions are @mentions in one channel."""

    name = "discord"
    check = "discord"

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def env(self) -> dict[str, str]:
        return {
            "DISCORD__TOKEN": "bench-load-token",
            "DISCORD__API_BASE_URL": self.fake.api_base_url,
            "DISCORD__GUILD_IDS": f"[{self.fake.guild_id}]",
        }

    def args(self) -> list[str]:
        return ["discord"]

    async def send(self, question: str) -> tuple[str, float]:
        sent = time.monotonic()
        pushed = await self.fake.mention(question)
        return pushed["id"], sent

    def answers(self, key: str) -> list[tuple[float, str]]:
        return [
            (r.at, first_in_discord_message(r.body))
            for r in self.fake.calls("POST", rf"/channels/{self.fake.channel_id}/messages")
            if str((r.body.get("message_reference") or {}).get("message_id")) == key
        ]


async def ask_together(driver, questions: list[tuple[str, str | None]]) -> list[Sample]:  # noqa: ANN001
    """Send every question at once; wait for every answer (and a moment for duplicates)."""
    sent = await asyncio.gather(*(driver.send(q) for q, _ in questions))
    samples = [Sample(q, e, at) for (q, e), (_, at) in zip(questions, sent, strict=True)]
    keys = [key for key, _ in sent]
    deadline = time.monotonic() + ANSWER_S
    while not all(driver.answers(key) for key in keys):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{driver.name}: unanswered after {ANSWER_S:.0f} s")
        await asyncio.sleep(0.01)
    await asyncio.sleep(1.0)  # a duplicate answer would show by now
    for sample, key in zip(samples, keys, strict=True):
        answers = driver.answers(key)
        sample.answered, sample.first = answers[0]
        sample.answers = len(answers)
    return samples
