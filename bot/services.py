"""The composition root: every long-lived object is built here, from Settings, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.alerts.chat import AlertChat
from bot.alerts.run import AlertRunner
from bot.chat.lookup import ArxivFetcher
from bot.chat.router import CommandRouter
from bot.chat.workers import AnswerWorkers
from bot.digest.chat import DigestChat
from bot.digest.plans import PlanBook
from bot.digest.service import DigestService
from bot.ops.metrics import Metrics
from bot.settings import Settings
from bot.store.alerts import AlertLedger, AlertTopics
from bot.store.db import StateDB
from bot.store.ledger import DigestLedger
from bot.store.plans import ChannelPlans
from bot.store.sources import SourceHealth
from bot.store.state import BotState
from bot.taste.book import TasteBook
from bot.taste.recommend import Recommender
from bot.taste.votes import TasteVotes
from retrieval.batching import BatchingEmbedder
from retrieval.embed import Embedder, SentenceTransformerEmbedder
from retrieval.index import PaperIndex


@dataclass
class Services:
    """Everything a front end (CLI, Slack, Discord, scheduler) needs."""

    settings: Settings
    index: PaperIndex
    state: BotState
    router: CommandRouter
    ledger: DigestLedger
    digests: DigestService
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    metrics: Metrics = field(default_factory=Metrics)
    alerts: AlertRunner | None = None
    # the threads that answer questions off the chat adapters' event loop
    workers: AnswerWorkers = field(default_factory=AnswerWorkers)

    def today(self) -> date:
        """Today's date by the services' clock (UTC)."""
        return self.clock().date()

    def close(self) -> None:
        """Release database handles and the answer threads."""
        self.workers.close()
        self.state.db.close()


SERVING_MODEL_THREADS = 1  # embedding.threads = 0 in the chat bots: see set_model_threads


def build_embedder(settings: Settings, serving: bool = False) -> Embedder:
    """The configured sentence-transformers model (bundled all-MiniLM-L6-v2 by default), with
    ``embedding.threads`` CPU threads per call (0: 1 when ``serving`` chat questions, else
    torch's default)."""
    embedding = settings.embedding
    threads = embedding.threads or (SERVING_MODEL_THREADS if serving else None)
    return SentenceTransformerEmbedder(embedding.model, embedding.batch_size, threads=threads)


def batched(embedder: Embedder) -> Embedder:
    """``embedder`` behind a :class:`BatchingEmbedder`, so questions asked together are encoded
    in one model call (ingest's large batches pass straight through); never wrapped twice."""
    return embedder if isinstance(embedder, BatchingEmbedder) else BatchingEmbedder(embedder)


def build_digests(
    settings: Settings,
    index: PaperIndex,
    db: StateDB,
    clock: Callable[[], datetime],
    metrics: Metrics,
    taste: TasteBook | None = None,
) -> DigestService:
    """The digest service over the state database: ledger, chat-made plans, source health,
    and each channel's taste (re-ranking its digest)."""
    plans = PlanBook(settings.digest.plans, ChannelPlans(db))
    return DigestService(
        index,
        DigestLedger(db),
        settings.digest,
        plans,
        SourceHealth(db),
        clock=clock,
        metrics=metrics,
        taste=taste,
    )


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
        batched(embedder or build_embedder(settings)),
        collection=settings.store.collection,
        chroma_host=settings.store.chroma_host,
        chroma_port=settings.store.chroma_port,
        chroma_ssl=settings.store.chroma_ssl,
        # after `paperboy reindex --model`, questions are encoded with the collection's model
        embedder_factory=lambda spec: batched(
            SentenceTransformerEmbedder(spec, settings.embedding.batch_size)
        ),
    )
    db = StateDB.open(settings.state_target)
    state = BotState(db)
    stamp = lambda: clock().timestamp()  # noqa: E731 (the services' clock, as Unix seconds)
    topics = AlertTopics(db, clock=stamp)
    ledger = AlertLedger(db, clock=stamp)
    alerts = AlertRunner(index, topics, ledger, settings.alerts, metrics, clock)
    # index.store is looked up per call: `paperboy reindex --model` switches the collection
    taste = TasteBook(TasteVotes(db), index, lambda ids: index.store.vectors(ids), today)
    digests = build_digests(settings, index, db, clock, metrics, taste)
    recommender = Recommender(taste, index, today, index.get)
    router = CommandRouter(
        index,
        state,
        DigestChat(digests, recommender),
        page_size=settings.search.results_per_page,
        mode=settings.search.mode,
        today=today,
        metrics=metrics,
        fetcher=(
            ArxivFetcher(settings.scheduler.arxiv_api_url)
            if settings.search.fetch_missing_papers
            else None
        ),
        alerts=AlertChat(topics, settings.alerts) if settings.alerts.enabled else None,
    )
    workers = AnswerWorkers(settings.search.workers)
    return Services(
        settings, index, state, router, digests.ledger, digests, clock, metrics, alerts, workers
    )
