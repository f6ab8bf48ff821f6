"""Search-quality benchmark: dense, BM25, the old and the new hybrid on three judged sets.

Usage (from the repository root, in the project's venv)::

    python bench/eval_quality.py                      # every set, every method
    python bench/eval_quality.py --only fast --method hybrid dense --limit-queries 5
    python bench/eval_quality.py --only broad --variant maxsim=0.3 cov=2   # tuning runs

Sets: ``fast`` (the judged fast-transforms questions over the 119-paper listing), ``csfcube``
(query by example over CSFCube's 4,205 papers, both folds) and ``broad`` (the listing mixed with
every recorded Hugging Face daily paper, ~6.3k, and its own judged questions, parsed as the bot
parses them, author and date filters included). Methods: see ``bench/quality/methods.py``.

Every text (paper, sentence, question) is embedded once: vectors are cached as ``.npy`` shards in
``bench/.cache/vectors/`` and the indexes in ``bench/.cache/<set>/``, so a re-run embeds nothing.
Prints Markdown tables and writes ``bench/results/quality.json`` (aggregates, per-question
wins/losses against ``hybrid-rrf``) and ``bench/results/quality_per_query.json`` (per-query
nDCG and top ids); each file is merged by set. ``--pool FILE`` writes the pooled top-10s of the
broad set with titles and abstracts, for judging.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bench.quality.corpora import load  # noqa: E402
from bench.quality.csfcube import eval_csfcube  # noqa: E402
from bench.quality.judged import eval_judged, pool  # noqa: E402
from bench.quality.methods import METHODS, methods  # noqa: E402
from bench.quality.report import markdown  # noqa: E402
from bench.quality.vectors import CachedEmbedder  # noqa: E402

BROAD_TODAY = date(2026, 8, 22)  # the day after the last recorded daily list
SETS = ("fast", "csfcube", "broad")


def open_index(name: str, cache: Path, embedder: CachedEmbedder, data: Path):
    """Open (or build) the cached index ``cache/name`` and ingest corpus ``name`` into it.

    Returns the index and the set of paper ids of the corpus."""
    from retrieval.index import PaperIndex

    papers = load(name, data)
    embedder.fill([p.text for p in papers], f" {name} papers")
    index = PaperIndex.open(cache / name, embedder)
    started = time.perf_counter()
    report = index.ingest(papers)
    print(
        f"[{name}] {report.seen} papers, {report.embedded} embedded, {report.unchanged} unchanged "
        f"({time.perf_counter() - started:.1f}s)",
        file=sys.stderr,
    )
    return index, {p.id for p in papers}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    data = ROOT.parent / "shared" / "data"
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", choices=SETS, default=list(SETS), help="sets to run")
    p.add_argument("--method", nargs="+", choices=list(METHODS), default=list(METHODS))
    p.add_argument("--variant", nargs="*", default=[], help="extra hybrid fusions, for tuning")
    p.add_argument("--limit-queries", type=int, help="evaluate only the first N queries per set")
    p.add_argument(
        "--csf-query",
        nargs="+",
        choices=["paper", "facet"],
        default=["paper", "facet"],
        help="CSFCube query: similar(paper id) and/or search(facet sentences)",
    )
    p.add_argument("--model", default="bundled", help="sentence-transformers model")
    p.add_argument("--data", type=Path, default=data, help="the shared data folder")
    quality = ROOT / "bench/quality"
    p.add_argument("--queries", type=Path, default=quality / "fast_transforms_queries.json")
    p.add_argument("--broad-queries", type=Path, default=quality / "broad_queries.json")
    p.add_argument("--cache", type=Path, default=ROOT / "bench/.cache")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/quality.json")
    p.add_argument(
        "--per-query-out", type=Path, default=ROOT / "bench/results/quality_per_query.json"
    )
    p.add_argument("--pool", type=Path, help="write the broad set's pooled top-10s here")
    return p.parse_args(argv)


def merge_write(path: Path, sections: dict) -> dict:
    """Write ``sections`` into the JSON file at ``path``, keeping the sets this run did not touch."""
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(sections)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2) + "\n")
    return merged


def write_pool(path: Path, index, queries: list[dict], details: dict) -> None:
    """The pooled top-10s of every method, with each paper's title and abstract, for judging."""
    pooled = pool(details)
    out = []
    for q in queries:
        papers = index.store.get_many(pooled[q["qid"]])
        rows = [
            {"id": pid, "title": papers[pid].title, "abstract": papers[pid].abstract,
             "grade": q["judgments"].get(pid)}
            for pid in pooled[q["qid"]] if pid in papers
        ]  # fmt: skip
        out.append({"qid": q["qid"], "query": q["query"], "pool": rows})
    path.write_text(json.dumps(out, indent=1) + "\n")


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the selected evaluations, write/merge the JSON files and print the Markdown tables."""
    args = parse_args(argv)
    chosen = methods(args.method, args.variant)
    embedder = CachedEmbedder(args.cache / "vectors" / args.model, args.model, _load_model)
    run = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()}-core CPU ({platform.machine()}), {platform.python_version()}",
        "model": embedder.name,
        "limit_queries": args.limit_queries,
    }
    results: dict = {}
    details: dict = {}
    for name, path, today in (
        ("fast", args.queries, None),
        ("broad", args.broad_queries, BROAD_TODAY),
    ):
        if name not in args.only:
            continue
        queries = json.loads(path.read_text())[: args.limit_queries]
        index, ids = open_index(name, args.cache, embedder, args.data)
        key = "fast_transforms" if name == "fast" else name
        summary, details[key] = eval_judged(index, ids, queries, chosen, today)
        results[key] = {**run, "queries": len(queries), "papers": len(ids), "modes": summary}
        if name == "broad" and args.pool:
            write_pool(args.pool, index, queries, details[key])
    if "csfcube" in args.only:
        root = args.data / "csfcube"
        index, ids = open_index("csfcube", args.cache, embedder, args.data)
        styles, details["csfcube"] = eval_csfcube(
            index, ids, root, chosen, args.csf_query, args.limit_queries
        )
        relevant = "judged rel >= 1; query paper excluded"
        results["csfcube"] = {**run, "relevant": relevant, "styles": styles}
    print(f"[vectors] {embedder.embedded} texts embedded in this run", file=sys.stderr)
    merge_write(args.per_query_out, details)
    merge_write(args.out, results)
    print(markdown(results))
    return results


def _load_model(spec: str):
    from retrieval.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model=spec)


if __name__ == "__main__":
    main()
