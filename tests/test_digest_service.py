"""DigestService: the neutral digest Reply, previews, plans from chat, quiet days, delivery."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.chat.reply import Reply
from bot.digest.chat import DigestChat
from bot.digest.plans import PlanBook
from bot.digest.service import DigestService
from bot.settings import ChannelPlan, DigestSettings
from bot.store.ledger import DigestLedger
from bot.store.plans import ChannelPlans
from bot.store.sources import SourceHealth
from retrieval.digest import MemoryDigestIndex
from retrieval.sources.hf import read_daily_dir

HF = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hf_daily_papers"
pytestmark = pytest.mark.skipif(not HF.is_dir(), reason="needs ../shared/data")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 8, 19, 9, 0, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def papers():
    return read_daily_dir(HF, date(2026, 8, 10), date(2026, 8, 21)).papers


class Poster:
    platform = "slack"

    def __init__(self) -> None:
        self.posts: list[tuple[str, Reply]] = []

    async def post(self, channel_id: str, reply: Reply) -> str:
        self.posts.append((channel_id, reply))
        return f"m{len(self.posts)}"


class WordTopics(MemoryDigestIndex):
    """Topic scores by shared words (the real model is tested in test_digest_e2e.py)."""

    def topic_scores(self, topic, paper_ids):
        words = set(topic.lower().split())
        found = {p.id: p for p in self.papers_between(date.min, date.max)}
        return {i: float(bool(words & set(found[i].text.lower().split()))) for i in paper_ids}


def make(tmp_path, papers, plans=(), quiet=True, now=NOW, ledger_clock=None) -> DigestService:
    path = tmp_path / "state.sqlite3"
    ledger = DigestLedger(path, clock=ledger_clock or now.timestamp)
    settings = DigestSettings(plans=list(plans), quiet_day_message=quiet)
    book = PlanBook(settings.plans, ChannelPlans(path))
    health = SourceHealth(path, clock=ledger_clock or now.timestamp)
    return DigestService(WordTopics(papers), ledger, settings, book, health, lambda: now)


ML = ChannelPlan(
    name="ml", platform="slack", channel_id="C1", timezone="Europe/Berlin", count=3, time="08:30"
)


def test_preview_is_a_neutral_digest_reply_and_writes_nothing(tmp_path, papers):
    service = make(tmp_path, papers, [ML])
    reply = DigestChat(service).preview("slack", "C1")
    assert reply.kind == "digest"
    assert reply.title == "Trending papers — Wed 19 Aug 2026"
    assert len(reply.items) == 3 and reply.paper_ids == tuple(i.paper_id for i in reply.items)
    by_id = {p.id: p for p in papers}
    for item in reply.items:
        paper = by_id[item.paper_id]
        assert item.url == f"https://huggingface.co/papers/{item.paper_id}"
        assert item.upvotes == paper.upvotes and f"{paper.upvotes} upvote" in item.why
        assert item.snippet and (
            item.snippet == paper.ai_summary or paper.abstract.startswith(item.snippet)
        )
        assert item.date == "2026-08-19"
    text = reply.to_text()
    assert "1. " in text and "3. " in text and "@Paperboy" in reply.footer
    assert all(len(a.command) <= 100 for a in reply.actions)
    similar = [a.command for a in reply.actions if a.kind == "similar"]
    votes = [a.command for a in reply.actions if a.kind == "feedback"]
    assert similar == [f"similar {i.paper_id}" for i in reply.items]
    assert votes == [
        f"feedback {way} paper {i.paper_id}" for i in reply.items for way in ("up", "down")
    ]
    assert service.ledger.entries() == []


def test_preview_without_a_plan_uses_all_topics_and_the_given_day(tmp_path, papers):
    service = make(tmp_path, papers)
    reply = DigestChat(service).preview("discord", "99", date(2026, 8, 17))
    assert reply.title == "Trending papers — Mon 17 Aug 2026" and len(reply.items) == 5
    assert all(i.date == "2026-08-17" for i in reply.items)


def test_subscribe_settings_unsubscribe_from_chat(tmp_path, papers):
    service = make(tmp_path, papers, [ML])
    assert "no daily digest" in DigestChat(service).settings("discord", "7").text
    reply = DigestChat(service).subscribe("discord", "7", "speech recognition")
    assert reply.kind == "info" and '"speech recognition"' in reply.text
    assert service.plans.plan_for("discord", "7").topic == "speech recognition"
    updated = DigestChat(service).subscribe("slack", "C1", "robot learning")
    assert "08:30 Europe/Berlin" in updated.text, "config time and zone are kept"
    assert service.plans.plan_for("slack", "C1").count == 3
    assert "robot learning" in DigestChat(service).settings("slack", "C1").text
    topical = DigestChat(service).preview("slack", "C1")
    assert (
        topical.title.endswith("· robot learning") and 'matching "robot learning"' in topical.text
    )
    by_id = {p.id: p for p in papers}
    words = [set(by_id[i].text.lower().split()) for i in topical.paper_ids]
    assert words and all({"robot", "learning"} & w for w in words)
    DigestChat(service).unsubscribe("slack", "C1")
    assert service.plans.plan_for("slack", "C1") is None, "chat can switch off a config plan"
    assert "no daily digest" in DigestChat(service).settings("slack", "C1").text
    assert DigestChat(service).unsubscribe("slack", "C1").title == "No digest here"
    assert [p.channel_id for p in service.plans.all()] == ["7"]


def test_subscribe_from_an_unknown_platform_is_a_clear_error(tmp_path, papers):
    reply = DigestChat(make(tmp_path, papers)).subscribe("irc", "#ml", "graphs")
    assert reply.kind == "error"


async def test_delivery_is_once_per_day_and_never_repeats_papers(tmp_path, papers):
    service, poster = make(tmp_path, papers, [ML]), Poster()
    first = await service.deliver(ML, poster, date(2026, 8, 19))
    again = await service.deliver(ML, poster, date(2026, 8, 19))
    assert (first.status, again.status, len(poster.posts)) == ("sent", "already", 1)
    assert service.ledger.entry("slack", "C1", date(2026, 8, 19)).message_id == "m1"
    assert "Last digest: Wed 19 Aug 2026 (sent)" in DigestChat(service).settings("slack", "C1").text
    preview = DigestChat(service).preview("slack", "C1", date(2026, 8, 19))
    assert preview.paper_ids == first.reply.paper_ids, "today's preview shows what was posted"
    for day in (date(2026, 8, 20), date(2026, 8, 21)):
        await service.deliver(ML, poster, day, NOW.replace(day=day.day))
    ids = [i for _, r in poster.posts for i in r.paper_ids]
    assert len(ids) == 9 and len(set(ids)) == 9


async def test_quiet_day_message_or_nothing(tmp_path, papers):
    far = date(2026, 11, 23)
    loud = make(tmp_path / "a", papers, [ML], quiet=True)
    preview = DigestChat(loud).preview("slack", "C1", far)
    assert preview.kind == "digest" and not preview.items and preview.text.startswith("Quiet day")
    poster = Poster()
    assert (await loud.deliver(ML, poster, far)).status == "quiet"
    assert len(poster.posts) == 1 and poster.posts[0][1].text.startswith("Quiet day")
    silent = make(tmp_path / "b", papers, [ML], quiet=False)
    poster = Poster()
    assert (await silent.deliver(ML, poster, far)).status == "quiet"
    assert poster.posts == [] and silent.ledger.entry("slack", "C1", far).status == "quiet"


def test_the_text_says_when_papers_have_no_popularity_and_how_fresh_data_is(tmp_path, papers):
    bare = [dataclasses.replace(p, upvotes=None, comments=None, github_stars=None) for p in papers]
    clock = [NOW.timestamp()]
    service = make(tmp_path, bare, [ML], ledger_clock=lambda: clock[0])
    reply = DigestChat(service).preview("slack", "C1")
    assert "No popularity signal" in reply.text and all(
        "no popularity" in i.why for i in reply.items
    )
    assert "ranked by recency" in reply.text
    service.sources.record("hf")
    clock[0] += 3600
    service.sources.record("hf", "HTTP 500")
    assert "data as of" in DigestChat(service).preview("slack", "C1").text
    saturday = DigestChat(service).preview("slack", "C1", date(2026, 8, 15))
    assert "Latest list available: Fri 14 Aug 2026." in saturday.text


def test_compose_uses_the_plans_local_day(tmp_path, papers):
    late = datetime(2026, 8, 19, 23, 30, tzinfo=UTC)  # already the 20th in Berlin
    service = make(tmp_path, papers, [ML], now=late)
    digest, reply = service.compose(ML)
    assert digest.day == date(2026, 8, 20) and "Thu 20 Aug 2026" in reply.title
