"""`paperboy reindex`: the BM25 rebuild, re-embedding into a new collection, and the live switch
of processes that were already running (embedded store and a real `chroma run`)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli import app
from retrieval.collections import ReindexError, drop_collection, switch_back
from retrieval.embed import SentenceTransformerEmbedder, bundled_model_path
from retrieval.index import PaperIndex
from retrieval.models import SearchQuery
from retrieval.reindex import rebuild_lexical, reembed
from retrieval.sources.jsonl import read_jsonl
from retrieval.store import EMBEDDER_KEY, MOVED_TO_KEY, REVISION_KEY, PaperStore

runner = CliRunner()
STORED = 40


@pytest.fixture(scope="module")
def corpus(shared_data):
    """44 real papers: the first 40 are stored up front, the rest are ingested later."""
    return read_jsonl(shared_data / "papers_fast_transforms.jsonl").papers[: STORED + 4]


@pytest.fixture(scope="module")
def built_dir(tmp_path_factory, embedder, corpus):
    """A data dir whose embedded store holds 40 papers (embedded once, with ``bundled``)."""
    data_dir = tmp_path_factory.mktemp("reindex")
    PaperIndex.open(data_dir, embedder).ingest(corpus[:STORED])
    return data_dir


@pytest.fixture
def data_dir(built_dir, tmp_path):
    """A private copy of ``built_dir``."""
    copy = tmp_path / "data"
    shutil.copytree(built_dir, copy)
    return copy


@pytest.fixture(scope="module")
def path_embedder():
    """The bundled weights under another spec: their local path (as the brief's new model)."""
    return SentenceTransformerEmbedder(str(bundled_model_path()))


@pytest.fixture(scope="module")
def projected_model(tmp_path_factory):
    """A genuinely different model, built offline: the bundled MiniLM followed by a fixed random
    384 -> 128 projection. Vectors from it cannot be mistaken for copied ones."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize

    base = SentenceTransformer(str(bundled_model_path()), device="cpu", local_files_only=True)
    torch.manual_seed(7)
    projection = Dense(384, 128, bias=False, activation_function=torch.nn.Identity())
    model = SentenceTransformer(modules=[base[0], base[1], projection, Normalize()], device="cpu")
    path = tmp_path_factory.mktemp("model") / "minilm-128"
    model.save(str(path))
    return SentenceTransformerEmbedder(str(path))


class Factory:
    """The embedder factory a bot process gets: records the specs it was asked for."""

    def __init__(self, *embedders: SentenceTransformerEmbedder) -> None:
        self.by_spec = {e.spec: e for e in embedders}
        self.calls: list[str] = []

    def __call__(self, spec: str) -> SentenceTransformerEmbedder:
        self.calls.append(spec)
        return self.by_spec[spec]


def top_id(index: PaperIndex, text: str, mode: str = "hybrid") -> str:
    return index.search(SearchQuery(text=text, limit=3), mode=mode).hits[0].paper.id


def test_lexical_rebuild_after_deleting_the_lexical_dir_gives_the_same_results(data_dir, embedder):
    query = SearchQuery(text="fast fourier transform convolution", limit=5)
    before = [h.paper.id for h in PaperIndex.open(data_dir, embedder).search(query, "lexical").hits]
    shutil.rmtree(data_dir / "lexical")

    index = PaperIndex.open(data_dir, embedder)
    assert rebuild_lexical(index) == STORED
    assert (data_dir / "lexical" / "papers").is_dir()
    after = [h.paper.id for h in index.search(query, "lexical").hits]
    assert len(before) == 5
    assert after == before


def test_reembed_switches_a_running_index_to_the_new_collection_and_its_model(
    data_dir, embedder, projected_model, corpus
):
    factory = Factory(projected_model, embedder)
    running = PaperIndex.open(data_dir, embedder, embedder_factory=factory)  # before the switch
    title = corpus[5].title
    assert top_id(running, title) == corpus[5].id
    assert running.store.embedder_spec == "bundled"  # stamped by the first ingest

    store = PaperStore.embedded(data_dir / "chroma")  # the reindexing process
    seen: list[tuple[int, int]] = []
    report = reembed(
        store, projected_model, projected_model.spec, progress=lambda *p: seen.append(p)
    )

    assert (report.old_collection, report.papers, report.embedded) == ("papers", STORED, STORED)
    assert report.new_collection.startswith("papers-") and seen[-1] == (STORED, STORED)
    new = store.sibling(report.new_collection)
    ids = [p.id for p in corpus[:STORED]]
    stored = new.vectors(ids)
    assert set(stored) == set(ids)
    sample = corpus[:STORED:4]  # every 4th paper, encoded afresh with the new model
    fresh = projected_model.encode([p.text for p in sample])
    np.testing.assert_allclose(np.stack([stored[p.id] for p in sample]), fresh, atol=1e-5)
    assert new.collection_metadata()[EMBEDDER_KEY] == projected_model.spec
    old = store.sibling("papers")
    assert old.collection_metadata()[MOVED_TO_KEY] == report.new_collection
    assert old.count() == STORED and old.vectors(ids[:1])[ids[0]].shape == (384,)  # kept as is
    assert store.collection_name == report.new_collection

    assert factory.calls == []  # nothing noticed until the next question
    assert top_id(running, title) == corpus[5].id
    assert top_id(running, title, mode="dense") == corpus[5].id
    assert factory.calls == [projected_model.spec]
    assert running.embedder is projected_model
    assert running.store.collection_name == report.new_collection
    cached = running.catalogue().cached_vectors()  # exact scoring cache rebuilt, new vectors
    assert len(cached) and cached.shape[1] == 128
    assert (data_dir / "lexical" / report.new_collection).is_dir()

    restarted = PaperIndex.open(data_dir, embedder, embedder_factory=factory)
    assert restarted.store.collection_name == report.new_collection
    assert top_id(restarted, title) == corpus[5].id
    assert restarted.embedder is projected_model


def test_ingest_after_the_switch_lands_in_the_new_collection_then_switch_back_and_drop(
    data_dir, embedder, path_embedder, corpus
):
    spec = path_embedder.spec
    factory = Factory(path_embedder, embedder)
    index = PaperIndex.open(data_dir, embedder, embedder_factory=factory)
    old_revision = index.store.revision()
    report = reembed(PaperStore.embedded(data_dir / "chroma"), path_embedder, spec, "papers-v2")
    assert report.new_collection == "papers-v2" and report.revision == old_revision + 1

    result = index.ingest(corpus[STORED:])
    assert result.added == 4 and factory.calls == [spec]
    store = PaperStore.embedded(data_dir / "chroma")
    assert store.collection_name == "papers-v2"
    assert store.count() == STORED + 4 and store.sibling("papers").count() == STORED
    assert top_id(index, corpus[STORED + 1].title) == corpus[STORED + 1].id
    with pytest.raises(ReindexError, match="already exists"):
        reembed(store, path_embedder, spec, "papers-v2")

    back = switch_back(store)
    assert (back.from_collection, back.to_collection) == ("papers-v2", "papers")
    assert sorted(back.missing) == sorted(p.id for p in corpus[STORED:])
    assert top_id(index, corpus[5].title) == corpus[5].id
    assert index.store.collection_name == "papers" and index.embedder is embedder
    assert factory.calls == [spec, "bundled"]

    with pytest.raises(ReindexError, match="in use"):
        drop_collection(store, "papers")
    assert drop_collection(store, "papers-v2") == STORED + 4
    assert not store.has_collection("papers-v2")
    assert top_id(index, corpus[7].title) == corpus[7].id


def run(args: list[str], monkeypatch, data_dir):
    monkeypatch.delenv("PAPERBOY_CONFIG", raising=False)
    env = {"PAPERBOY_DATA_DIR": str(data_dir), "PAPERBOY_DEMO_CORPUS": "false"}
    return runner.invoke(app, args, env=env)


def test_cli_reindex_model_end_to_end(data_dir, corpus, monkeypatch):
    spec = str(bundled_model_path())
    done = run(["reindex", "--model", spec, "--collection", "papers-minilm"], monkeypatch, data_dir)
    assert done.exit_code == 0, done.output
    assert f"re-embedded {STORED} papers" in done.output and "papers/s" in done.output
    assert "papers → papers-minilm" in done.output
    assert "next question" in done.output

    status = run(["status", "--json"], monkeypatch, data_dir)
    assert json.loads(status.stdout)["store"]["collection"] == "papers-minilm"
    asked = run(["ask", "--json", "--limit", "1", corpus[3].title], monkeypatch, data_dir)
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout)["results"][0]["id"] == corpus[3].id

    lexical = run(["reindex"], monkeypatch, data_dir)
    assert lexical.exit_code == 0, lexical.output
    assert f"BM25 index of {STORED} papers (collection papers-minilm)" in lexical.output


def test_cli_reindex_errors_are_one_clear_line(data_dir, monkeypatch):
    missing = run(["reindex", "--model", str(data_dir / "no-such-model")], monkeypatch, data_dir)
    assert missing.exit_code == 2
    assert "Cannot load model" in missing.output and "no model at" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
    assert run(["reindex", "--collection", "x-y-z"], monkeypatch, data_dir).exit_code == 2
    bad = run(["reindex", "--model", "bundled", "--collection", "-bad"], monkeypatch, data_dir)
    assert bad.exit_code == 2 and "Invalid collection name" in bad.output
    nothing = run(["reindex", "--switch-back"], monkeypatch, data_dir)
    assert nothing.exit_code == 1 and "nothing to go back to" in nothing.output
    assert PaperStore.embedded(data_dir / "chroma").collection_name == "papers"


def test_reembed_through_a_real_chroma_server(built_dir, tmp_path, embedder, path_embedder, corpus):
    from bot.ops.migrate import copy_collection
    from tests.fakes.processes import ChromaProcess

    server = ChromaProcess(tmp_path / "chroma").start()
    try:
        copy_collection(
            PaperStore.embedded(built_dir / "chroma"), PaperStore.remote("127.0.0.1", server.port)
        )
        factory = Factory(path_embedder, embedder)
        bot_store = PaperStore.remote("127.0.0.1", server.port)  # a bot on another host
        running = PaperIndex(bot_store, embedder, tmp_path / "lexical" / "papers", factory)
        assert top_id(running, corpus[9].title) == corpus[9].id

        operator = PaperStore.remote("127.0.0.1", server.port)
        report = reembed(operator, path_embedder, path_embedder.spec)
        assert report.papers == STORED

        assert top_id(running, corpus[9].title) == corpus[9].id
        assert running.store.collection_name == report.new_collection
        assert factory.calls == [path_embedder.spec]
        meta = operator.sibling(report.new_collection).collection_metadata()
        assert meta[EMBEDDER_KEY] == path_embedder.spec and meta[REVISION_KEY] == report.revision
        assert operator.sibling("papers").collection_metadata()[MOVED_TO_KEY] == (
            report.new_collection
        )
        ids = [p.id for p in corpus[:STORED]]
        vectors = running.store.vectors(ids)
        assert set(vectors) == set(ids)
    finally:
        server.stop()
