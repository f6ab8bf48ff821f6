"""Sentence vectors computed at ingest and stored beside the papers: read back after a restart and
through a real ``chroma run`` server, used for snippets with no model call at question time,
re-made when an abstract changes or the model changes, kept by a BM25-only reindex, and made on
demand for papers stored before they existed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from retrieval.expand import expand_acronyms
from retrieval.index import PaperIndex
from retrieval.models import SearchQuery
from retrieval.sentence_store import SentenceStore
from retrieval.sentences import paper_sentences
from retrieval.sources.jsonl import read_jsonl
from retrieval.store import PaperStore
from retrieval.text import split_sentences
from tests.conftest import REPO
from tests.test_reindex import STORED, built_dir, corpus, data_dir, projected_model, run  # noqa: F401

QUESTION = "fast FFT-based attention papers"


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to encode (any way)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.spec = inner, inner.name, inner.dim, inner.spec
        self.pools_spans = inner.pools_spans
        self.texts: list[str] = []
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        self.texts += list(texts)
        return self.inner.encode(texts)

    def encode_spans(self, texts, spans):
        self.calls += 1
        self.texts += list(texts)
        return self.inner.encode_spans(texts, spans)


def stored_records(store: PaperStore, ids: list[str]) -> dict:
    return SentenceStore(store.client, store.collection_name).get(ids)


def test_ingest_stores_a_vector_for_the_title_and_each_abstract_sentence(shared_demo_index):
    papers = shared_demo_index.store.get_many(shared_demo_index.catalogue().ids[:20])
    records = stored_records(shared_demo_index.store, list(papers))
    assert set(records) == set(papers)  # stored by ingest, not made on demand
    for pid, paper in papers.items():
        text_hash, vectors = records[pid]
        assert text_hash == paper.text_hash
        assert vectors.shape == (1 + len(split_sentences(paper.abstract)), 384)
    got = shared_demo_index.sentence_vectors(list(papers))
    for pid, paper in papers.items():
        sentences, vectors = got[pid]
        assert sentences == paper_sentences(paper.title, paper.abstract)
        assert sentences[0] == paper.title and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert shared_demo_index.sentence_vectors(["no-such-id"]) == {}


def test_sentence_vectors_are_read_back_by_another_process(
    demo_index_dir, shared_demo_index, tmp_path
):
    copy = tmp_path / "data"
    shutil.copytree(demo_index_dir, copy)
    ids = shared_demo_index.catalogue().ids[:5]
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from retrieval.embed import NoEmbedder\n"
        "from retrieval.index import PaperIndex\n"
        "index = PaperIndex.open(Path(sys.argv[1]), NoEmbedder('this check'))\n"
        "got = index.sentence_vectors(json.loads(sys.argv[2]))\n"
        "print(json.dumps({k: [s, v.tolist()] for k, (s, v) in got.items()}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(copy), json.dumps(ids)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    mine = shared_demo_index.sentence_vectors(ids)
    assert set(theirs) == set(ids)
    for pid in ids:  # a process without a model reads them: they come from the store
        assert theirs[pid][0] == mine[pid][0]
        assert np.allclose(np.array(theirs[pid][1]), mine[pid][1], atol=1e-6)


def test_snippets_need_no_model_call_at_question_time(demo_index_dir, embedder, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(demo_index_dir, copy)
    counting = CountingEmbedder(embedder)
    index = PaperIndex.open(copy, counting)
    first = index.search(SearchQuery(text=QUESTION, limit=5))
    assert counting.texts == [expand_acronyms(QUESTION)]  # the question once; nothing else
    more = index.search(SearchQuery(text=QUESTION, limit=5, offset=5))
    assert counting.texts == [expand_acronyms(QUESTION)] * 2
    for hit in first.hits + more.hits:
        assert hit.snippet and hit.snippet in hit.paper.abstract.replace("\n", " ")
    top = first.hits[0]
    assert "FFT" in top.snippet or "Fourier" in top.snippet


def test_a_chroma_server_serves_the_same_sentence_vectors(
    demo_chroma, demo_index_dir, shared_demo_index, embedder, tmp_path
):
    remote = PaperStore.remote("127.0.0.1", demo_chroma.port)  # filled by `copy_collection`
    counting = CountingEmbedder(embedder)
    index = PaperIndex(remote, counting, tmp_path / "lexical")
    ids = shared_demo_index.catalogue().ids[:30]
    theirs, mine = index.sentence_vectors(ids), shared_demo_index.sentence_vectors(ids)
    assert set(theirs) == set(ids) and counting.texts == []
    for pid in ids:
        assert theirs[pid][0] == mine[pid][0]
        assert np.allclose(theirs[pid][1], mine[pid][1], atol=1e-6)
    hits = index.search(SearchQuery(text=QUESTION, limit=5)).hits
    assert counting.texts == [expand_acronyms(QUESTION)]
    local = shared_demo_index.search(SearchQuery(text=QUESTION, limit=5)).hits
    assert [h.snippet for h in hits] == [h.snippet for h in local]


def test_a_changed_abstract_is_re_embedded_and_an_unchanged_corpus_embeds_nothing(
    shared_data, embedder, tmp_path, monkeypatch
):
    papers = read_jsonl(shared_data / "papers_fast_transforms.jsonl").papers[:6]
    counting = CountingEmbedder(embedder)
    index = PaperIndex.open(tmp_path, counting)
    index.ingest(papers)
    want = [p.text for p in papers] + [
        s for p in papers for s in paper_sentences(p.title, p.abstract)
    ]
    assert counting.calls == 1 and sorted(counting.texts) == sorted(want)  # one call a batch
    counting.texts.clear()
    index.ingest(papers)
    assert counting.texts == []  # an unchanged corpus embeds nothing

    old = index.sentence_vectors([papers[2].id])[papers[2].id]
    assert old[0] == paper_sentences(papers[2].title, papers[2].abstract)
    monkeypatch.setattr(index.store, "get_many", None)  # known at this revision: no store read
    assert index.sentence_vectors([papers[2].id])[papers[2].id] is old
    monkeypatch.undo()
    changed = replace(papers[2], abstract="We replace attention with a learned FFT. It is fast.")
    index.ingest([changed, *papers[3:]])
    assert counting.texts == [changed.text, *paper_sentences(changed.title, changed.abstract)]
    sentences, vectors = index.sentence_vectors([changed.id])[changed.id]
    assert sentences == [changed.title, "We replace attention with a learned FFT.", "It is fast."]
    assert vectors.shape == (3, 384)
    record = stored_records(index.store, [changed.id])[changed.id]
    assert record[0] == changed.text_hash and np.allclose(record[1], vectors, atol=1e-6)

    counting.texts.clear()
    index.search(SearchQuery(text="learned FFT instead of attention", limit=3))
    assert counting.texts == [expand_acronyms("learned FFT instead of attention")]


def test_papers_stored_without_sentence_vectors_still_get_snippets(shared_data, embedder, tmp_path):
    papers = read_jsonl(shared_data / "papers_fast_transforms.jsonl").papers[:8]
    store = PaperStore.embedded(tmp_path / "chroma")  # as an older Paperboy wrote it
    store.upsert(papers, embedder.encode([p.text for p in papers]))
    store.bump_revision()
    counting = CountingEmbedder(embedder)
    index = PaperIndex.open(tmp_path, counting)
    hits = index.search(SearchQuery(text="Fourier transform", limit=3)).hits
    assert len(hits) == 3 and all(h.snippet in h.paper.abstract for h in hits)
    assert stored_records(store, [h.paper.id for h in hits]).keys() == {h.paper.id for h in hits}

    again = CountingEmbedder(embedder)  # a new process reads what the first one stored
    later = PaperIndex.open(tmp_path, again).search(SearchQuery(text="Fourier transform", limit=3))
    assert again.texts == [expand_acronyms("Fourier transform")]
    assert [h.snippet for h in later.hits] == [h.snippet for h in hits]


def test_reindex_with_a_new_model_makes_new_sentence_vectors_and_bm25_reindex_keeps_them(
    data_dir,  # noqa: F811
    corpus,  # noqa: F811
    projected_model,  # noqa: F811
    monkeypatch,
):
    ids = [p.id for p in corpus[:STORED]]
    before = stored_records(PaperStore.embedded(data_dir / "chroma"), ids)
    assert len(before) == STORED

    done = run(["reindex", "--model", projected_model.spec, "--collection", "papers-128"],
               monkeypatch, data_dir)  # fmt: skip
    assert done.exit_code == 0, done.output
    store = PaperStore.embedded(data_dir / "chroma")
    assert store.collection_name == "papers-128"
    after = stored_records(store, ids)
    assert set(after) == set(ids)
    assert all(vectors.shape[1] == 128 for _, vectors in after.values())
    assert all(len(after[pid][1]) == len(before[pid][1]) for pid in ids)
    paper = corpus[3]
    alone = projected_model.encode(paper_sentences(paper.title, paper.abstract))
    assert np.min(np.sum(alone * after[paper.id][1], axis=1)) > 0.999

    lexical = run(["reindex"], monkeypatch, data_dir)
    assert lexical.exit_code == 0, lexical.output
    kept = stored_records(PaperStore.embedded(data_dir / "chroma"), ids)
    assert all(np.array_equal(kept[pid][1], after[pid][1]) for pid in ids)

    counting = CountingEmbedder(projected_model)
    index = PaperIndex.open(data_dir, counting)
    hits = index.search(SearchQuery(text=corpus[5].title, limit=3)).hits
    assert hits[0].paper.id == corpus[5].id and counting.texts == [expand_acronyms(corpus[5].title)]


def test_pooled_sentence_vectors_come_from_the_one_forward_pass(
    shared_data,
    embedder,
    projected_model,  # noqa: F811
    monkeypatch,
):
    from retrieval.embed import _mean_pooled
    from retrieval.sentences import embed_papers

    papers = read_jsonl(shared_data / "papers_fast_transforms.jsonl").papers[:4]
    assert _mean_pooled(embedder._model) and not _mean_pooled(projected_model._model)
    monkeypatch.setattr(embedder, "pools_spans", True)
    counting = CountingEmbedder(embedder)
    whole, rows = embed_papers(counting, papers)
    assert np.min(np.sum(whole * embedder.encode([p.text for p in papers]), axis=1)) > 0.99999
    assert counting.texts[: len(papers)] == [p.text for p in papers]  # one pass over the texts
    past_limit = counting.texts[len(papers) :]  # then only sentences the 256-token cut dropped
    assert all(any(t in paper_sentences(p.title, p.abstract) for p in papers) for t in past_limit)
    for paper, vectors in zip(papers, rows, strict=True):
        assert vectors.shape == (len(paper_sentences(paper.title, paper.abstract)), 384)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        alone = embedder.encode([paper.title])[0]
        assert float(vectors[0] @ alone) > 0.5  # the title's span still reads as the title


@pytest.mark.parametrize("rows", [1, 7])
def test_packing_keeps_vectors_close(rows):
    from retrieval.sentences import pack, unpack

    rng = np.random.default_rng(rows)
    vectors = rng.normal(size=(rows, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    back = unpack(pack(vectors), rows)
    assert back.shape == vectors.shape and back.dtype == np.float32
    assert np.min(np.sum(back * vectors, axis=1)) > 0.999
