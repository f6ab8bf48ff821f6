"""What ``paperboy status`` reports, gathered as plain JSON-ready data (no model is loaded)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.digest.scheduler import plan_trigger
from retrieval.records import paper_from_record


def _stamp(seconds: float | None) -> str | None:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds") if seconds else None


def store_where(settings: Any) -> tuple[str, str]:
    """``(backend, location)`` of the configured store: embedded folder or server address."""
    store = settings.store
    if store.chroma_host:
        return "server", f"{store.chroma_host}:{store.chroma_port}"
    return "embedded", str(settings.data_dir / "chroma")


def latest_list_day(store: Any) -> date | None:
    """The most recent Hugging Face list day among the stored papers (metadata only)."""
    days = (
        paper_from_record(pid, meta, None).list_date
        for pid, meta, _, _ in store.iter_records(with_documents=False)
    )
    return max((d for d in days if d), default=None)


def gather_status(services: Any, limit: int, now: datetime) -> dict[str, Any]:
    """Everything ``paperboy status`` shows, as plain JSON-ready data."""
    backend, location = store_where(services.settings)
    store = services.index.store
    day = latest_list_day(store)
    sources = {}
    for name in ("hf", "arxiv"):
        found = services.digests.sources.status(name)
        if found is not None:
            sources[name] = {
                "last_ok": _stamp(found.last_ok),
                "last_error": found.last_error,
                "last_error_at": _stamp(found.last_error_at),
                "failing": found.failing,
            }
    plans = []
    for plan in services.digests.plans.all():
        fire = plan_trigger(plan).get_next_fire_time(None, now)
        plans.append(
            {
                "name": plan.name,
                "platform": plan.platform,
                "channel_id": plan.channel_id,
                "time": plan.time,
                "timezone": plan.timezone,
                "days": plan.days,
                "next_digest": fire.isoformat() if fire else None,
            }
        )
    ledger = [
        {
            "platform": e.platform,
            "channel_id": e.channel_id,
            "day": e.day.isoformat(),
            "plan": e.plan,
            "status": e.status,
            "papers": len(e.paper_ids),
            "message_id": e.message_id,
            "updated_at": _stamp(e.updated_at),
        }
        for e in services.ledger.entries()[:limit]
    ]
    feedback = [
        {"platform": p, "channel_id": c, "up": up, "down": down}
        for p, c, up, down in services.state.feedback_counts()
    ]
    alerts = services.alerts
    users = alerts.topics.subscribers() if alerts is not None else {}
    return {
        "store": {
            "backend": backend,
            "location": location,
            "collection": store.collection_name,
            "papers": store.count(),
            "revision": store.revision(),
        },
        "latest_list_day": day.isoformat() if day else None,
        "sources": sources,
        "plans": plans,
        "ledger": ledger,
        "feedback": feedback,
        "alerts": {
            "users": len(users),
            "topics": sum(len(t) for t in users.values()),
            "sent": alerts.ledger.sent_count() if alerts is not None else 0,
        },
    }
