"""Micro-batching for the query encoder: questions that arrive together are encoded together.

Each question costs one small ``encode`` call (a few texts). When several threads ask at about
the same time, :class:`BatchingEmbedder` runs one model call for all of them and hands each
caller its own rows: one forward pass over 8 short texts costs little more than over one, so a
burst of questions is encoded in a fraction of the time one-by-one calls would take.

How a call is served (no background thread): the first caller to find the encoder idle becomes
the *leader*. It waits up to ``max_wait_s`` for companions (or until ``max_batch`` texts are
queued), takes the queue (oldest first, up to ``max_batch`` texts), encodes it in one call and
wakes everyone whose rows are ready. Callers that arrive while a batch is being encoded queue
up; when it ends, one of them leads the next batch at once (they already waited). A lone caller
therefore pays at most ``max_wait_s``.
Calls with more than ``max_call`` texts (ingest, re-embedding: already batches) bypass the queue. An exception
raised by the model reaches every caller of that batch; the next batch starts afresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrieval.embed import Embedder

MAX_WAIT_S = 0.002
MAX_BATCH = 64  # texts in one merged call
MAX_CALL = 16  # a call with more texts than this is a batch already: it goes straight through


@dataclass(eq=False)  # calls are told apart by identity, never by their texts
class _Call:
    """One caller's texts, and what came back for them."""

    texts: list[str]
    rows: np.ndarray | None = None
    error: BaseException | None = None
    done: bool = False
    waited_behind: bool = False  # queued while another batch was encoding

    def result(self) -> np.ndarray:
        if self.error is not None:
            raise self.error
        assert self.rows is not None
        return self.rows


class BatchingEmbedder:
    """An :class:`~retrieval.embed.Embedder` that merges concurrent small ``encode`` calls.

    Thread-safe. ``name``, ``dim`` and ``spec`` are the wrapped embedder's; any other attribute
    is read from it too, so the wrapper can stand wherever the embedder stood.
    """

    def __init__(
        self,
        inner: Embedder,
        max_wait_s: float = MAX_WAIT_S,
        max_batch: int = MAX_BATCH,
        max_call: int = MAX_CALL,
    ) -> None:
        if not 1 <= max_call <= max_batch:
            raise ValueError(f"need 1 <= max_call ({max_call}) <= max_batch ({max_batch})")
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.spec = getattr(inner, "spec", None)
        self.max_wait_s = max_wait_s
        self.max_batch = max_batch
        self.max_call = max_call
        self.batches = 0  # model calls made for queued callers (for tests and benchmarks)
        self._cond = threading.Condition()
        self._queue: list[_Call] = []
        self._busy = False  # a leader is collecting or encoding

    def __getattr__(self, name: str) -> Any:
        """Anything else (e.g. a model-specific method) is the wrapped embedder's."""
        if name == "inner":  # not set yet (during unpickling): avoid endless recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``, shared with other callers' texts in one model call."""
        texts = list(texts)
        if not texts or len(texts) > self.max_call:
            return self.inner.encode(texts)
        call = _Call(texts)
        with self._cond:
            self._queue.append(call)
            self._cond.notify_all()  # a collecting leader may now have enough
        while True:
            with self._cond:
                while self._busy and not call.done:
                    call.waited_behind = True
                    self._cond.wait()
                if call.done:
                    return call.result()
                self._busy = True  # this caller leads the next batch
                batch = self._collect(window=not call.waited_behind)
            self._run(batch)  # its own texts may be left for the next batch: first come first
            call.waited_behind = True

    def _collect(self, window: bool) -> list[_Call]:
        """With the lock held: wait up to ``max_wait_s`` for companions (unless ``window`` is
        off), then take the longest run of queued calls, oldest first, within ``max_batch``."""
        if window:
            deadline = time.monotonic() + self.max_wait_s
            while self._queued_texts() < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        batch, size = [], 0
        for queued in self._queue:
            if batch and size + len(queued.texts) > self.max_batch:
                break
            batch.append(queued)
            size += len(queued.texts)
        del self._queue[: len(batch)]
        return batch

    def _queued_texts(self) -> int:
        return sum(len(queued.texts) for queued in self._queue)

    def _run(self, batch: list[_Call]) -> None:
        """Encode the batch in one call, hand out the rows (or the error), free the encoder."""
        rows: np.ndarray | None = None
        error: BaseException | None = None
        try:
            rows = self.inner.encode([text for queued in batch for text in queued.texts])
            expected = sum(len(queued.texts) for queued in batch)
            if len(rows) != expected:
                raise RuntimeError(f"the embedder returned {len(rows)} rows for {expected} texts")
        except BaseException as exc:  # every caller of this batch must hear of it
            error = exc
        with self._cond:
            offset = 0
            for queued in batch:
                if error is None:
                    assert rows is not None
                    queued.rows = rows[offset : offset + len(queued.texts)]
                    offset += len(queued.texts)
                else:
                    queued.error = error
                queued.done = True
            self.batches += 1
            self._busy = False
            self._cond.notify_all()
