"""Markdown tables for the quality benchmark's results (the dict that eval_quality.py writes).

Timings stay out of the tables: the index caches sentence vectors for snippets, so whichever mode
runs later looks faster; ``ms_per_query`` in the JSON is only a rough order of magnitude.
"""

from __future__ import annotations

from collections.abc import Sequence

FACETS = ("background", "method", "result")
KINDS = ("lexical", "mixed", "semantic")


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = [title, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def markdown(results: dict) -> str:
    """One table for the fast-transforms set and one per CSFCube query style."""
    lines: list[str] = []
    if "fast_transforms" in results:
        fast = results["fast_transforms"]
        rows = []
        for mode, m in fast["modes"].items():
            kinds = " / ".join(_f(m["ndcg@10_by_kind"].get(k)) for k in KINDS)
            rows.append([mode, _f(m["ndcg@10"]), _f(m["recall@10"]), _f(m["mrr@10"]), kinds])
        header = ["mode", "nDCG@10", "Recall@10", "MRR@10", "nDCG@10 lexical / mixed / semantic"]
        title = f"Fast-transforms set ({fast['queries']} judged queries, 119 papers)"
        lines += _table(title, header, rows)
    for style, by_mode in results.get("csfcube", {}).get("styles", {}).items():
        rows = []
        for mode, m in by_mode.items():
            a, facet = m["all"], m["by_facet"]
            folds = " / ".join(_f(m[f].get("ndcg@20")) for f in ("fold1", "fold2"))
            facets = " / ".join(_f(facet.get(k, {}).get("ndcg@20")) for k in FACETS)
            rows.append(
                [mode, _f(a["ndcg@10"]), _f(a["ndcg@20"]), _f(a["recall@20"]), folds, facets]
            )
        header = ["mode", "nDCG@10", "nDCG@20", "Recall@20", "nDCG@20 fold1 / fold2",
                  "nDCG@20 background / method / result"]  # fmt: skip
        label = "similar(paper id), facet ignored" if style == "paper" else "search(facet text)"
        queries = next(iter(by_mode.values()))["all"]["queries"]
        lines += _table(f"CSFCube, {label} ({queries} queries)", header, rows)
    return "\n".join(lines)
