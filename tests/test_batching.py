"""The micro-batching query encoder: callers that arrive together share one model call, each
gets exactly its own rows, and a failing model call reaches every caller of that batch only.

Concurrency here is arranged, not timed: the first model call is held on a gate until the other
callers are seen queued behind it, so the second batch is known to hold all of them."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from retrieval.batching import BatchingEmbedder

DIM = 8


def vector_of(text: str) -> np.ndarray:
    """A unit vector that depends on the text alone."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


class GatedEmbedder:
    """Encodes deterministically (or with ``model``); records every call; the first call waits
    for ``gate``; a text ``"boom"`` makes the call fail."""

    name = "gated"
    dim = DIM
    spec = "gated-spec"

    def __init__(self, model=None) -> None:  # noqa: ANN001
        self.model = model
        self.calls: list[list[str]] = []
        self.gate = threading.Event()
        self.entered = threading.Event()

    def encode(self, texts):
        texts = list(texts)
        self.calls.append(texts)
        if len(self.calls) == 1:
            self.entered.set()
            assert self.gate.wait(30), "the test never opened the gate"
        if "boom" in texts:
            raise ValueError("the model failed")
        if self.model is not None:
            return self.model.encode(texts)
        return np.stack([vector_of(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def extra(self) -> str:
        return "from the wrapped embedder"


def queued(batching: BatchingEmbedder, n: int) -> None:
    """Wait until ``n`` callers are queued behind the running batch."""
    deadline = time.monotonic() + 30
    while len(batching._queue) < n:
        assert time.monotonic() < deadline, f"only {len(batching._queue)} of {n} callers queued"
        time.sleep(0.005)


def test_callers_queued_together_share_one_call_and_get_their_own_rows() -> None:
    inner = GatedEmbedder()
    batching = BatchingEmbedder(inner)
    questions = [[f"question {i}"] if i % 3 else [f"q{i} a", f"q{i} b"] for i in range(9)]
    with ThreadPoolExecutor(len(questions)) as pool:
        first = pool.submit(batching.encode, questions[0])
        assert inner.entered.wait(30)
        rest = [pool.submit(batching.encode, texts) for texts in questions[1:]]
        queued(batching, len(rest))
        inner.gate.set()
        results = [first.result(30)] + [f.result(30) for f in rest]

    assert len(inner.calls) == 2 and batching.batches == 2
    assert inner.calls[0] == questions[0]
    assert sorted(inner.calls[1]) == sorted(t for texts in questions[1:] for t in texts)
    for texts, rows in zip(questions, results, strict=True):
        assert rows.shape == (len(texts), DIM)
        np.testing.assert_array_equal(rows, inner.encode(texts))  # what a lone call gives


def test_a_failure_reaches_every_caller_of_its_batch_and_the_next_batch_works() -> None:
    inner = GatedEmbedder()
    batching = BatchingEmbedder(inner)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batching.encode, ["first"])
        assert inner.entered.wait(30)
        doomed = [pool.submit(batching.encode, [t]) for t in ("boom", "innocent", "bystander")]
        queued(batching, 3)
        inner.gate.set()
        np.testing.assert_array_equal(first.result(30), vector_of("first")[None])
        for future in doomed:
            with pytest.raises(ValueError, match="the model failed"):
                future.result(30)

    after = batching.encode(["after"])  # the encoder is free again
    np.testing.assert_array_equal(after, vector_of("after")[None])
    assert inner.calls[-1] == ["after"]


def test_large_calls_bypass_the_queue() -> None:
    inner = GatedEmbedder()
    inner.gate.set()
    batching = BatchingEmbedder(inner, max_call=4)
    big = [f"abstract {i}" for i in range(10)]  # an ingest batch: straight through
    np.testing.assert_array_equal(batching.encode(big), inner.encode(big))
    assert batching.batches == 0
    assert batching.encode([]).shape == (0, DIM)


def test_a_merged_call_holds_at_most_max_batch_texts_first_come_first_served() -> None:
    inner = GatedEmbedder()
    batching = BatchingEmbedder(inner, max_batch=4, max_call=2)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(batching.encode, ["first"])
        assert inner.entered.wait(30)
        waiting = []
        for n, texts in enumerate([["a1", "a2"], ["b1"], ["c1", "c2"], ["d1"]], start=1):
            waiting.append(pool.submit(batching.encode, texts))
            queued(batching, n)  # one at a time, so the queue's order is known
        inner.gate.set()
        first.result(30)
        for future in waiting:
            future.result(30)
    assert inner.calls[1:] == [["a1", "a2", "b1"], ["c1", "c2", "d1"]]


def test_the_wrapper_stands_in_for_the_embedder() -> None:
    inner = GatedEmbedder()
    batching = BatchingEmbedder(inner)
    assert (batching.name, batching.dim, batching.spec) == ("gated", DIM, "gated-spec")
    assert batching.extra() == "from the wrapped embedder"


def test_with_the_real_model_batched_questions_match_single_encodes(embedder) -> None:
    """all-MiniLM-L6-v2 over a padded batch gives each question the vector it gets alone."""
    inner = GatedEmbedder(model=embedder)
    batching = BatchingEmbedder(inner)
    questions = [
        "fast FFT-based attention papers",
        "diffusion transformers for video generation",
        "quantization of large language models",
        "3D reconstruction from many images in one pass",
        "spiking neural networks",
        "learned image compression with entropy models",
    ]
    with ThreadPoolExecutor(len(questions)) as pool:
        first = pool.submit(batching.encode, questions[:1])
        assert inner.entered.wait(30)
        rest = [pool.submit(batching.encode, [q]) for q in questions[1:]]
        queued(batching, len(rest))
        inner.gate.set()
        results = [first.result(60)] + [f.result(60) for f in rest]
    assert len(inner.calls) == 2 and len(inner.calls[1]) == len(questions) - 1
    for question, rows in zip(questions, results, strict=True):
        np.testing.assert_allclose(rows, embedder.encode([question]), atol=2e-5)
