"""The operations endpoint every long-running process serves: ``/healthz``, ``/livez``, ``/metrics``.

``/healthz`` is readiness: 200 when every registered check passes (the paper store answers, the
state database opens, the platform connection is up), 503 with the failing checks otherwise. It
recovers by itself: a Chroma server that comes back makes the process ready again without a
restart. ``/livez`` only says the event loop runs. ``/metrics`` is the Prometheus exposition.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from bot.ops.metrics import Metrics
from bot.store.db import StateDB

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    """One readiness check: passed or not, and a line saying why."""

    ok: bool
    detail: str


Check = Callable[[], Awaitable[CheckResult]]


class Heartbeat(Protocol):
    """What the store check needs (:class:`retrieval.store.PaperStore`)."""

    def heartbeat(self) -> bool:
        """True when the backend answers."""
        ...


def store_check(store: Heartbeat, where: str, timeout_s: float = 3.0) -> Check:
    """Ready while the Chroma store (``where``: its description) answers a heartbeat."""

    async def check() -> CheckResult:
        try:
            ok = await asyncio.wait_for(asyncio.to_thread(store.heartbeat), timeout_s)
        except TimeoutError:
            ok = False
        return CheckResult(ok, f"{where} {'answers' if ok else 'is unreachable'}")

    return check


def waiting_check(detail: str) -> Check:
    """A check that fails with ``detail`` (e.g. while the store is still being connected)."""

    async def check() -> CheckResult:
        return CheckResult(False, detail)

    return check


def state_check(db: StateDB, timeout_s: float = 3.0) -> Check:
    """Ready while the state database (SQLite file or PostgreSQL server) answers."""
    where = db.describe()

    async def check() -> CheckResult:
        try:
            await asyncio.wait_for(asyncio.to_thread(db.ping), timeout_s)
        except TimeoutError:
            return CheckResult(False, f"{where}: no answer within {timeout_s:.0f} s")
        except Exception as error:  # sqlite3 / psycopg errors, wrapped by SQLAlchemy
            return CheckResult(False, f"{where}: {type(error).__name__}: {str(error)[:200]}")
        return CheckResult(True, f"{where} answers")

    return check


class OpsServer:
    """A small aiohttp server with readiness checks and the process's metrics."""

    def __init__(self, metrics: Metrics, host: str = "127.0.0.1", port: int = 0) -> None:
        self.metrics = metrics
        self.host = host
        self.port = port
        self.checks: dict[str, Check] = {}
        self._runner: web.AppRunner | None = None

    def set_check(self, name: str, check: Check) -> None:
        """Add or replace the readiness check called ``name``."""
        self.checks[name] = check

    async def readiness(self) -> tuple[bool, dict[str, dict[str, object]]]:
        """Run every check concurrently; a check that raises counts as failed."""
        names = list(self.checks)
        results = await asyncio.gather(*(self.checks[n]() for n in names), return_exceptions=True)
        report: dict[str, dict[str, object]] = {}
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                result = CheckResult(False, f"check failed: {type(result).__name__}: {result}")
            report[name] = {"ok": result.ok, "detail": result.detail}
        return bool(report) and all(r["ok"] for r in report.values()), report

    async def start(self) -> int:
        """Start serving; returns the bound port (useful with port 0)."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/livez", self._livez)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        log.info("health and metrics on http://%s:%s/healthz and /metrics", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _: web.Request) -> web.Response:
        ready, checks = await self.readiness()
        body = json.dumps({"ready": ready, "checks": checks}, indent=1)
        return web.Response(
            status=200 if ready else 503, text=body, content_type="application/json"
        )

    async def _livez(self, _: web.Request) -> web.Response:
        return web.Response(text="alive")

    async def _metrics(self, _: web.Request) -> web.Response:
        body, content_type = self.metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})
