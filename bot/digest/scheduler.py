"""The digest scheduler: one APScheduler cron job per channel plan (in the plan's time zone),
a periodic source refresh (:mod:`bot.digest.refresh`: the Hugging Face daily list, plus the newest arXiv
submissions of ``scheduler.arxiv_categories``), a plan sync (chat changes) and a catch-up sweep.
After each successful Hugging Face refresh (and at start) it runs the personal alerts
(:mod:`bot.alerts.run`), which DM each user at most once a day.

Every digest run goes through :meth:`DigestScheduler.run_due`, which is idempotent: it finds
the plan's most recent scheduled time, posts that day's digest through the ledger if it is still
within the grace window, and otherwise records the day as skipped. So a restart, a second tick
or a second scheduler process never posts twice, and a run missed during downtime is caught up
once (inside the grace window) or skipped and logged (outside it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.alerts.run import AlertRunner
from bot.digest.delivery import Delivery
from bot.digest.posting import DigestPoster
from bot.digest.refresh import SOURCE, CategorySource, DailySource, RefreshIndex, SourceRefresher
from bot.digest.service import DigestService
from bot.settings import ChannelPlan, SchedulerSettings

log = logging.getLogger(__name__)


def plan_trigger(plan: ChannelPlan) -> CronTrigger:
    """A cron trigger at the plan's local time on its days, in its IANA time zone."""
    hour, minute = plan.time.split(":")
    return CronTrigger(
        day_of_week=",".join(plan.days),
        hour=int(hour),
        minute=int(minute),
        timezone=ZoneInfo(plan.timezone),
    )


def last_fire_time(trigger: CronTrigger, now: datetime, lookback_days: int = 8) -> datetime | None:
    """The trigger's latest fire time at or before ``now`` (None if none in the lookback).
    Compared in UTC, so the two 02:30s of a DST fall-back night are told apart."""
    now, latest = now.astimezone(UTC), None
    fire = trigger.get_next_fire_time(None, now - timedelta(days=lookback_days))
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire)
    return latest


class DigestScheduler:
    """Runs digests for every plan and keeps the paper index fresh (see the module docstring)."""

    def __init__(
        self,
        digests: DigestService,
        posters: Mapping[str, DigestPoster],
        settings: SchedulerSettings,
        *,
        index: RefreshIndex | None = None,
        source_factory: Callable[[], DailySource] | None = None,
        arxiv_factory: Callable[[], CategorySource] | None = None,
        clock: Callable[[], datetime] | None = None,
        refresh_days: int = 3,
        max_data_age: timedelta = timedelta(hours=1),
        refresh_retry: timedelta = timedelta(minutes=10),
        sweep: timedelta = timedelta(minutes=10),
        plan_sync: timedelta = timedelta(minutes=1),
        housekeeping: Callable[[], object] | None = None,
        alerts: AlertRunner | None = None,
    ) -> None:
        self.digests = digests
        self.posters = dict(posters)
        self.settings = settings
        self.clock = clock or digests.clock
        self.refresher = SourceRefresher(
            index if index is not None else digests.index,
            digests.sources,
            digests.metrics,
            settings,
            self.clock,
            source_factory=source_factory,
            arxiv_factory=arxiv_factory,
            refresh_days=refresh_days,
            max_data_age=max_data_age,
        )
        self.grace = timedelta(hours=digests.digest_settings.grace_hours)
        self.refresh_retry = refresh_retry
        self.sweep = sweep
        self.plan_sync = plan_sync
        self.housekeeping = housekeeping
        self.alerts = alerts
        self.scheduler: AsyncIOScheduler | None = None
        self._jobs: dict[str, str] = {}

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the jobs (inside a running event loop), then catch up on missed digests.
        May be called again after :meth:`shutdown` (a lease handed back, then retaken)."""
        self._jobs = {}
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": max(1, int(self.grace.total_seconds())),
            },
        )
        self.scheduler.add_job(
            self.refresh_sources,
            CronTrigger.from_crontab(self.settings.hf_refresh_cron, timezone=UTC),
            id="hf-refresh",
        )
        self.scheduler.add_job(
            self.sync_plans, "interval", seconds=max(1.0, self.plan_sync.total_seconds())
        )
        self.scheduler.add_job(
            self.catch_up, "interval", seconds=max(1.0, self.sweep.total_seconds())
        )
        if self.housekeeping is not None:  # e.g. pruning old state rows, daily and at start
            self.scheduler.add_job(self._housekeep, "interval", hours=24, id="housekeeping")
        self.sync_plans()
        self.scheduler.start()
        if self.housekeeping is not None:
            await self._housekeep()
        await self.catch_up()
        await self.run_alerts()

    async def _housekeep(self) -> None:
        try:
            await asyncio.to_thread(self.housekeeping)
        except Exception:  # never stops digests; tried again the next day
            log.exception("state housekeeping failed")

    def shutdown(self) -> None:
        """Stop the jobs (a digest being posted finishes or stays pending in the ledger)."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def sync_plans(self) -> list[str]:
        """Add, replace or remove digest jobs to match the effective plans; return job ids."""
        if self.scheduler is None:
            return []
        wanted: dict[str, ChannelPlan] = {
            f"digest:{p.platform}:{p.channel_id}": p for p in self.digests.plans.all()
        }
        for job_id in set(self._jobs) - set(wanted):
            self.scheduler.remove_job(job_id)
            del self._jobs[job_id]
        for job_id, plan in wanted.items():
            trigger = plan_trigger(plan)
            if self._jobs.get(job_id) != str(trigger):
                self.scheduler.add_job(
                    self.run_plan,
                    trigger,
                    args=[plan.platform, plan.channel_id],
                    id=job_id,
                    name=plan.name,
                    replace_existing=True,
                )
                self._jobs[job_id] = str(trigger)
                log.info("digest %r scheduled: %s", plan.name, trigger)
        return sorted(wanted)

    # -- digests --------------------------------------------------------------------------

    async def run_plan(self, platform: str, channel_id: str) -> Delivery | None:
        """Job body: run the current plan of one channel if it is due."""
        plan = self.digests.plans.plan_for(platform, channel_id)
        return None if plan is None else await self.run_due(plan)

    async def catch_up(self, now: datetime | None = None) -> list[Delivery]:
        """Run every plan that is due and not yet handled (after start-up and periodically)."""
        self.digests.ledger.reconcile()
        results = [await self.run_due(plan, now) for plan in self.digests.plans.all()]
        return [r for r in results if r is not None]

    async def run_due(self, plan: ChannelPlan, now: datetime | None = None) -> Delivery | None:
        """Post the digest of the plan's latest scheduled time once, if within the grace
        window; record it as skipped (and log) if that window has passed."""
        now = (now or self.clock()).astimezone(UTC)
        fire = last_fire_time(plan_trigger(plan), now)
        if fire is None:
            return None
        day = fire.astimezone(ZoneInfo(plan.timezone)).date()
        ledger = self.digests.ledger
        entry = ledger.entry(plan.platform, plan.channel_id, day)
        if entry is not None and entry.status != "failed":
            return None
        if now - fire > self.grace:
            note = f"missed run at {fire.isoformat()}, checked {now.isoformat()}"
            if ledger.record(plan.platform, plan.channel_id, day, plan.name, "skipped", note):
                log.warning(
                    "digest %r for %s missed (due %s, now %s, grace %s): skipped",
                    plan.name, day, fire, now, self.grace,
                )  # fmt: skip
            return None
        poster = self.posters.get(plan.platform)
        if poster is None:
            log.warning("digest %r: no poster for platform %r", plan.name, plan.platform)
            return None
        await self.ensure_fresh(now)
        return await self.digests.deliver(plan, poster, day, now)

    # -- sources --------------------------------------------------------------------------

    async def ensure_fresh(self, now: datetime | None = None) -> None:
        """Refresh sources first unless the last success is recent."""
        if self.refresher.stale(now or self.clock()):
            await self.refresh_sources()

    async def refresh_sources(self) -> bool:
        """Refresh every source: the HF daily list, then (if ``arxiv_categories`` is set) arXiv.
        Each source succeeds or fails on its own; True when all of them worked."""
        return all([await self.refresh_source(source) for source in self.refresher.sources()])

    async def run_alerts(self) -> None:
        """DM personal alerts to the users with new matches (each at most once a day); a
        failure is logged and never stops the digests."""
        if self.alerts is None:
            return
        posters = {name: p for name, p in self.posters.items() if hasattr(p, "post_dm")}
        try:
            await self.alerts.run(posters, self.clock())  # type: ignore[arg-type]
        except Exception:
            log.exception("the personal alert run failed; the next refresh tries again")

    async def refresh_source(self, source: str) -> bool:
        """Refresh one source (see :meth:`SourceRefresher.refresh`); when that fails, retry it
        in ``refresh_retry`` while the jobs run."""
        if await self.refresher.refresh(source):
            if source == SOURCE:
                await self.run_alerts()
            return True
        if self.scheduler is not None and self.scheduler.running:
            log.info("retrying the %s refresh in %s", source, self.refresh_retry)
            self.scheduler.add_job(
                self.refresh_source,
                "date",
                args=[source],
                run_date=datetime.now(UTC) + self.refresh_retry,
                id=f"{source}-refresh-retry",
                replace_existing=True,
            )
        return False
