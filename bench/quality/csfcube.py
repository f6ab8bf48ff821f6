"""CSFCube query by example: ``similar(paper id)`` or ``search(facet sentences)`` per method.

The query paper is dropped from the results and from the judgments; only judged documents with
rel >= 1 are relevant; nDCG uses the graded rel (linear gain). "fold1"/"fold2" are the test
halves of ``evaluation_splits.json``'s two folds, each facet's queries split in two.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.quality.judged import prefetch_sentences
from bench.quality.methods import BASELINE, Method, using, wins_losses
from bench.quality.metrics import ndcg_at_k, recall_at_k
from bench.quality.scoring import averages, run_all


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


def facet_text(query: dict) -> str:
    """The text of a facet query: its facet sentences."""
    return " ".join(query["facet_sentences"])


def csfcube_ranker(index, style: str, mode: str) -> Callable[[dict], list[str]]:
    """Query by example: ``similar(paper id)`` or ``search(facet sentences)``, 20 hits, no self."""
    from retrieval.models import SearchQuery

    def rank(q: dict) -> list[str]:
        if style == "paper":
            hits = index.similar(q["query_paper_id"], limit=21, mode=mode).hits
        else:
            hits = index.search(SearchQuery(text=facet_text(q), limit=21), mode=mode).hits
        return [h.paper.id for h in hits if h.paper.id != q["query_paper_id"]][:20]

    return rank


def eval_csfcube(
    index,
    ids: set[str],
    root: Path,
    chosen: Sequence[Method],
    styles: Sequence[str],
    limit: int | None,
) -> tuple[dict, dict]:
    """Query-by-example over CSFCube; returns (aggregates, per-query nDCG@10 and nDCG@20)."""
    queries, qrels, splits = load_csfcube(root)
    queries = queries[:limit] if limit else queries
    absent = [q["query_paper_id"] for q in queries if q["query_paper_id"] not in ids]
    if absent:
        raise SystemExit(f"query papers not in the corpus index: {absent[:5]}")
    names = sorted({q["facet"] for q in queries})
    folds = {f: [q for n in names for q in splits[n][f"{f}_test"]] for f in ("fold1", "fold2")}
    facets = {n: [q["query_id"] for q in queries if q["facet"] == n] for n in names}
    summary: dict[str, dict] = {}
    details = {q["query_id"]: {"title": q["title"], "facet": q["facet"]} for q in queries}
    if hasattr(index.embedder, "fill"):
        from retrieval.models import SearchQuery

        asked = [(q["query_paper_id"], None) for q in queries] if "paper" in styles else []
        if "facet" in styles:
            asked += [SearchQuery(text=facet_text(q), limit=21) for q in queries]
        prefetch_sentences(index, asked)
    for style in styles:
        ndcg10: dict[str, dict[str, float]] = {}
        for method in chosen:
            with using(index, method) as mode:
                rankings, ms = run_all(csfcube_ranker(index, style, mode), queries)
            scores = {}
            for q, ranked in zip(queries, rankings, strict=True):
                rel = qrels[q["query_id"]]
                scores[q["query_id"]] = {
                    "ndcg@10": ndcg_at_k(ranked, rel, 10),
                    "ndcg@20": ndcg_at_k(ranked, rel, 20),
                    "recall@20": recall_at_k(ranked, rel, 20),
                }
                details[q["query_id"]][f"{style}/{method.name}"] = {
                    k: round(v, 4) for k, v in scores[q["query_id"]].items() if k != "recall@20"
                }
            ndcg10[method.name] = {q: s["ndcg@10"] for q, s in scores.items()}
            summary.setdefault(style, {})[method.name] = {
                "all": averages(scores),
                **{name: averages(scores, qids) for name, qids in folds.items()},
                "by_facet": {f: averages(scores, qids) for f, qids in facets.items()},
                "ms_per_query": ms,
            }
        if BASELINE in ndcg10:
            for name, by_query in ndcg10.items():
                for fold, qids in (("all", None), *folds.items()):
                    chosen_q = {q: s for q, s in by_query.items() if qids is None or q in qids}
                    summary[style][name].setdefault("vs_" + BASELINE, {})[fold] = wins_losses(
                        chosen_q, ndcg10[BASELINE]
                    )
    return summary, details
