"""Keeping the paper index fresh: fetch the Hugging Face daily list and (if
``scheduler.arxiv_categories`` is set) the newest arXiv submissions, ingest them, and record each
source's health in the ledger and metrics. *When* to refresh, and retries, are the scheduler's."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.ops.metrics import Metrics
from bot.settings import SchedulerSettings
from bot.store.sources import SourceHealth
from retrieval.models import IngestReport, Paper, ParseOutcome

log = logging.getLogger(__name__)

SOURCE = "hf"
ARXIV = "arxiv"


class RefreshIndex(Protocol):
    """What the refresh needs from the paper index."""

    def ingest(self, papers: Sequence[Paper]) -> IngestReport:
        """Add or update papers."""
        ...


class DailySource(Protocol):
    """A paper source like :class:`retrieval.sources.hf.HFDailyClient`."""

    def fetch_range(self, since, until) -> ParseOutcome:  # noqa: ANN001
        """Papers listed from ``since`` to ``until``."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class CategorySource(Protocol):
    """A paper source like :class:`retrieval.sources.arxiv.ArxivClient`."""

    def recent(self, category: str, max_results: int = 200) -> ParseOutcome:
        """The newest ``max_results`` submissions of ``category``."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class SourceRefresher:
    """Fetches and ingests one source at a time (see the module docstring)."""

    def __init__(
        self,
        index: RefreshIndex,
        health: SourceHealth,
        metrics: Metrics,
        settings: SchedulerSettings,
        clock: Callable[[], datetime],
        *,
        source_factory: Callable[[], DailySource] | None = None,
        arxiv_factory: Callable[[], CategorySource] | None = None,
        refresh_days: int = 3,
        max_data_age: timedelta = timedelta(hours=1),
    ) -> None:
        self.index = index
        self.health = health
        self.metrics = metrics
        self.settings = settings
        self.clock = clock
        self.source_factory = source_factory or self._hf_client
        self.arxiv_factory = arxiv_factory or self._arxiv_client
        self.refresh_days = refresh_days
        self.max_data_age = max_data_age
        self._lock = asyncio.Lock()

    def _hf_client(self) -> DailySource:
        from retrieval.sources.hf import HFDailyClient

        return HFDailyClient(self.settings.hf_api_base_url)

    def _arxiv_client(self) -> CategorySource:
        from retrieval.sources.arxiv import ArxivClient

        return ArxivClient(self.settings.arxiv_api_url)

    def sources(self) -> list[str]:
        """The configured sources: ``"hf"``, then ``"arxiv"`` if categories are set."""
        return [SOURCE, ARXIV] if self.settings.arxiv_categories else [SOURCE]

    def stale(self, now: datetime) -> bool:
        """True unless the Hugging Face list was refreshed successfully within ``max_data_age``."""
        status = self.health.status(SOURCE)
        last_ok = status.last_ok if status else None
        return last_ok is None or now - datetime.fromtimestamp(last_ok, UTC) > self.max_data_age

    async def refresh(self, source: str) -> bool:
        """Fetch one source (``"hf"``: the last days of the daily list; ``"arxiv"``: the newest
        ``arxiv_max_results`` submissions per category) and ingest it. On failure record the
        error and return False; digests go on with the data there is."""
        fetch = {SOURCE: self._fetch, ARXIV: self._fetch_arxiv}[source]
        async with self._lock:
            until = self.clock().astimezone(UTC).date()
            since = until - timedelta(days=self.refresh_days)
            try:
                outcome = await asyncio.to_thread(fetch, since, until)
                report = await asyncio.to_thread(self.index.ingest, outcome.papers)
            except Exception as err:
                log.warning("refreshing %s failed: %s", source, err)
                self.health.record(source, f"{type(err).__name__}: {err}")
                self.metrics.record_error(f"refresh:{source}")
                return False
            self.health.record(source)
            self.metrics.record_ingest(source, report)
            log.info("refreshed %s: %s", source, report)
            return True

    def _fetch(self, since, until) -> ParseOutcome:  # noqa: ANN001
        client = self.source_factory()
        try:
            return client.fetch_range(since, until)
        finally:
            client.close()

    def _fetch_arxiv(self, since, until) -> ParseOutcome:  # noqa: ANN001, ARG002
        """The newest submissions of every configured category (one polite client, so arXiv's
        3-second spacing holds across categories)."""
        client, outcome = self.arxiv_factory(), ParseOutcome()
        try:
            for category in self.settings.arxiv_categories:
                outcome.extend(client.recent(category, self.settings.arxiv_max_results))
            return outcome
        finally:
            client.close()
