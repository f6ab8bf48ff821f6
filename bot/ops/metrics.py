"""Paperboy's Prometheus metrics, in a registry owned by one process (no module globals).

Names follow Prometheus conventions; counters get ``_total`` appended by the client library:
``paperboy_questions_total{platform,kind}``, ``paperboy_answer_seconds{platform}`` (histogram),
``paperboy_ingested_papers_total{source,outcome}``, ``paperboy_digests_total{platform,status}``,
``paperboy_feedback_total{platform,vote}`` (vote: up, down), ``paperboy_alerts_total{platform,status}``
and ``paperboy_errors_total{component}``.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from retrieval.models import IngestReport

ANSWER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


class Metrics:
    """Counters and histograms a running Paperboy process updates; :meth:`render` exposes them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "paperboy_questions",
            "Chat requests answered, by platform and reply kind (results, help, error, ...)",
            ["platform", "kind"],
            registry=self.registry,
        )
        self.answer_seconds = Histogram(
            "paperboy_answer_seconds",
            "Seconds to turn a chat request into a reply (search, snippets, paging)",
            ["platform"],
            buckets=ANSWER_BUCKETS,
            registry=self.registry,
        )
        self.ingested = Counter(
            "paperboy_ingested_papers",
            "Papers seen by ingest, by source and outcome (added, updated, unchanged)",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.digests = Counter(
            "paperboy_digests",
            "Digest deliveries, by platform and status (sent, quiet, failed, already)",
            ["platform", "status"],
            registry=self.registry,
        )
        self.feedback = Counter(
            "paperboy_feedback",
            "👍/👎 votes recorded (buttons and reactions), by platform and vote (up, down)",
            ["platform", "vote"],
            registry=self.registry,
        )
        self.alerts = Counter(
            "paperboy_alerts",
            "Personal alert DMs, by platform and status (sent, failed, unknown)",
            ["platform", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "paperboy_errors",
            "Errors a user or operator would notice, by component",
            ["component"],
            registry=self.registry,
        )

    def observe_answer(self, platform: str, kind: str, seconds: float) -> None:
        """Count one answered request and its latency."""
        self.questions.labels(platform=platform or "unknown", kind=kind).inc()
        self.answer_seconds.labels(platform=platform or "unknown").observe(seconds)

    def record_ingest(self, source: str, report: IngestReport) -> None:
        """Count what one ingest run did."""
        counts = {
            "added": report.added,
            "updated": report.updated_text + report.updated_metadata,
            "unchanged": report.unchanged,
            "rejected": len(report.problems),
        }
        for outcome, count in counts.items():
            if count:
                self.ingested.labels(source=source, outcome=outcome).inc(count)

    def record_digest(self, platform: str, status: str) -> None:
        """Count one digest delivery attempt by its outcome."""
        self.digests.labels(platform=platform, status=status).inc()

    def record_feedback(self, platform: str, value: int) -> None:
        """Count one recorded vote: ``value`` > 0 is 👍, else 👎."""
        vote = "up" if value > 0 else "down"
        self.feedback.labels(platform=platform or "unknown", vote=vote).inc()

    def record_alert(self, platform: str, status: str) -> None:
        """Count one alert DM by its outcome."""
        self.alerts.labels(platform=platform, status=status).inc()

    def record_error(self, component: str) -> None:
        """Count one error in ``component`` (router, store, slack, discord, refresh:hf, ...)."""
        self.errors.labels(component=component).inc()

    def render(self) -> tuple[bytes, str]:
        """The text exposition format and its content type, for ``GET /metrics``."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
