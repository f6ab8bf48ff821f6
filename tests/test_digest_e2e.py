"""Digests end to end with the real embedding model: per-channel topics, the real services
(PaperIndex + CommandRouter + scheduler), and the ``paperboy digest`` CLI on recorded days."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from bot.chat.reply import ChatRequest, Reply
from bot.settings import ChannelPlan, DigestSettings, Settings
from retrieval.digest import DigestCriteria, select_digest
from retrieval.sources.hf import read_daily_dir

HF = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hf_daily_papers"
pytestmark = pytest.mark.skipif(not HF.is_dir(), reason="needs ../shared/data")
BERLIN = ZoneInfo("Europe/Berlin")
ROBOTS = "robot manipulation and embodied navigation"
VIDEO = "video generation with diffusion models"


@pytest.fixture(scope="module")
def embedder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from retrieval.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def three_days():
    return read_daily_dir(HF, date(2026, 8, 17), date(2026, 8, 19)).papers


@pytest.fixture(scope="module")
def services(embedder, three_days, tmp_path_factory):
    from bot.services import build_services

    plans = [
        ChannelPlan(name="ml", platform="slack", channel_id="C1", timezone="Europe/Berlin"),
        ChannelPlan(name="vid", platform="discord", channel_id="42", topic=VIDEO, count=3),
    ]
    data_dir = tmp_path_factory.mktemp("paperboy")
    settings = Settings(data_dir=data_dir, demo_corpus=False, digest=DigestSettings(plans=plans))
    clock = [datetime(2026, 8, 19, 9, 0, tzinfo=BERLIN)]
    built = build_services(settings, embedder=embedder, clock=lambda: clock[0])
    built.index.ingest(three_days)
    built.test_clock = clock
    yield built
    built.close()


def test_each_channel_gets_papers_about_its_own_topic(services):
    index = services.index  # the real PaperIndex: Chroma vectors of the ingested days
    chosen: dict[str, list[str]] = {}
    for topic in (ROBOTS, VIDEO):
        ids = []
        for day in (date(2026, 8, 17), date(2026, 8, 18), date(2026, 8, 19)):
            now = datetime(2026, day.month, day.day, 9, tzinfo=BERLIN)
            digest = select_digest(index, day, now, DigestCriteria(topic=topic, count=3))
            ids += [i.paper.id for i in digest.items]
            assert all(i.trending.components["relevance"] >= 0.3 for i in digest.items)
        chosen[topic] = ids
    shared = set(chosen[ROBOTS]) & set(chosen[VIDEO])  # a paper may suit both (world models)
    for own, other in ((ROBOTS, VIDEO), (VIDEO, ROBOTS)):
        only_mine = [i for i in chosen[own] if i not in shared]
        assert only_mine, own
        mine, theirs = index.topic_scores(own, only_mine), index.topic_scores(other, only_mine)
        assert all(mine[i] > theirs[i] for i in only_mine), own


def test_chat_digest_commands_through_the_real_router(services):
    router = services.router
    reply = router.handle(ChatRequest("digest", platform="slack", channel_id="C1"))
    assert reply.kind == "digest" and len(reply.items) == 5
    assert reply.title == "Trending papers — Wed 19 Aug 2026"
    assert all(i.date == "2026-08-19" and "upvote" in i.why for i in reply.items)
    topical = router.handle(ChatRequest("digest", platform="discord", channel_id="42"))
    assert topical.title.endswith(VIDEO) and all("topic match" in i.why for i in topical.items)
    denied = router.handle(ChatRequest("subscribe robots", platform="slack", channel_id="C9"))
    assert denied.kind == "error" and services.digests.plans.plan_for("slack", "C9") is None
    ok = router.handle(ChatRequest(f"subscribe {ROBOTS}", "slack", "C9", is_admin=True))
    assert ok.kind == "info" and services.digests.plans.plan_for("slack", "C9").topic == ROBOTS
    shown = router.handle(ChatRequest("settings", platform="slack", channel_id="C9"))
    assert ROBOTS in shown.text
    router.handle(ChatRequest("unsubscribe", platform="slack", channel_id="C9", is_admin=True))
    assert services.digests.plans.plan_for("slack", "C9") is None
    assert services.ledger.entries() == [], "chat previews never touch the ledger"


async def test_scheduler_on_real_services_posts_each_channel_once(services):
    from bot.digest.scheduler import DigestScheduler

    posts: list[tuple[str, str, Reply]] = []

    class Poster:
        def __init__(self, platform):
            self.platform = platform

        async def post(self, channel_id, reply):
            posts.append((self.platform, channel_id, reply))
            return f"{self.platform}-{len(posts)}"

    posters = {"slack": Poster("slack"), "discord": Poster("discord")}
    services.test_clock[0] = datetime(2026, 8, 19, 11, 5, tzinfo=BERLIN)  # 09:05 UTC
    sched = DigestScheduler(
        services.digests,
        posters,
        services.settings.scheduler,
        index=services.index,
        source_factory=lambda: (_ for _ in ()).throw(OSError("offline")),
    )
    first = await sched.catch_up()
    services.test_clock[0] += timedelta(minutes=10)
    assert await sched.catch_up() == []
    assert sorted(r.status for r in first) == ["sent", "sent"] and len(posts) == 2
    assert {(p, c) for p, c, _ in posts} == {("slack", "C1"), ("discord", "42")}
    assert all("could not be refreshed" in r.text for _, _, r in posts)


def test_cli_replay_over_six_weeks_has_no_repeats(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        "[[digest.plans]]\n"
        'name = "all"\nplatform = "slack"\nchannel_id = "C1"\ncount = 5\n'
        "[[digest.plans]]\n"
        'name = "popular"\nplatform = "discord"\nchannel_id = "9"\ncount = 3\n'
        'min_upvotes = 20\nexclude_keywords = ["benchmark"]\ndays = ["mon", "wed", "fri"]\n'
    )
    monkeypatch.setenv("PAPERBOY_CONFIG", str(config))
    from bot.cli import app

    result = CliRunner().invoke(
        app, ["digest", "--replay", "2026-07-06..2026-08-14", "--from-dir", str(HF), "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    by_channel: dict[str, list[str]] = {}
    for line in lines:
        day = date.fromisoformat(line["date"])
        assert day.weekday() < 5
        if line["channel"] == "popular":
            assert day.strftime("%a") in ("Mon", "Wed", "Fri")
            assert all(item["upvotes"] >= 20 for item in line["items"])
            assert all("benchmark" not in item["title"].lower() for item in line["items"])
        for item in line["items"]:  # a quiet day has none
            assert set(item) == {"id", "title", "url", "upvotes", "score", "why"}
        by_channel.setdefault(line["channel"], []).extend(i["id"] for i in line["items"])
    assert len([x for x in lines if x["channel"] == "all"]) == 30
    assert len([x for x in lines if x["channel"] == "popular"]) == 18
    for ids in by_channel.values():
        assert len(ids) == len(set(ids))
    assert "repeats 0" in result.stderr


def test_cli_digest_prints_what_would_be_posted_without_recording(services, monkeypatch):
    monkeypatch.setattr(
        "bot.digest.replay.build_embedder", lambda settings: services.index.embedder
    )
    monkeypatch.setenv("PAPERBOY_DATA_DIR", str(services.settings.data_dir))
    monkeypatch.setenv("PAPERBOY_DEMO_CORPUS", "false")
    monkeypatch.delenv("PAPERBOY_CONFIG", raising=False)
    from bot.cli import app

    args = ["digest", "--date", "2026-08-18", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert line["date"] == "2026-08-18" and line["channel"] == "all topics"
    assert len(line["items"]) == 5 and all(i["url"].startswith("https://") for i in line["items"])
    text = CliRunner().invoke(app, ["digest", "--date", "2026-08-18"]).stdout
    assert "Trending papers — Tue 18 Aug 2026" in text and "1. " in text
    assert services.ledger.entries("cli") == []
