"""Checks for the judged query set and the ranking metrics (run: pytest bench/quality)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.quality.metrics import mrr_at_k, ndcg_at_k, recall_at_k  # noqa: E402
from bench.quality.report import markdown  # noqa: E402
from retrieval.models import title_id  # noqa: E402

LISTING = ROOT.parent / "shared" / "data" / "papers_fast_transforms.jsonl"
QUERIES = json.loads((ROOT / "bench/quality/fast_transforms_queries.json").read_text())


def test_perfect_ranking_scores_one_and_worse_rankings_score_less() -> None:
    qrels = {"a": 3, "b": 2, "c": 1, "z": 0}
    assert ndcg_at_k(["a", "b", "c"], qrels, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["c", "b", "a"], qrels, 10) < 1.0
    assert ndcg_at_k(["z", "x"], qrels, 10) == 0.0
    assert recall_at_k(["x", "a", "z"], qrels, 2) == pytest.approx(1 / 3)
    assert mrr_at_k(["z", "x", "b"], qrels, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["z", "x", "b"], qrels, 2) == 0.0


def test_judged_ids_are_papers_of_the_listing_with_matching_titles() -> None:
    if not LISTING.exists():
        pytest.skip("shared data not beside the checkout")
    titles = {
        title_id(json.loads(line)["title"]): json.loads(line)["title"] for line in LISTING.open()
    }
    for q in QUERIES:
        assert set(q["judgments"]) <= set(titles), q["qid"]
        assert q["titles"].keys() == q["judgments"].keys(), q["qid"]
        for pid, title in q["titles"].items():
            assert title_id(title) == pid


def test_query_set_is_large_varied_and_graded() -> None:
    assert len(QUERIES) >= 24
    assert len({q["qid"] for q in QUERIES}) == len(QUERIES)
    assert {q["kind"] for q in QUERIES} == {"lexical", "semantic", "mixed"}
    assert all(set(q["judgments"].values()) <= {1, 2, 3} and q["judgments"] for q in QUERIES)


def test_fft_attention_question_has_fnet_and_fourier_transformer_at_grade_3() -> None:
    (q,) = [q for q in QUERIES if q["query"] == "fast FFT-based attention papers"]
    top = {q["titles"][pid].split(":")[0] for pid, g in q["judgments"].items() if g == 3}
    assert {"FNet", "Fourier Transformer"} <= top


def test_markdown_table_lists_every_mode() -> None:
    mode = {"ndcg@10": 0.5, "recall@10": 0.4, "mrr@10": 0.9, "ms_per_query": 12.0,
            "ndcg@10_by_kind": {"lexical": 0.6}}  # fmt: skip
    text = markdown({"fast_transforms": {"queries": 2, "modes": {"dense": mode, "hybrid": mode}}})
    assert "| dense | 0.500 | 0.400 | 0.900 | 0.600 / - / - |" in text
    assert "| hybrid |" in text


BROAD = json.loads((ROOT / "bench/quality/broad_queries.json").read_text())


def test_broad_set_has_every_kind_of_question_and_graded_titles() -> None:
    assert 25 <= len(BROAD) <= 40
    assert len({q["qid"] for q in BROAD}) == len(BROAD)
    kinds = {q["kind"] for q in BROAD}
    assert {"typo", "acronym", "passage", "author", "date"} <= kinds
    for q in BROAD:
        assert q["judgments"] and set(q["judgments"].values()) <= {1, 2, 3}, q["qid"]
        assert q["titles"].keys() == q["judgments"].keys(), q["qid"]
