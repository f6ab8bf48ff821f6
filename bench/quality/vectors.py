"""Embed each text once: an on-disk vector cache for the quality benchmark.

:class:`CachedEmbedder` wraps the real model and keeps every vector it ever computed in
``bench/.cache/vectors/<model>/`` as ``.npy`` shards (one ``float32 (n, dim)`` array and one JSON
list of text fingerprints per shard). Papers, sentences and questions all go through it, so the
whole retrieval code (ingest, search, the sentence signal, snippets) runs as it ships while the
model only sees text it has never seen. The model is loaded on the first miss.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

SHARD_ROWS = 4096


def fingerprint(text: str) -> str:
    """The cache key of one text."""
    return hashlib.sha1(text.encode()).hexdigest()


class CachedEmbedder:
    """An :class:`retrieval.embed.Embedder` that reads vectors from disk and embeds only misses."""

    def __init__(self, folder: Path, model: str, load: Callable[[str], object]) -> None:
        self.folder = folder
        self.spec = model
        self.name = "all-MiniLM-L6-v2" if model == "bundled" else model
        self._load = load
        self._model = None
        self._rows: dict[str, int] = {}
        self._chunks: list[np.ndarray] = []
        self._matrix = np.zeros((0, 384), dtype=np.float32)
        self.dim = 384
        self.embedded = 0
        self._read()

    def _read(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for keys_file in sorted(self.folder.glob("shard-*.json")):
            vectors = np.load(keys_file.with_suffix(".npy"))
            keys = json.loads(keys_file.read_text())
            if len(keys) != len(vectors):
                continue  # a shard cut short by an interrupted run
            self._add(keys, vectors)
        self._stack()

    def _add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        start = sum(len(c) for c in self._chunks)
        for i, key in enumerate(keys):
            self._rows.setdefault(key, start + i)
        self._chunks.append(vectors.astype(np.float32))
        if len(vectors):
            self.dim = int(vectors.shape[1])

    def _stack(self) -> None:
        if self._chunks:
            self._matrix = np.concatenate(self._chunks)
            self._chunks = [self._matrix]

    def __len__(self) -> int:
        return len(self._rows)

    def missing(self, texts: Iterable[str]) -> list[str]:
        """The distinct texts of ``texts`` that have no cached vector."""
        seen: set[str] = set()
        out = []
        for text in texts:
            key = fingerprint(text)
            if key not in self._rows and key not in seen:
                seen.add(key)
                out.append(text)
        return out

    def fill(self, texts: Sequence[str], label: str = "") -> None:
        """Embed the uncached ``texts`` in shards, saving each shard as soon as it is done."""
        todo = self.missing(texts)
        started = time.perf_counter()
        for first in range(0, len(todo), SHARD_ROWS):
            chunk = todo[first : first + SHARD_ROWS]
            vectors = self._model_encode(chunk)
            keys = [fingerprint(t) for t in chunk]
            name = f"shard-{time.time_ns()}"
            np.save(self.folder / f"{name}.npy", vectors)
            (self.folder / f"{name}.json").write_text(json.dumps(keys))
            self._add(keys, vectors)
            done = first + len(chunk)
            rate = done / (time.perf_counter() - started)
            print(f"[vectors{label}] {done}/{len(todo)} ({rate:.0f} texts/s)", file=sys.stderr)
        self._stack()

    def _model_encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            self._model = self._load(self.spec)
        self.embedded += len(texts)
        return self._model.encode(texts)  # type: ignore[attr-defined]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``: cached rows, the misses embedded (and cached in memory)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.missing(texts):
            self.fill(texts)
        rows = [self._rows[fingerprint(t)] for t in texts]
        return self._matrix[rows]
