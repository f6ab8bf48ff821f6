"""Search-quality benchmark: judged queries over the fast-transforms listing, and CSFCube.

Usage (from the repository root, in the project's venv)::

    python bench/eval_quality.py                      # both sets, modes dense/lexical/hybrid
    python bench/eval_quality.py --only fast --mode hybrid dense --limit-queries 5

Prints Markdown tables and writes ``bench/results/quality.json`` (aggregates) and
``bench/results/quality_per_query.json`` (per-query nDCG and top ids, for tuning fusion); each
file is merged by set, so ``--only fast`` keeps the last CSFCube numbers (each set has its date).
Indexes live in ``bench/.cache/<set>/``; the index is incremental, so a re-run embeds nothing.

* fast-transforms: ``bench/quality/fast_transforms_queries.json`` (graded 1-3, unlisted = 0);
  nDCG@10, Recall@10 (grade >= 1) and MRR@10 of ``index.search``.
* CSFCube: query by example over the 4,205-paper corpus (``--csf-query paper`` uses
  ``index.similar`` and ignores the facet; ``--csf-query facet`` searches with the query's facet
  sentences as text). The query paper is dropped from the results and from the judgments;
  only judged documents with rel >= 1 are relevant; nDCG uses the graded rel (linear gain).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.quality.metrics import mean, mrr_at_k, ndcg_at_k, recall_at_k  # noqa: E402
from bench.quality.report import markdown  # noqa: E402

MODES = ("dense", "lexical", "hybrid")
Ranker = Callable[[dict], list[str]]


# ---------------------------------------------------------------- index and timing
def open_index(name: str, cache: Path, model: str, papers_path: Path):
    """Open (or build) the cached index ``cache/name`` and ingest one JSONL file into it.

    Returns the index and the set of paper ids read from the file.
    """
    from retrieval.embed import SentenceTransformerEmbedder
    from retrieval.index import PaperIndex
    from retrieval.sources.jsonl import read_jsonl

    outcome = read_jsonl(papers_path)
    if outcome.problems:
        print(f"[{name}] skipped {len(outcome.problems)}: {outcome.problems[0]}", file=sys.stderr)
    index = PaperIndex.open(cache / name, SentenceTransformerEmbedder(model=model))
    started = time.perf_counter()
    report = index.ingest(outcome.papers)
    print(
        f"[{name}] {report.seen} papers, {report.embedded} embedded, {report.unchanged} unchanged "
        f"({time.perf_counter() - started:.1f}s)",
        file=sys.stderr,
    )
    return index, {p.id for p in outcome.papers}


def run_all(rank: Ranker, queries: Sequence[dict]) -> tuple[list[list[str]], float]:
    """Rank every query; returns the rankings and the median wall time per query in ms."""
    rankings, clock = [], []
    for query in queries:
        started = time.perf_counter()
        rankings.append(rank(query))
        clock.append((time.perf_counter() - started) * 1000)
    return rankings, round(statistics.median(clock), 1) if clock else 0.0


def averages(scores: dict[str, dict[str, float]], qids: Iterable[str] | None = None) -> dict:
    """Mean of each metric over ``qids`` (all queries when None), with the query count."""
    chosen = [scores[q] for q in (scores if qids is None else qids) if q in scores]
    names = list(chosen[0]) if chosen else []
    return {"queries": len(chosen), **{n: mean([c[n] for c in chosen]) for n in names}}


# ---------------------------------------------------------------- fast-transforms set
def eval_fast(index, ids: set[str], queries: list[dict], modes: Sequence[str]) -> tuple[dict, dict]:
    """Search each judged query in each mode; returns (aggregates, per-query details)."""
    from retrieval.models import SearchQuery

    missing = {d for q in queries for d in q["judgments"] if d not in ids}
    if missing:
        raise SystemExit(f"{len(missing)} judged ids are not in the corpus, e.g. {min(missing)}")
    details = {q["qid"]: {"query": q["query"], "kind": q["kind"]} for q in queries}
    summary: dict[str, dict] = {}
    for mode in modes:

        def rank(q: dict, m: str = mode) -> list[str]:
            hits = index.search(SearchQuery(text=q["query"], limit=10), mode=m).hits
            return [h.paper.id for h in hits]

        rankings, ms = run_all(rank, queries)
        scores = {}
        for q, ranked in zip(queries, rankings, strict=True):
            rel = q["judgments"]
            scores[q["qid"]] = {
                "ndcg@10": ndcg_at_k(ranked, rel, 10),
                "recall@10": recall_at_k(ranked, rel, 10),
                "mrr@10": mrr_at_k(ranked, rel, 10),
            }
            details[q["qid"]][mode] = {
                "ndcg@10": round(scores[q["qid"]]["ndcg@10"], 4),
                "top10": ranked,
            }
        kinds = sorted({q["kind"] for q in queries})
        summary[mode] = {
            **averages(scores),
            "ndcg@10_by_kind": {
                k: averages(scores, [q["qid"] for q in queries if q["kind"] == k])["ndcg@10"]
                for k in kinds
            },
            "ms_per_query": ms,
        }
    return summary, details


# ---------------------------------------------------------------- CSFCube
def load_csfcube(root: Path) -> tuple[list[dict], dict[str, dict[str, int]], dict]:
    """Queries, qrels (minus the query paper's own judgment) and the evaluation splits."""
    queries = [json.loads(line) for line in (root / "queries.jsonl").open()]
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (root / "qrels.trec").open():
        qid, _, doc, rel = line.split()
        if doc != qid.split("_")[0]:
            qrels[qid][doc] = int(rel)
    splits = json.loads((root / "evaluation_splits.json").read_text())
    return queries, dict(qrels), splits


def csfcube_ranker(index, style: str, mode: str) -> Ranker:
    """Query by example: ``similar(paper id)`` or ``search(facet sentences)``, 20 hits, no self."""
    from retrieval.models import SearchQuery

    def rank(q: dict) -> list[str]:
        if style == "paper":
            hits = index.similar(q["query_paper_id"], limit=21, mode=mode).hits
        else:
            text = " ".join(q["facet_sentences"])
            hits = index.search(SearchQuery(text=text, limit=21), mode=mode).hits
        return [h.paper.id for h in hits if h.paper.id != q["query_paper_id"]][:20]

    return rank


def eval_csfcube(
    index, ids: set[str], root: Path, modes: Sequence[str], styles: Sequence[str], limit: int | None
) -> tuple[dict, dict]:
    """Query-by-example over CSFCube; returns (aggregates, per-query nDCG@20)."""
    queries, qrels, splits = load_csfcube(root)
    queries = queries[:limit] if limit else queries
    absent = [q["query_paper_id"] for q in queries if q["query_paper_id"] not in ids]
    if absent:
        raise SystemExit(f"query papers not in the corpus index: {absent[:5]}")
    names = sorted({q["facet"] for q in queries})
    # each facet's queries are split in two halves; "fold1"/"fold2" = the test half of each fold
    folds = {f: [q for n in names for q in splits[n][f"{f}_test"]] for f in ("fold1", "fold2")}
    facets = {n: [q["query_id"] for q in queries if q["facet"] == n] for n in names}
    summary: dict[str, dict] = {}
    details = {q["query_id"]: {"title": q["title"], "facet": q["facet"]} for q in queries}
    for style in styles:
        for mode in modes:
            rankings, ms = run_all(csfcube_ranker(index, style, mode), queries)
            scores = {}
            for q, ranked in zip(queries, rankings, strict=True):
                rel = qrels[q["query_id"]]
                scores[q["query_id"]] = {
                    "ndcg@10": ndcg_at_k(ranked, rel, 10),
                    "ndcg@20": ndcg_at_k(ranked, rel, 20),
                    "recall@20": recall_at_k(ranked, rel, 20),
                }
                details[q["query_id"]][f"{style}/{mode}"] = round(
                    scores[q["query_id"]]["ndcg@20"], 4
                )
            summary.setdefault(style, {})[mode] = {
                "all": averages(scores),
                **{name: averages(scores, qids) for name, qids in folds.items()},
                "by_facet": {f: averages(scores, qids) for f, qids in facets.items()},
                "ms_per_query": ms,
            }
    return summary, details


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    data = ROOT.parent / "shared" / "data"
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", choices=["fast", "csfcube"], help="run one set only")
    p.add_argument("--mode", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--limit-queries", type=int, help="evaluate only the first N queries per set")
    p.add_argument(
        "--csf-query",
        nargs="+",
        choices=["paper", "facet"],
        default=["paper", "facet"],
        help="CSFCube query: similar(paper id) and/or search(facet sentences)",
    )
    p.add_argument(
        "--model", default="bundled", help="embedding model for SentenceTransformerEmbedder"
    )
    p.add_argument("--data", type=Path, default=data, help="the shared data folder")
    p.add_argument(
        "--queries", type=Path, default=ROOT / "bench/quality/fast_transforms_queries.json"
    )
    p.add_argument("--cache", type=Path, default=ROOT / "bench/.cache")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/quality.json")
    p.add_argument(
        "--per-query-out", type=Path, default=ROOT / "bench/results/quality_per_query.json"
    )
    return p.parse_args(argv)


def merge_write(path: Path, sections: dict) -> dict:
    """Write ``sections`` into the JSON file at ``path``, keeping the sets this run did not touch."""
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(sections)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2) + "\n")
    return merged


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the selected evaluations, write/merge the JSON files and print the Markdown tables."""
    args = parse_args(argv)
    run = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()}-core CPU ({platform.machine()}), {platform.python_version()}",
        "model": "all-MiniLM-L6-v2" if args.model == "bundled" else args.model,
        "limit_queries": args.limit_queries,
    }
    results: dict = {}
    details: dict = {}
    if args.only in (None, "fast"):
        queries = json.loads(args.queries.read_text())[: args.limit_queries]
        index, ids = open_index(
            "fast_transforms", args.cache, args.model, args.data / "papers_fast_transforms.jsonl"
        )
        modes, details["fast_transforms"] = eval_fast(index, ids, queries, args.mode)
        results["fast_transforms"] = {**run, "queries": len(queries), "modes": modes}
    if args.only in (None, "csfcube"):
        root = args.data / "csfcube"
        index, ids = open_index("csfcube", args.cache, args.model, root / "corpus.jsonl")
        styles, details["csfcube"] = eval_csfcube(
            index, ids, root, args.mode, args.csf_query, args.limit_queries
        )
        relevant = "judged rel >= 1; query paper excluded"
        results["csfcube"] = {**run, "relevant": relevant, "styles": styles}
    merge_write(args.per_query_out, details)
    merge_write(args.out, results)
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
