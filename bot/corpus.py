"""What an empty store is filled with on first start: the last ``scheduler.backfill_days`` of
Hugging Face daily lists when the network is reachable, else the bundled demo corpus, so
Paperboy is current from day one online and still answers offline."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Protocol

from bot.settings import Settings
from retrieval.index import PaperIndex
from retrieval.ingest import Progress
from retrieval.models import IngestReport, ParseOutcome
from retrieval.sources.jsonl import read_jsonl

log = logging.getLogger(__name__)
LOG_EVERY = 100  # papers between progress lines while embedding


class DaySource(Protocol):
    """One day's list at a time, like :class:`retrieval.sources.hf.HFDailyClient`."""

    def fetch_day(self, day: date) -> ParseOutcome:
        """The papers listed on ``day``."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def demo_corpus_path() -> Path:
    """The bundled demo corpus shipped inside the ``retrieval`` package."""
    return Path(str(resources.files("retrieval") / "data" / "demo_papers.jsonl.gz"))


def ensure_corpus(index: PaperIndex, progress: Progress | None = None) -> IngestReport | None:
    """Ingest the bundled demo corpus when the store is empty; returns the report or None."""
    if index.count() > 0:
        return None
    outcome = read_jsonl(demo_corpus_path())
    log.info("empty store: ingesting the bundled demo corpus (%d papers)", len(outcome.papers))
    return index.ingest(outcome.papers, outcome.problems, progress)


def list_days(days: int, today: date) -> list[date]:
    """The weekdays (Hugging Face publishes no weekend lists) among the last ``days`` days up
    to ``today``, oldest first."""
    span = (today - timedelta(days=n) for n in range(days - 1, -1, -1))
    return [day for day in span if day.weekday() < 5]


def fetch_backfill(source: DaySource, days: list[date]) -> ParseOutcome | None:
    """Each day's list, logging progress; None when the first fetch fails (offline). A later
    day that fails is logged and skipped."""
    outcome = ParseOutcome()
    for number, day in enumerate(days, start=1):
        try:
            fetched = source.fetch_day(day)
        except Exception as err:
            if number == 1:
                log.warning("backfill: the Hugging Face daily list is unreachable (%s)", err)
                return None
            log.warning("backfill: %s failed (%s); skipped", day, err)
            continue
        outcome.extend(fetched)
        log.info(
            "backfill: list %d/%d (%s): %d papers", number, len(days), day, len(fetched.papers)
        )
    return outcome


def _logged(progress: Progress | None) -> Progress:
    logged = [0]

    def report(done: int, total: int) -> None:
        if done == total or done - logged[0] >= LOG_EVERY:
            logged[0] = done
            log.info("backfill: embedded %d/%d papers", done, total)
        if progress is not None:
            progress(done, total)

    return report


def fill_empty_store(
    index: PaperIndex,
    backfill_days: int,
    today: date,
    source_factory: Callable[[], DaySource] | None,
    *,
    demo: bool = True,
    progress: Progress | None = None,
) -> IngestReport | None:
    """On an empty store: backfill ``backfill_days`` of HF daily lists from ``source_factory``
    (when given and it answers), else the bundled demo corpus (if ``demo``). None when the store
    was not empty or nothing was added."""
    if index.count() > 0:
        return None
    if backfill_days > 0 and source_factory is not None:
        days = list_days(backfill_days, today)
        log.info("empty store: backfilling %d Hugging Face daily lists (%s..%s)",
                 len(days), days[0] if days else "-", today)  # fmt: skip
        source = source_factory()
        try:
            outcome = fetch_backfill(source, days)
        finally:
            source.close()
        if outcome is not None and outcome.papers:
            log.info("backfill: embedding %d papers", len(outcome.papers))
            report = index.ingest(outcome.papers, outcome.problems, _logged(progress))
            log.info("backfill done: %s", report)
            return report
        log.warning("backfill found no papers; using the bundled demo corpus instead")
    return ensure_corpus(index, progress) if demo else None


def first_start(settings: Settings, index: PaperIndex, today: date) -> IngestReport | None:
    """What the bots do at start when ``demo_corpus`` is on: fill an empty store from the
    configured Hugging Face API (``scheduler.backfill_days``), else with the demo corpus."""
    from retrieval.sources.hf import HFDailyClient

    def source() -> DaySource:  # two quick tries: offline falls back to the demo at once
        return HFDailyClient(settings.scheduler.hf_api_base_url, max_attempts=2, backoff_s=0.5)

    return fill_empty_store(index, settings.scheduler.backfill_days, today, source)
