"""Start-up shared by the long-running processes (``slack``, ``discord``, ``scheduler``).

The ops server comes up first, so ``/healthz`` can say "not ready: connecting to Chroma" while
the store is unreachable; the store is then opened with exponential back-off instead of the
process exiting and being restarted in a loop. The embedding model is loaded once, before that.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer, state_check, store_check, waiting_check
from bot.services import Services, build_embedder, build_services
from bot.settings import Settings
from bot.store.db import StateCorrupt
from retrieval.embed import Embedder
from retrieval.store import StoreUnavailable

log = logging.getLogger(__name__)


async def start_ops(settings: Settings, metrics: Metrics, port: int) -> OpsServer | None:
    """Serve ``/healthz``, ``/livez`` and ``/metrics`` on ``settings.ops.host:port`` (0 = off)."""
    if not port:
        return None
    ops = OpsServer(metrics, settings.ops.host, port)
    ops.set_check("store", waiting_check(f"starting: opening the {settings.store_description}"))
    try:
        await ops.start()
    except OSError as error:
        raise SystemExit(
            f"cannot serve /healthz and /metrics on {settings.ops.host}:{port} ({error.strerror}); "
            "another process on this host may use that port: pass --ops-port N (0 = off)"
        ) from error
    return ops


async def open_services(
    settings: Settings,
    metrics: Metrics,
    ops: OpsServer | None = None,
    embedder: Embedder | None = None,
    max_wait_s: float = 30.0,
    serving: bool = False,
) -> Services:
    """Load the model, then build the services, retrying while the Chroma store is unreachable
    (waits 1 s, 2 s, 4 s ... up to ``max_wait_s`` between tries, each logged). Registers the
    store and state checks on ``ops`` once open. ``serving``: the model answers chat questions
    (one CPU thread per model call unless ``embedding.threads`` says otherwise)."""
    where = settings.store_description
    if embedder is None:
        embedder = await asyncio.to_thread(build_embedder, settings, serving)

    def waiting(state) -> None:  # noqa: ANN001 (tenacity's RetryCallState)
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        log.warning("cannot open the %s (%s); retrying in %.0f s", where, error, wait)
        metrics.record_error("store")
        if ops is not None:
            ops.set_check("store", waiting_check(f"cannot open the {where}: {error}"))

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(StoreUnavailable),
        wait=wait_exponential(multiplier=1, max=max_wait_s),
        before_sleep=waiting,
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                services = await asyncio.to_thread(
                    build_services, settings, embedder, None, metrics
                )
    except StateCorrupt as error:  # retrying cannot help: say which file and how to recover
        raise SystemExit(str(error)) from error
    if ops is not None:
        ops.set_check("store", store_check(services.index.store, where))
        ops.set_check("state", state_check(services.state.db))
    log.info("paper store open: %s, %d papers", where, services.index.count())
    return services


def cancel_on_sigterm() -> None:
    """Make SIGTERM (``systemctl stop``, ``docker stop``) cancel the running main task, so its
    ``finally`` blocks run: the scheduler lease is released and connections close cleanly."""
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


async def start_chat_process(
    settings: Settings, port: int
) -> tuple[Metrics, OpsServer | None, Services]:
    """What ``paperboy slack`` and ``paperboy discord`` do first: SIGTERM cancels the main task,
    health and metrics are served on ``port``, the services open (waiting for Chroma), and with
    ``demo_corpus`` on, an empty store is filled (:func:`bot.corpus.first_start`). If the fill
    fails, what was opened is closed before the error goes on."""
    from bot.corpus import first_start

    cancel_on_sigterm()
    metrics = Metrics()
    ops = await start_ops(settings, metrics, port)
    services = await open_services(settings, metrics, ops, serving=True)
    try:
        if settings.demo_corpus:
            await asyncio.to_thread(first_start, settings, services.index, services.today())
    except BaseException:
        services.close()
        if ops is not None:
            await ops.stop()
        raise
    return metrics, ops, services
