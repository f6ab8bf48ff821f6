"""The bounded pool that answers questions off the event loop.

The chat adapters (Slack, Discord) run on one asyncio event loop; answering a question is CPU
work (query encoding, scoring, rendering) and blocking I/O (the state database, Chroma), so it
runs in worker threads. ``asyncio.to_thread`` would use the loop's default executor, whose size
is not ours to choose and which other libraries share; this pool has a size from settings
(``search.workers``), so a burst of questions queues here instead of oversubscribing the CPU.
One pool is built per process in :mod:`bot.services` and handed to the adapters.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
DEFAULT_WORKERS = 4


class AnswerWorkers:
    """A fixed number of threads for blocking work started from the event loop."""

    def __init__(self, size: int = DEFAULT_WORKERS, name: str = "paperboy-answer") -> None:
        if size < 1:
            raise ValueError(f"the answer pool needs at least one worker, not {size}")
        self.size = size
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix=name)

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``func(*args, **kwargs)`` in the pool and await its result (context variables
        travel with it, as with ``asyncio.to_thread``)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, func, *args, **kwargs)
        return await loop.run_in_executor(self._pool, call)

    def close(self) -> None:
        """Stop accepting work; threads end once what is running finishes."""
        self._pool.shutdown(wait=False, cancel_futures=True)
