"""What the Slack and Discord channel-taste tests share: the real services over two recorded
Hugging Face days, and the order of a channel's digest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from bot.services import Services
from bot.settings import ChannelPlan
from retrieval.sources.hf import read_daily_dir
from tests.real_services import real_services

HF = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hf_daily_papers"
DAY1, DAY2 = date(2026, 8, 18), date(2026, 8, 19)
NOW = datetime(2026, 8, 19, 10, 0, tzinfo=UTC)


def two_day_services(data_dir: Path, embedder) -> Iterator[Services]:  # noqa: ANN001
    """The real services (clock at :data:`NOW`) over the lists of DAY1 and DAY2; closed after."""
    yield from real_services(data_dir, embedder, NOW, read_daily_dir(HF, DAY1, DAY2).papers)


def digest_order(services: Services, plan: ChannelPlan, day: date) -> list[str]:
    """The paper ids of ``plan``'s digest for ``day``, in the order they would be posted."""
    return [item.paper.id for item in services.digests.compose(plan, day)[0].items]
