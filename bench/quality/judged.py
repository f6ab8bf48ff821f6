"""Judged question sets (fast-transforms, broad): nDCG@10, Recall@10, MRR@10 per method.

Each question is a dict ``{"qid", "query", "kind", "judgments": {paper id: grade 1-3}}``; an
unjudged paper counts as grade 0. With ``today`` set, the question is parsed as the bot parses it
(``retrieval.query.parse_question``: author and date filters come out of the text); otherwise
the text is searched as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bench.quality.methods import BASELINE, Method, using, wins_losses
from bench.quality.metrics import mrr_at_k, ndcg_at_k, recall_at_k
from bench.quality.scoring import averages, run_all


def search_query(question: dict, today: date | None):
    """The :class:`retrieval.models.SearchQuery` for one question (10 results)."""
    from retrieval.models import SearchQuery
    from retrieval.query import parse_question

    if today is None:
        return SearchQuery(text=question["query"], limit=10)
    return parse_question(question["query"], today, limit=10)


def eval_judged(
    index,
    ids: set[str],
    queries: list[dict],
    chosen: Sequence[Method],
    today: date | None = None,
) -> tuple[dict, dict]:
    """Search each judged question with each method; returns (aggregates, per-query details)."""
    missing = {d for q in queries for d in q["judgments"] if d not in ids}
    if missing:
        raise SystemExit(f"{len(missing)} judged ids are not in the corpus, e.g. {min(missing)}")
    details = {q["qid"]: {"query": q["query"], "kind": q["kind"]} for q in queries}
    summary: dict[str, dict] = {}
    ndcg: dict[str, dict[str, float]] = {}
    kinds = sorted({q["kind"] for q in queries})
    if hasattr(index.embedder, "fill"):
        prefetch_sentences(index, [search_query(q, today) for q in queries])
    for method in chosen:
        with using(index, method) as mode:

            def rank(q: dict, m: str = mode) -> list[str]:
                hits = index.search(search_query(q, today), mode=m).hits
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
            details[q["qid"]][method.name] = {
                "ndcg@10": round(scores[q["qid"]]["ndcg@10"], 4),
                "top10": ranked,
            }
        ndcg[method.name] = {qid: s["ndcg@10"] for qid, s in scores.items()}
        summary[method.name] = {
            **averages(scores),
            "ndcg@10_by_kind": {
                k: averages(scores, [q["qid"] for q in queries if q["kind"] == k])["ndcg@10"]
                for k in kinds
            },
            "ms_per_query": ms,
        }
    if BASELINE in ndcg:
        for name, by_query in ndcg.items():
            summary[name]["vs_" + BASELINE] = wins_losses(by_query, ndcg[BASELINE])
    return summary, details


def pool(details: dict, depth: int = 10) -> dict[str, list[str]]:
    """Per question, every paper any method put in its top ``depth`` (first seen first)."""
    out: dict[str, list[str]] = {}
    for qid, row in details.items():
        seen: dict[str, None] = {}
        for value in row.values():
            if isinstance(value, dict) and "top10" in value:
                seen.update(dict.fromkeys(value["top10"][:depth]))
        out[qid] = list(seen)
    return out


def prefetch_sentences(index, questions: Sequence, depth: int = 50) -> int:
    """Embed, in one batch, the sentences of every paper in any question's dense or BM25 top
    ``depth`` (what the sentence signal and the snippets will read), so the methods that follow
    find them cached. ``questions`` are SearchQuery objects or ``(paper id, None)`` pairs for
    query by example. Returns the number of papers."""
    from retrieval.expand import expand_acronyms
    from retrieval.text import split_sentences

    ids: set[str] = set()
    for question in questions:
        if isinstance(question, tuple):
            found = index.store.paper_with_vector(question[0])
            if found is None:
                continue
            keep = None
            text, vector = found[0].text, found[1]
        else:
            keep = index.catalogue().mask(question.since, question.until, question.author)
            text = expand_acronyms(question.text)
            vector = index.embedder.encode([text])[0]
        ids.update(index._search.dense(vector, depth, keep).ids)
        ids.update(index._search.lexical(text, depth, keep).ids)
    papers = index.store.get_many(sorted(ids))
    texts = []
    for paper in papers.values():
        sentences = split_sentences(paper.abstract)
        texts += [paper.title, *(sentences or [paper.abstract])]
    index.embedder.fill(texts, " sentences")
    return len(papers)
