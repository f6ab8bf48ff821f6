"""The saved BM25 index: processes sharing a data dir always load a whole, current version."""

from __future__ import annotations

from retrieval.lexical import LexicalIndex

TEXTS = ["Fast Fourier transform attention", "Linear attention with kernels", "Graph networks"]


def test_the_latest_save_wins_and_a_broken_pointer_means_rebuild(tmp_path):
    folder = tmp_path / "lexical"
    LexicalIndex.build(["a", "b"], TEXTS[:2], revision=1).save(folder)
    LexicalIndex.build(["a", "b", "c"], TEXTS, revision=2).save(folder)
    loaded = LexicalIndex.load(folder)
    assert loaded is not None and loaded.revision == 2 and loaded.ids == ["a", "b", "c"]
    assert loaded.search("graph", 3)[0][0] == "c"

    (folder / "current").write_text("no-such-version")
    assert LexicalIndex.load(folder) is None  # unreadable: the caller rebuilds from the store


def test_search_ranks_best_first_keeps_to_the_filter_and_breaks_ties_by_position():
    texts = [
        "attention attention attention",
        "graph attention",
        "attention for graphs",
        "speech",
        "attention",
    ]
    index = LexicalIndex.build(list("abcde"), texts, revision=1)
    ranked = index.search("attention", 10)
    assert ranked[0][0] == "a" and "d" not in {pid for pid, _ in ranked}  # no zero scores
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    assert len(index.search("attention", 2)) == 2
    only = index.mask({"b", "c", "d"})
    assert {pid for pid, _ in index.search("attention", 10, allowed=only)} == {"b", "c"}
    assert index.search("quantum", 10) == [] and index.search("attention", 0) == []


def test_top_k_is_a_partial_sort_with_ties_in_position_order():
    import numpy as np

    from retrieval.lexical import top_k

    scores = np.array([0.5, 2.0, 0.5, 3.0, 0.5], dtype=np.float32)
    assert top_k(scores, 2).tolist() == [3, 1]
    assert top_k(scores, 4).tolist() == [3, 1, 0, 2]
    assert top_k(scores, 9).tolist() == [3, 1, 0, 2, 4]
    assert top_k(scores, 0).tolist() == []
