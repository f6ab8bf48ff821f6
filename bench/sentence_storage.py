"""Two ways to keep sentence vectors in Chroma, measured: bytes per paper and the time to read
~100 papers' vectors (what one question needs), in an embedded store.

* *blob*: a sibling collection with one record per paper, the vectors as int8 + scales in base64
  metadata (what ships, :mod:`retrieval.sentence_store`);
* *rows*: a sibling collection with one record per sentence (a real 384-d embedding each, HNSW
  indexed), read back with ``where={"paper": {"$in": ids}}``.

Vectors are random unit vectors (storage and read cost depend on sizes, not meaning); 8.7
sentences a paper, as measured on real abstracts by ``bench/sentence_embed.py``. Usage::

    python bench/sentence_storage.py [--papers 3000] [--reads 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retrieval.sentence_store import SentenceStore  # noqa: E402

DIM = 384


def folder_bytes(path: Path) -> int:
    """Bytes of every file under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def unit(rng: np.random.Generator, rows: int) -> np.ndarray:
    """``rows`` random unit vectors."""
    vectors = rng.normal(size=(rows, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _read_rows(col, some: list[str]) -> object:
    """One record per sentence: every row of the given papers."""
    return col.get(where={"paper": {"$in": list(some)}}, include=["embeddings", "metadatas"])


def main() -> None:
    """Build both layouts, measure, print JSON."""
    import chromadb
    from chromadb.config import Settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=3000)
    parser.add_argument("--reads", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    ids = [f"2601.{i:05d}" for i in range(args.papers)]
    rows = [int(r) for r in rng.integers(5, 13, args.papers)]  # mean 8.5
    matrices = [unit(rng, r) for r in rows]
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for layout in ("blob", "rows"):
            path = Path(tmp) / layout
            client = chromadb.PersistentClient(str(path), Settings(anonymized_telemetry=False))
            started = time.perf_counter()
            if layout == "blob":
                store = SentenceStore(client, "papers")
                store.put(ids, ["h"] * len(ids), matrices)
                read = store.get
            else:
                col = client.get_or_create_collection(
                    "papers.sentence-rows", configuration={"hnsw": {"space": "cosine"}}
                )
                for start in range(0, len(ids), 500):
                    part = range(start, min(start + 500, len(ids)))
                    col.upsert(
                        ids=[f"{ids[i]}#{j}" for i in part for j in range(rows[i])],
                        embeddings=np.concatenate([matrices[i] for i in part]),
                        metadatas=[
                            {"paper": ids[i], "row": j} for i in part for j in range(rows[i])
                        ],
                    )
                read = partial(_read_rows, col)
            write_s = time.perf_counter() - started
            times = []
            for _ in range(args.reads):
                some = [ids[i] for i in rng.choice(len(ids), 100, replace=False)]
                started = time.perf_counter()
                read(some)
                times.append((time.perf_counter() - started) * 1000)
            size = folder_bytes(path)
            out[layout] = {
                "write_papers_per_s": round(len(ids) / write_s, 1),
                "read_100_papers_ms_p50": round(statistics.median(times), 2),
                "disk_bytes_per_paper": round(size / len(ids)),
                "disk_gb_at_240k": round(size / len(ids) * 240_000 / 1e9, 2),
            }
    print(
        json.dumps({"papers": args.papers, "sentences_per_paper": np.mean(rows), **out}, indent=2)
    )


if __name__ == "__main__":
    main()
