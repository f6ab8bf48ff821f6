"""Store and incremental ingest with the real model and a real embedded Chroma."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from retrieval.index import PaperIndex
from retrieval.models import Paper, SearchQuery
from retrieval.sources.jsonl import read_jsonl


class CountingEmbedder:
    """The real embedder, counting how many texts it was asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.texts = inner, inner.name, inner.dim, 0

    def encode(self, texts):
        self.texts += len(texts)
        return self.inner.encode(texts)


@pytest.fixture
def fast_papers(shared_data) -> list[Paper]:
    return read_jsonl(shared_data / "papers_fast_transforms.jsonl").papers[:40]


@pytest.fixture
def counting(embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


def test_reingest_of_unchanged_papers_embeds_nothing(tmp_path: Path, counting, fast_papers):
    index = PaperIndex.open(tmp_path, counting)
    first = index.ingest(fast_papers)
    assert (first.added, first.embedded) == (40, 40)
    embedded_before = counting.texts
    second = index.ingest(fast_papers)
    assert second.unchanged == 40 and second.embedded == 0
    assert counting.texts == embedded_before  # not one text re-embedded
    assert index.count() == 40


def test_changed_upvotes_update_metadata_without_reembedding(tmp_path, counting, fast_papers):
    index = PaperIndex.open(tmp_path, counting)
    index.ingest(fast_papers)
    before = counting.texts
    bumped = dataclasses.replace(fast_papers[0], upvotes=42)
    report = index.ingest([bumped])
    assert report.updated_metadata == 1 and report.embedded == 0
    assert counting.texts == before
    assert index.get(bumped.id).upvotes == 42


def test_changed_abstract_is_reembedded_and_found(tmp_path, counting, fast_papers):
    index = PaperIndex.open(tmp_path, counting)
    index.ingest(fast_papers)
    changed = dataclasses.replace(
        fast_papers[1], abstract="Zebrafish swimming patterns measured with underwater cameras."
    )
    report = index.ingest([changed])
    assert report.updated_text == 1
    hits = index.search(SearchQuery(text="zebrafish swimming", limit=1)).hits
    assert hits[0].paper.id == changed.id


def test_later_record_without_upvotes_keeps_known_upvotes(tmp_path, embedder, fast_papers):
    index = PaperIndex.open(tmp_path, embedder)
    index.ingest([dataclasses.replace(fast_papers[0], upvotes=7)])
    index.ingest([fast_papers[0]])  # same paper from a source without upvotes
    assert index.get(fast_papers[0].id).upvotes == 7


def test_malformed_lines_are_reported_and_the_rest_lands(tmp_path, embedder):
    source = tmp_path / "papers.jsonl"
    source.write_text(
        '{"title": "Good paper one", "abstract": "About sparse attention."}\n'
        "{not json\n"
        '{"title": "No abstract here"}\n'
        '{"title": "Good paper two", "abstract": "About Fourier features.", "upvotes": 3}\n'
    )
    outcome = read_jsonl(source)
    index = PaperIndex.open(tmp_path / "data", embedder)
    report = index.ingest(outcome.papers, outcome.problems)
    assert report.added == 2
    assert [p.location for p in report.problems] == [f"{source}:2", f"{source}:3"]


def test_second_process_sees_new_papers_and_rebuilds_bm25(tmp_path, embedder, fast_papers):
    writer = PaperIndex.open(tmp_path, embedder)
    writer.ingest(fast_papers[:10])
    reader = PaperIndex.open(tmp_path, embedder)  # like a second adapter process
    assert len(reader.lexical()) == 10
    novel = Paper(
        id="2401.99999",
        title="Quokka detection in drone imagery",
        abstract="We count quokkas from drones.",
    )
    writer.ingest([novel])
    hits = reader.search(SearchQuery(text="quokka", limit=3), mode="lexical").hits
    assert [h.paper.id for h in hits] == ["2401.99999"]


def test_vectors_are_unit_length_and_stored(tmp_path, embedder, fast_papers):
    index = PaperIndex.open(tmp_path, embedder)
    index.ingest(fast_papers[:3])
    vectors = index.store.vectors([p.id for p in fast_papers[:3]])
    assert len(vectors) == 3
    for vector in vectors.values():
        assert vector.shape == (384,)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
