"""Paperboy benchmarks: ingest (with sentence vectors) vs raw encode, warm search latency at 10k
and 100k+ (the full answer, a page of 5 with snippets, against the floor), cold CLI.

Run ``make bench`` (or ``python bench/run_bench.py [--quick]``). Prints a Markdown table and
writes ``bench/results/bench.json``. What is real and what is synthesised: see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import scale_data as sd  # noqa: E402
from bench_table import CLI_QUESTION, fmt_table, machine  # noqa: E402

from bench.stats import percentiles_ms  # noqa: E402
from retrieval.embed import SentenceTransformerEmbedder  # noqa: E402
from retrieval.index import CANDIDATES, PaperIndex  # noqa: E402
from retrieval.models import Paper, SearchQuery  # noqa: E402
from retrieval.records import day_to_yyyymmdd  # noqa: E402
from retrieval.search import Candidates  # noqa: E402

RESULTS = sd.ROOT / "bench" / "results"
PAGE = 5  # papers on a page, each with its snippet


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(message, file=sys.stderr, flush=True)


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Seconds for ``fn`` (best of nothing: one run, measured as is)."""
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return time.perf_counter() - started


def latency(fn: Callable[[str], object], queries: list[str], warmup: int = 5) -> dict:
    """p50/p95/mean milliseconds of ``fn(q)`` over ``queries`` after a few warm-up calls."""
    for q in queries[:warmup]:
        fn(q)
    samples = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        samples.append((time.perf_counter() - started) * 1000)
    return {
        **percentiles_ms(samples, 2),
        "mean_ms": round(statistics.fmean(samples), 2),
        "n": len(samples),
    }


def make_queries(papers: list[Paper], n: int) -> list[str]:
    """Short realistic questions: a title's key phrase (before a colon, else its first words)."""
    out: list[str] = []
    for paper in sd.sample(papers, n * 2, seed=23):
        head = paper.title.split(":")[0] if ":" in paper.title else paper.title
        words = head.split()
        if len(words) < 2:
            words = paper.title.split()
        phrase = " ".join(words[:6]).strip(" .,;").lower()
        if len(phrase) > 5 and phrase not in out:
            out.append(phrase)
        if len(out) == n:
            break
    return out


def bench_ingest(embedder, papers: list[Paper]) -> dict:
    """Raw model encode rate vs PaperIndex.ingest throughput vs re-ingest, same papers."""
    texts = [p.text for p in papers]
    embedder.encode(texts[:64])  # warm-up
    encode_s = timed(lambda: embedder.encode(texts))
    folder = sd.CACHE / "ingest-tmp"
    shutil.rmtree(folder, ignore_errors=True)
    index = PaperIndex.open(folder, embedder)
    ingest_s = timed(lambda: index.ingest(papers))
    report = {}
    reingest_s = timed(lambda: report.setdefault("r", index.ingest(papers)))
    stored = index.sentence_store().count()  # papers whose sentence vectors ingest stored
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "papers": len(papers),
        "raw_encode_s": round(encode_s, 2),
        "raw_encode_per_s": round(len(papers) / encode_s, 1),
        "ingest_s": round(ingest_s, 2),
        "ingest_per_s": round(len(papers) / ingest_s, 1),
        "ingest_vs_raw": round(encode_s / ingest_s, 2),
        "sentence_vectors_stored": stored,
        "reingest_s": round(reingest_s, 2),
        "reingest_added": report["r"].added,
        "reingest_updated_text": report["r"].updated_text,
        "load": os.getloadavg(),
    }


def retrieve(index: PaperIndex, text: str, since=None) -> Candidates:
    """Hybrid candidates only (encode + dense + BM25 + MaxSim re-scoring + fusion), no page
    fetch or snippets."""
    keep = index.catalogue().mask(since, None, None)
    vector = index.embedder.encode([text])[0]
    dense = index._search.dense(vector, CANDIDATES, keep)
    lexical = index._search.lexical(text, CANDIDATES, keep)
    return index._search.fuse(dense, lexical, "hybrid", text, vector)


def bench_search(index: PaperIndex, queries: list[str], full_n: int) -> dict:
    """Latency rows for one store (see README for what each row measures)."""
    cat = index.catalogue()
    newest = sd_date(int(cat.day.max()))
    week, year = newest - timedelta(days=6), newest - timedelta(days=364)
    col = index.store._col
    enc = index.embedder.encode
    vectors = {q: enc([q])[0] for q in queries}
    rows: dict[str, dict] = {}

    def chroma_where(since):
        n = day_to_yyyymmdd(since)
        return lambda q: col.query(
            query_embeddings=vectors[q].reshape(1, -1),
            n_results=CANDIDATES,
            where={"published": {"$gte": n}},
            include=["distances"],
        )

    def ours(since):
        return lambda q: index._search.dense(vectors[q], CANDIDATES, cat.mask(since, None, None))

    def search(since):
        return lambda q: index.search(SearchQuery(text=q, since=since, limit=PAGE))

    filled = prepare_sentences(index, queries[:full_n], (None, week, year))

    plan = [
        ("floor: encode + store.nearest top-10", lambda q: index.store.nearest(enc([q])[0], 10)),
        ("hybrid candidates, no filter", lambda q: retrieve(index, q)),
        ("hybrid candidates, 7-day filter", lambda q: retrieve(index, q, week)),
        ("hybrid candidates, 1-year filter", lambda q: retrieve(index, q, year)),
        ("index.search() full, no filter", search(None)),
        ("index.search() full, 7-day filter", search(week)),
        ("index.search() full, 1-year filter", search(year)),
        (
            "dense top-100 only, no filter (vector given)",
            lambda q: index.store.nearest(vectors[q], CANDIDATES),
        ),
        ("dense top-100, 7-day: our catalogue mask", ours(week)),
        ("dense top-100, 7-day: Chroma where", chroma_where(week)),
        ("dense top-100, 1-year: our catalogue mask", ours(year)),
        ("dense top-100, 1-year: Chroma where", chroma_where(year)),
    ]
    for name, fn in plan:
        # the rows that read sentence vectors time only the questions whose papers have them
        prepared = "full" in name or "hybrid" in name
        rows[name] = latency(fn, queries[:full_n] if prepared else queries)
        log(f"    {name}: {rows[name]}")
    floor = rows["floor: encode + store.nearest top-10"]["p50_ms"]
    ratios = {
        label: round(rows[f"index.search() full, {label}"]["p50_ms"] / floor, 2)
        for label in ("no filter", "7-day filter", "1-year filter")
    }
    return {
        "papers": len(cat),
        "full_vs_floor_p50": ratios,
        "sentence_vectors_made_for_pages": filled,
        "papers_embedded_for_snippets_while_timed": index._sentences.filled - filled,
        "newest_day": newest.isoformat(),
        "in_7_days": int(cat.mask(week, None, None).sum()),
        "in_1_year": int(cat.mask(year, None, None).sum()),
        "rows": rows,
        "load": os.getloadavg(),
    }


def prepare_sentences(index: PaperIndex, queries: list[str], windows: tuple) -> int:
    """Give every paper the timed questions put on a page real sentence vectors: one untimed
    pass makes them from the paper's real title and abstract with the shipped model and stores
    them in the sentence collection, as ingest does (the bench stores are built without them).
    The in-memory cache is then emptied, so timed questions read them from Chroma. Returns the
    papers filled."""
    before = index._sentences.filled
    for q in queries:
        for since in windows:
            index.search(SearchQuery(text=q, since=since, limit=PAGE))
    index._sentences.clear()
    return index._sentences.filled - before


def sd_date(ordinal: int):
    from datetime import date

    return date.fromordinal(ordinal)


def bench_cli(data_dir: Path, runs: int = 3) -> dict:
    """Cold ``paperboy ask --json`` on a populated data dir: process start + model + answer."""
    exe = Path(sys.executable).parent / "paperboy"
    env = {**os.environ, "PAPERBOY_DATA_DIR": str(data_dir)}
    times, top = [], None
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(
            [str(exe), "ask", "--json", CLI_QUESTION],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(time.perf_counter() - started)
        top = json.loads(out.stdout.splitlines()[0])["results"][0]["title"]
    return {
        "median_s": round(statistics.median(times), 2),
        "runs_s": [round(t, 2) for t in times],
        "papers": None,
        "top_hit": top,
    }


def build_corpora(real_n: int, small_n: int, large_n: int, embedder) -> tuple[list, list]:
    """(papers, vectors) for the small and the large store; the first ``real_n`` papers (a
    seeded sample of the recent dump) have real vectors, the rest synthesised ones."""
    started = time.perf_counter()
    recent = sd.load_recent()
    real = sd.sample(recent, real_n)
    log(f"  read {len(recent)} recent papers in {time.perf_counter() - started:.0f}s")
    real_vecs = sd.real_vectors(embedder, real, f"real-{real_n}", log)
    chosen = {p.id for p in real}
    rest = [p for p in recent if p.id not in chosen]
    if real_n + len(rest) < large_n:
        old = sd.load_old(large_n - real_n - len(rest) + 1000)
        rest += [p for p in old if p.id not in chosen][: large_n - real_n - len(rest)]
    rest = rest[: large_n - real_n]
    large = real + rest
    large_vecs = np.concatenate([real_vecs, sd.synthetic_vectors(real_vecs, len(rest))])
    return [large[:small_n], large_vecs[:small_n]], [large, large_vecs]


def main() -> None:
    """Run every benchmark; print the table; write bench/results/bench.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--real", type=int, default=10_000, help="papers with real vectors")
    parser.add_argument("--small", type=int, default=10_000, help="papers in the small store")
    parser.add_argument("--large", type=int, default=240_000, help="papers in the large store")
    parser.add_argument("--queries", type=int, default=120)
    parser.add_argument("--full-queries", type=int, default=40, help="for index.search() rows")
    parser.add_argument("--ingest", type=int, default=500, help="papers for the ingest test")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench.json")
    args = parser.parse_args()
    if args.quick:
        args.real, args.small, args.large, args.queries, args.ingest = 500, 1000, 5000, 30, 50
        args.full_queries = 10
        args.out = RESULTS / "bench-quick.json"
    started = time.perf_counter()
    result: dict = {
        "machine": machine(),
        "load_start": os.getloadavg(),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    embedder = SentenceTransformerEmbedder()
    log("corpora ...")
    (real, real_vecs), (large, large_vecs) = build_corpora(
        args.real, args.small, args.large, embedder
    )
    queries = make_queries(large, args.queries)
    log(f"ingest throughput on {args.ingest} papers ...")
    result["ingest"] = bench_ingest(embedder, sd.load_old(args.ingest))
    log(f"  {result['ingest']}")
    result["search"] = []

    def kind(n: int) -> str:
        return "real vectors" if n <= args.real else f"{args.real:,} real vectors + synthesised"

    for papers, vectors in ((real, real_vecs), (large, large_vecs)):
        folder = sd.CACHE / f"store-{len(papers)}"
        log(f"store {folder.name} ...")
        index, build_s = sd.build_store(folder, papers, vectors, embedder, log)
        log(f"  built in {build_s:.0f} s" if build_s else "  reused")
        entry = bench_search(index, queries, args.full_queries)
        entry.update(vectors=kind(len(papers)), build_s=build_s, data_dir=str(folder))
        result["search"].append(entry)
        del index
    log("cold CLI ...")
    result["cli"] = bench_cli(sd.CACHE / f"store-{len(real)}")
    result["cli"]["papers"] = len(real)
    result["load_end"] = os.getloadavg()
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["queries_sample"] = queries[:10]
    result["table_md"] = fmt_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    print(result["table_md"])
    print(f"\n(total {result['total_s']} s; written to {args.out})")


if __name__ == "__main__":
    main()
