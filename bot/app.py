"""The composition root: every long-lived object is built here, from Settings, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from bot.commands import CommandRouter
from bot.metrics import Metrics
from bot.settings import Settings
from bot.state import BotState
from retrieval.embed import Embedder, SentenceTransformerEmbedder
from retrieval.index import PaperIndex
from retrieval.ingest import Progress
from retrieval.models import IngestReport
from retrieval.sources.jsonl import read_jsonl

log = logging.getLogger(__name__)


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


@dataclass
class Services:
    """Everything a front end (CLI, Slack, Discord, scheduler) needs."""

    settings: Settings
    index: PaperIndex
    state: BotState
    router: CommandRouter
    ledger: object | None = None
    digests: object | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    metrics: Metrics = field(default_factory=Metrics)

    def today(self) -> date:
        """Today's date by the services' clock (UTC)."""
        return self.clock().date()

    def close(self) -> None:
        """Release database handles."""
        self.state.close()
        closer = getattr(self.ledger, "close", None)
        if closer:
            closer()


def build_embedder(settings: Settings) -> Embedder:
    """The configured sentence-transformers model (bundled all-MiniLM-L6-v2 by default)."""
    return SentenceTransformerEmbedder(settings.embedding.model, settings.embedding.batch_size)


def build_services(
    settings: Settings,
    embedder: Embedder | None = None,
    clock: Callable[[], datetime] | None = None,
    metrics: Metrics | None = None,
) -> Services:
    """Build the index, state, digest service and router from settings.

    ``embedder`` may be passed in to share one loaded model (tests, several front ends);
    ``clock`` (aware datetimes) lets tests and replays pin "now"; ``metrics`` is the process's
    Prometheus registry (a fresh one if not given).
    """
    clock = clock or (lambda: datetime.now(UTC))
    metrics = metrics or Metrics()

    def today() -> date:
        return clock().date()

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    index = PaperIndex.open(
        settings.data_dir,
        embedder or build_embedder(settings),
        collection=settings.store.collection,
        chroma_host=settings.store.chroma_host,
        chroma_port=settings.store.chroma_port,
        chroma_ssl=settings.store.chroma_ssl,
        # after `paperboy reindex --model`, questions are encoded with the collection's model
        embedder_factory=lambda spec: SentenceTransformerEmbedder(
            spec, settings.embedding.batch_size
        ),
    )
    state = BotState(settings.state_path)
    ledger, digests = _digest_parts(settings, index, clock, metrics)
    router = CommandRouter(
        index,
        state,
        digests,
        page_size=settings.search.results_per_page,
        mode=settings.search.mode,
        today=today,
        metrics=metrics,
    )
    return Services(settings, index, state, router, ledger, digests, clock, metrics)


def _digest_parts(
    settings: Settings, index: PaperIndex, clock: Callable[[], datetime], metrics: Metrics
):
    """The digest ledger and service (kept apart so the wiring stays readable)."""
    from bot.digest_service import DigestService
    from bot.ledger import DigestLedger

    ledger = DigestLedger(settings.state_path)
    digests = DigestService(index, ledger, settings.digest, clock=clock, metrics=metrics)
    return ledger, digests
