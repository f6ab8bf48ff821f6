"""Data for the taste replay benchmark: the recorded Hugging Face days and their vectors.

The ~6.2k papers of ``../shared/data/hf_daily_papers`` are embedded once with the bundled model
and cached as ``.npy`` (+ ids) in the git-ignored ``bench/.cache/``; later runs load the cache.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from retrieval.models import Paper
from retrieval.sources.hf import read_daily_dir

ROOT = Path(__file__).resolve().parents[1]
HF_DAYS = ROOT.parent / "shared" / "data" / "hf_daily_papers"
CACHE = ROOT / "bench" / ".cache"


def load_papers(folder: Path = HF_DAYS) -> list[Paper]:
    """Every recorded paper, one per id (the first list day it appeared on wins)."""
    seen: dict[str, Paper] = {}
    for paper in read_daily_dir(folder).papers:
        seen.setdefault(paper.id, paper)
    return list(seen.values())


def load_vectors(papers: list[Paper], cache: Path = CACHE) -> dict[str, np.ndarray]:
    """Unit vectors of ``papers`` by id: from the cache, embedding (and caching) what is
    missing with the bundled all-MiniLM-L6-v2."""
    cache.mkdir(parents=True, exist_ok=True)
    ids_file, vec_file = cache / "taste_ids.json", cache / "taste_vectors.npy"
    vectors: dict[str, np.ndarray] = {}
    if ids_file.exists() and vec_file.exists():
        matrix = np.load(vec_file)
        vectors = dict(zip(json.loads(ids_file.read_text()), matrix, strict=True))
    missing = [p for p in papers if p.id not in vectors]
    if missing:
        from retrieval.embed import SentenceTransformerEmbedder

        started = time.perf_counter()
        print(f"embedding {len(missing)} papers once (cached in {cache}) ...", flush=True)
        embedder = SentenceTransformerEmbedder()
        vectors.update(
            zip([p.id for p in missing], embedder.encode([p.text for p in missing]), strict=True)
        )
        ids = list(vectors)
        np.save(vec_file, np.stack([vectors[i] for i in ids]).astype(np.float32))
        ids_file.write_text(json.dumps(ids))
        print(f"embedded in {time.perf_counter() - started:.0f} s", flush=True)
    return vectors


if __name__ == "__main__":
    found = load_papers()
    print(len(found), "papers;", len(load_vectors(found)), "vectors")
