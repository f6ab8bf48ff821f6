"""The daily alert run: DM each user the newly listed papers that match their topics.

A job of the digest scheduler (:mod:`bot.digest.scheduler`), so it runs under the lease, after
each successful refresh of the Hugging Face list. For each user with topics: the papers listed
in the last ``lookback_days`` (and not before the topic was added), minus those the user already
got, matched by :mod:`bot.alerts.match`, best first, at most ``max_papers``. A user with no match
gets nothing and no ledger row, so a later refresh the same day may still find some. Otherwise the
day is claimed in the alert ledger *before* the DM is sent (:mod:`bot.store.alerts`): at most one
DM per user and day, even across restarts and processes. A DM the platform refuses (the user
blocks DMs, left the workspace) is logged and recorded, and the run goes on with the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from bot.alerts.match import AlertMatch, TopicScorer, match_topics
from bot.chat.reply import Reply, ReplyItem
from bot.digest.posting import PostOutcomeUnknown
from bot.digest.render import day_label
from bot.ops.metrics import Metrics
from bot.settings import AlertSettings
from bot.store.alerts import AlertLedger, AlertTopic, AlertTopics
from retrieval.digest import one_line_summary
from retrieval.models import Paper, listing_day

log = logging.getLogger(__name__)
FLOOR = 0.3  # cosine above which "mentions every topic word" is enough (see bot.alerts.match)
FOOTER = "`alert list` shows your alerts · `alert remove <n>` stops one"


class AlertIndex(TopicScorer, Protocol):
    """What the run needs from the paper index."""

    def papers_between(self, since: date, until: date) -> list[Paper]:
        """Papers listed (else published) in ``since..until``."""
        ...


class DirectPoster(Protocol):
    """Sends a Reply to one user by DM (:class:`bot.slack.poster.SlackPoster`,
    :class:`bot.discord.poster.DiscordPoster`)."""

    async def post_dm(self, user_id: str, reply: Reply) -> str:
        """DM ``reply`` once; raise :class:`PostOutcomeUnknown` when it may have arrived."""
        ...


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """What the run did for one user: sent | failed | unknown | already."""

    platform: str
    user_id: str
    status: str
    paper_ids: tuple[str, ...] = ()


class _CachedScores:
    """Each topic's cosines over the run's papers, computed once however many users share it."""

    def __init__(self, index: TopicScorer, paper_ids: Sequence[str]) -> None:
        self.index, self.ids, self.cache = index, list(paper_ids), {}

    def topic_scores(self, topic: str, paper_ids: Sequence[str]) -> dict[str, float]:
        if topic not in self.cache:
            self.cache[topic] = self.index.topic_scores(topic, self.ids)
        scores = self.cache[topic]
        return {pid: scores[pid] for pid in paper_ids if pid in scores}


def render_alert(matches: Sequence[AlertMatch], day: date) -> Reply:
    """The DM: the matched papers, each with the topic it matched."""
    items = tuple(
        ReplyItem.listed(
            m.paper,
            day,
            one_line_summary(m.paper),
            f"matches your alert “{m.topic}” (similarity {m.score:.2f})",
        )
        for m in matches
    )
    count = f"{len(items)} new paper" + ("" if len(items) == 1 else "s")
    return Reply(
        title=f"Your paper alerts — {day_label(day)}",
        text=f"{count} on the Hugging Face daily list matching your alerts.",
        items=items,
        footer=FOOTER,
        kind="digest",
        paper_ids=tuple(item.paper_id for item in items),
    )


class AlertRunner:
    """One alert run over every user with topics (see the module docstring)."""

    def __init__(
        self,
        index: AlertIndex,
        topics: AlertTopics,
        ledger: AlertLedger,
        settings: AlertSettings,
        metrics: Metrics,
        clock: Callable[[], datetime],
    ) -> None:
        self.index = index
        self.topics = topics
        self.ledger = ledger
        self.settings = settings
        self.metrics = metrics
        self.clock = clock

    def select(self, topics: Sequence[AlertTopic], papers: Sequence[Paper], scores: TopicScorer,
               received: set[str]) -> list[AlertMatch]:  # fmt: skip
        """The best new papers for one user's topics (each only from the day it was added)."""
        best: dict[str, AlertMatch] = {}
        for topic in topics:
            fresh = [
                p for p in papers
                if p.id not in received and (listing_day(p) or date.min) >= topic.since
            ]  # fmt: skip
            for match in match_topics(
                scores, [topic.topic], fresh, threshold=self.settings.threshold, floor=FLOOR
            ):
                if match.paper.id not in best or best[match.paper.id].score < match.score:
                    best[match.paper.id] = match
        ranked = sorted(best.values(), key=lambda m: (-m.score, m.paper.id))
        return ranked[: self.settings.max_papers]

    async def run(
        self, posters: Mapping[str, DirectPoster], now: datetime | None = None
    ) -> list[AlertOutcome]:
        """DM every user with new matches today (UTC) once; returns what happened per user."""
        if not self.settings.enabled:
            return []
        day = (now or self.clock()).astimezone(UTC).date()
        users = await asyncio.to_thread(self.topics.subscribers)
        if not users:
            return []
        since = day - timedelta(days=self.settings.lookback_days)
        papers = await asyncio.to_thread(self.index.papers_between, since, day)
        papers = list({p.id: p for p in papers}.values())
        scores = _CachedScores(self.index, [p.id for p in papers])
        outcomes = []
        for (platform, user_id), topics in users.items():
            poster = posters.get(platform)
            if poster is None or not papers:
                continue
            if self.ledger.entry(platform, user_id, day) is not None:
                outcomes.append(AlertOutcome(platform, user_id, "already"))
                continue
            received = self.ledger.received(platform, user_id)
            matches = await asyncio.to_thread(self.select, topics, papers, scores, received)
            if matches:
                outcomes.append(await self._send(poster, platform, user_id, day, matches))
        return outcomes

    async def _send(
        self, poster: DirectPoster, platform: str, user_id: str, day: date,
        matches: Sequence[AlertMatch],
    ) -> AlertOutcome:  # fmt: skip
        reply = render_alert(matches, day)
        ids = list(reply.paper_ids)
        if not self.ledger.claim(platform, user_id, day, ids):
            return AlertOutcome(platform, user_id, "already")
        try:
            message_id = await poster.post_dm(user_id, reply)
        except PostOutcomeUnknown as err:
            log.error("alert DM to %s:%s may or may not have arrived (%s); not re-sending",
                      platform, user_id, err)  # fmt: skip
            self.ledger.mark_unknown(platform, user_id, day, str(err))
            status = "unknown"
        except Exception as err:  # e.g. the user blocks DMs: logged, the others go on
            log.warning("alert DM to %s:%s failed: %s: %s", platform, user_id,
                        type(err).__name__, err)  # fmt: skip
            self.ledger.mark_failed(platform, user_id, day, f"{type(err).__name__}: {err}")
            status = "failed"
        else:
            self.ledger.mark_sent(platform, user_id, day, str(message_id))
            log.info("alert DM to %s:%s with %d paper(s)", platform, user_id, len(ids))
            status = "sent"
        self.metrics.record_alert(platform, status)
        return AlertOutcome(platform, user_id, status, tuple(ids))
