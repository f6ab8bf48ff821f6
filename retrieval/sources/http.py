"""A polite HTTP GET shared by the paper sources: retries, backoff, Retry-After and spacing.

Retries (via ``tenacity``) cover network errors, HTTP 429 and 5xx. A 429/503 ``Retry-After``
header is honoured: the wait is at least what the server asked for; when it asks for more than
``max_retry_after_s`` the client gives up at once with a clear error instead of hanging.
Other 4xx answers are not retried. ``min_interval_s`` spaces consecutive requests (retries
included), measured start to start with the injected ``clock``/``sleep``, so tests stay fast.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

import httpx
import tenacity

log = logging.getLogger(__name__)

USER_AGENT = "paperboy/0.1 (research paper bot; polite client)"


class SourceError(RuntimeError):
    """A paper source could not be read (HTTP error, exhausted retries, bad query)."""


class SourceHTTPError(SourceError):
    """An HTTP request failed for good; ``status`` is ``None`` for network errors."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class RetryableHTTPError(SourceHTTPError):
    """HTTP 429 or 5xx: worth another try, after ``retry_after`` seconds if the server said so."""

    def __init__(self, message: str, *, url: str, status: int, retry_after: float | None) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), else ``None``."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Throttle:
    """Keeps at least ``min_interval_s`` between the starts of consecutive requests."""

    def __init__(
        self,
        min_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None

    def wait(self) -> None:
        """Sleep until the next request may start, then mark it as started."""
        if self._last is not None and self.min_interval_s > 0:
            remaining = self.min_interval_s - (self._clock() - self._last)
            if remaining > 0:
                self._sleep(remaining)
        self._last = self._clock()


class ClosingContext:
    """``with`` support for any object that has a ``close()``."""

    def close(self) -> None:
        """Release resources (overridden)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class PoliteHTTP(ClosingContext):
    """GET with retries and spacing over one ``httpx.Client`` (owned unless one is passed in)."""

    def __init__(
        self,
        http: httpx.Client | None = None,
        *,
        timeout: float = 20,
        max_attempts: int = 4,
        min_interval_s: float = 0.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        max_retry_after_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._owns_http = http is None
        self.http = http or httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=1),
        )
        self.max_attempts = max(1, max_attempts)
        self.max_retry_after_s = max_retry_after_s
        self._throttle = Throttle(min_interval_s, clock, sleep)
        self._backoff = tenacity.wait_exponential(multiplier=backoff_s, max=max_backoff_s)
        self._sleep = sleep
        self._lock = threading.Lock()

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """GET ``url``; returns a 2xx/3xx response or raises :class:`SourceHTTPError`."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts) | self._stop_on_long_retry_after,
            wait=self._wait,
            retry=tenacity.retry_if_exception_type((httpx.TransportError, RetryableHTTPError)),
            sleep=self._sleep,
            before_sleep=self._log_retry,
        )
        with self._lock:
            try:
                return retrying(self._attempt, url, params)
            except tenacity.RetryError as exc:
                last = exc.last_attempt.exception()
                status = getattr(last, "status", None)
                raise SourceHTTPError(
                    f"GET {url} failed after {exc.last_attempt.attempt_number} attempt(s): {last}",
                    url=url,
                    status=status,
                ) from last

    def _attempt(self, url: str, params: Mapping[str, Any] | None) -> httpx.Response:
        self._throttle.wait()
        response = self.http.get(url, params=params)
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            hint = f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""
            raise RetryableHTTPError(
                f"HTTP {status} {response.reason_phrase} from {response.url}{hint}",
                url=str(response.url),
                status=status,
                retry_after=retry_after,
            )
        if status >= 400:
            body = response.text[:200].strip()
            raise SourceHTTPError(
                f"HTTP {status} {response.reason_phrase} from {response.url}: {body}",
                url=str(response.url),
                status=status,
            )
        return response

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = self._backoff(state)
        if isinstance(exc, RetryableHTTPError) and exc.retry_after is not None:
            return max(exc.retry_after, 0.0)
        return backoff

    def _stop_on_long_retry_after(self, state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        return retry_after is not None and retry_after > self.max_retry_after_s

    @staticmethod
    def _log_retry(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        log.warning("attempt %d failed (%s); retrying in %.1f s", state.attempt_number, exc, wait)

    def close(self) -> None:
        """Close the underlying client if this object created it."""
        if self._owns_http:
            self.http.close()
