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
