"""Benchmark corpora: real arXiv papers, real vectors for a sample, cached stores at scale.

* ``load_recent`` / ``load_old`` read the recorded arXiv cs dumps in ../shared/data/arxiv.
* ``real_vectors`` embeds a seeded sample of real abstracts once with the real model and caches
  the vectors as ``.npy`` in ``bench/.cache`` (resumable, chunk by chunk).
* ``synthetic_vectors`` gives papers beyond that sample a vector made from a *real* cached
  vector of another paper plus small gaussian noise, renormalised (stated in the results).
* ``build_store`` writes a data dir (Chroma + BM25) by upserting precomputed vectors; it is
  cached by size, so reruns reuse it.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from retrieval.embed import Embedder
from retrieval.models import Paper
from retrieval.sources.jsonl import parse_line

ROOT = Path(__file__).resolve().parents[1]
ARXIV = ROOT.parent / "shared" / "data" / "arxiv"
RECENT = ARXIV / "arxiv_cs_2025-03-18_2026-07-01.jsonl.gz"
OLD = ARXIV / "arxiv_cs_1994-2019.jsonl.gz"
CACHE = ROOT / "bench" / ".cache"
NOISE_SIGMA = 0.02  # per dimension; cosine to the source vector is ~0.93 for 384 dims
CHUNK = 500


def _read(path: Path, limit: int | None = None) -> list[Paper]:
    papers: list[Paper] = []
    with gzip.open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            result = parse_line(raw, f"{path}:{line_no}")
            if isinstance(result, Paper) and result.published is not None:
                papers.append(result)
                if limit is not None and len(papers) >= limit:
                    break
    return papers


def load_recent(limit: int | None = None) -> list[Paper]:
    """Real cs papers announced 2025-03-18 .. 2026-07-01 (with dates)."""
    return _read(RECENT, limit)


def load_old(limit: int | None = None) -> list[Paper]:
    """Real cs papers 1994-2019 (with dates)."""
    return _read(OLD, limit)


def sample(papers: list[Paper], n: int, seed: int = 7) -> list[Paper]:
    """A seeded random sample of ``n`` papers (order fixed by the seed)."""
    return random.Random(seed).sample(papers, min(n, len(papers)))


def real_vectors(
    embedder: Embedder, papers: list[Paper], name: str, log: Callable[[str], None] = print
) -> np.ndarray:
    """Real embeddings of ``papers`` (their ``text``), cached as ``.cache/<name>.npy``."""
    CACHE.mkdir(parents=True, exist_ok=True)
    final = CACHE / f"{name}.npy"
    ids_file = CACHE / f"{name}.ids.json"
    ids = [p.id for p in papers]
    if final.is_file() and ids_file.is_file() and json.loads(ids_file.read_text()) == ids:
        return np.load(final)
    for other in sorted(CACHE.glob("real-*.ids.json")):  # a larger cache with the same prefix
        cached = json.loads(other.read_text())
        if cached[: len(ids)] == ids:
            return np.load(other.with_name(other.name.replace(".ids.json", ".npy")))[: len(ids)]
    parts = CACHE / f"{name}.parts"
    parts.mkdir(exist_ok=True)
    chunks = []
    started = time.perf_counter()
    for start in range(0, len(papers), CHUNK):
        part = parts / f"{start:07d}.npy"
        part_ids = parts / f"{start:07d}.ids.json"
        chunk_ids = ids[start : start + CHUNK]
        if part.is_file() and part_ids.is_file() and json.loads(part_ids.read_text()) == chunk_ids:
            chunks.append(np.load(part))
            continue
        vecs = embedder.encode([p.text for p in papers[start : start + CHUNK]])
        np.save(part, vecs)
        part_ids.write_text(json.dumps(chunk_ids))
        chunks.append(vecs)
        done = start + len(chunk_ids)
        log(f"  embedded {done}/{len(papers)} ({time.perf_counter() - started:.0f}s)")
    vectors = np.concatenate(chunks).astype(np.float32)
    np.save(final, vectors)
    ids_file.write_text(json.dumps(ids))
    shutil.rmtree(parts, ignore_errors=True)
    return vectors


def synthetic_vectors(base: np.ndarray, n: int, seed: int = 11) -> np.ndarray:
    """``n`` vectors: a random real vector from ``base`` + gaussian noise, renormalised."""
    rng = np.random.default_rng(seed)
    picks = base[rng.integers(0, len(base), n)]
    vectors = picks + rng.normal(0.0, NOISE_SIGMA, picks.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def build_store(
    data_dir: Path,
    papers: list[Paper],
    vectors: np.ndarray,
    embedder: Embedder,
    log: Callable[[str], None] = print,
):
    """Open (or build once) a data dir holding exactly ``papers`` with ``vectors``.

    Returns ``(index, build_seconds or None when reused)``."""
    from retrieval.index import PaperIndex

    marker = data_dir / "bench_built.json"
    wanted = {"count": len(papers), "first": papers[0].id, "last": papers[-1].id}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        index = PaperIndex.open(data_dir, embedder)
        index.refresh()
        return index, None
    shutil.rmtree(data_dir, ignore_errors=True)
    started = time.perf_counter()
    index = PaperIndex.open(data_dir, embedder)
    step = 10_000
    for start in range(0, len(papers), step):
        index.store.upsert(papers[start : start + step], vectors[start : start + step])
        log(f"  upserted {min(start + step, len(papers))}/{len(papers)}")
    index.store.bump_revision()
    index.refresh()
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps(wanted))
    return index, seconds
