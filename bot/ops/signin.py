"""Signing in to a chat platform at start-up: a rejected token is a settings problem (one line,
exit 2), an unreachable platform is waited out with exponential back-off (as the Chroma store is
in :mod:`bot.ops.startup`), so a process started before the network is up does not die.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)
T = TypeVar("T")


class TokenRejected(Exception):
    """The platform refused the configured token; the message names the setting to fix."""


async def with_backoff(
    action: Callable[[], Awaitable[T]],
    *,
    what: str,
    unreachable: tuple[type[BaseException], ...],
    metrics: Metrics | None = None,
    max_wait_s: float = 60.0,
) -> T:
    """Await ``action()`` until it does not fail with one of ``unreachable`` (waits 1 s, 2 s,
    4 s ... up to ``max_wait_s`` between tries, each logged as a warning). Any other error,
    :class:`TokenRejected` included, is raised at once."""

    def waiting(state) -> None:  # noqa: ANN001 (tenacity's RetryCallState)
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        reason = f"{type(error).__name__}: {error}" if error else "?"
        log.warning("cannot reach %s (%s); retrying in %.0f s", what, reason, wait)
        if metrics is not None:
            metrics.record_error(what.lower())

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(unreachable),
        wait=wait_exponential(multiplier=1, max=max_wait_s),
        before_sleep=waiting,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await action()
    raise AssertionError("unreachable: tenacity returns or re-raises")
