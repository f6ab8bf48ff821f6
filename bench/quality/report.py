"""Markdown tables for the quality benchmark's results (the dict that eval_quality.py writes).

Timings stay out of the tables: the index caches sentence vectors, so whichever method runs
later looks faster; ``ms_per_query`` in the JSON is only a rough order of magnitude. "W / L / T"
counts the questions where a method's nDCG@10 is above / below / within 0.005 of ``hybrid-rrf``
(the hybrid search before the sentence signal).
"""

from __future__ import annotations

from collections.abc import Sequence

FACETS = ("background", "method", "result")
KINDS = ("lexical", "mixed", "semantic")
VS = "vs_hybrid-rrf"


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = [title, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _wlt(record: dict | None) -> str:
    if not record:
        return "-"
    return f"{record['wins']} / {record['losses']} / {record['ties']}"


def _judged(title: str, section: dict, kinds: Sequence[str]) -> list[str]:
    rows = []
    for mode, m in section["modes"].items():
        by_kind = " / ".join(_f(m["ndcg@10_by_kind"].get(k)) for k in kinds)
        rows.append(
            [mode, _f(m["ndcg@10"]), _f(m["recall@10"]), _f(m["mrr@10"]), by_kind, _wlt(m.get(VS))]
        )
    header = ["mode", "nDCG@10", "Recall@10", "MRR@10", "nDCG@10 " + " / ".join(kinds),
              "W / L / T vs hybrid-rrf"]  # fmt: skip
    return _table(title, header, rows)


def _csfcube(style: str, by_mode: dict) -> list[str]:
    rows = []
    for mode, m in by_mode.items():
        a, facet = m["all"], m["by_facet"]
        folds10 = " / ".join(_f(m[f].get("ndcg@10")) for f in ("fold1", "fold2"))
        folds20 = " / ".join(_f(m[f].get("ndcg@20")) for f in ("fold1", "fold2"))
        facets = " / ".join(_f(facet.get(k, {}).get("ndcg@20")) for k in FACETS)
        vs = m.get(VS, {})
        wlt = " ; ".join(_wlt(vs.get(f)) for f in ("fold1", "fold2")) if vs else "-"
        rows.append(
            [mode, _f(a["ndcg@10"]), folds10, _f(a["ndcg@20"]), _f(a["recall@20"]), folds20,
             facets, wlt]
        )  # fmt: skip
    header = ["mode", "nDCG@10", "nDCG@10 fold1 / fold2", "nDCG@20", "Recall@20",
              "nDCG@20 fold1 / fold2", "nDCG@20 background / method / result",
              "W / L / T vs hybrid-rrf fold1 ; fold2"]  # fmt: skip
    label = "similar(paper id), facet ignored" if style == "paper" else "search(facet text)"
    queries = next(iter(by_mode.values()))["all"]["queries"]
    return _table(f"CSFCube, {label} ({queries} queries)", header, rows)


def summary(results: dict) -> list[str]:
    """One row per method: nDCG@10 on every set (CSFCube per fold and query style)."""
    columns: list[tuple[str, dict]] = []
    if "fast_transforms" in results:
        columns.append(("fast-transforms", results["fast_transforms"]["modes"]))
    for style, by_mode in results.get("csfcube", {}).get("styles", {}).items():
        name = "CSFCube similar" if style == "paper" else "CSFCube facet text"
        for fold in ("fold1", "fold2"):
            columns.append((f"{name} {fold}", {m: v[fold] for m, v in by_mode.items()}))
    if "broad" in results:
        columns.append(("broad", results["broad"]["modes"]))
    if not columns:
        return []
    modes = list(dict.fromkeys(m for _, col in columns for m in col))
    rows = [[mode, *(_f(col.get(mode, {}).get("ndcg@10")) for _, col in columns)] for mode in modes]
    return _table("nDCG@10 on every set", ["mode", *(name for name, _ in columns)], rows)


def markdown(results: dict) -> str:
    """The summary, then one table per judged set and one per CSFCube query style."""
    lines: list[str] = summary(results)
    if "fast_transforms" in results:
        fast = results["fast_transforms"]
        title = f"Fast-transforms set ({fast['queries']} judged queries, 119 papers)"
        lines += _judged(title, fast, KINDS)
    for style, by_mode in results.get("csfcube", {}).get("styles", {}).items():
        lines += _csfcube(style, by_mode)
    if "broad" in results:
        broad = results["broad"]
        kinds = sorted(next(iter(broad["modes"].values()))["ndcg@10_by_kind"])
        title = f"Broad set ({broad['queries']} judged queries, {broad['papers']:,} papers)"
        lines += _judged(title, broad, kinds)
    return "\n".join(lines)
