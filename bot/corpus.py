"""The bundled demo corpus: what an empty store is filled with, so Paperboy answers offline."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from retrieval.index import PaperIndex
from retrieval.ingest import Progress
from retrieval.models import IngestReport
from retrieval.sources.jsonl import read_jsonl

log = logging.getLogger(__name__)


def demo_corpus_path() -> Path:
    """The bundled demo corpus shipped inside the ``retrieval`` package."""
    return Path(str(resources.files("retrieval") / "data" / "demo_papers.jsonl.gz"))


def ensure_corpus(index: PaperIndex, progress: Progress | None = None) -> IngestReport | None:
    """Ingest the bundled demo corpus when the store is empty; returns the report or None."""
    if index.count() > 0:
        return None
    outcome = read_jsonl(demo_corpus_path())
    log.info("empty store: ingesting the bundled demo corpus (%d papers)", len(outcome.papers))
    return index.ingest(outcome.papers, outcome.problems, progress)
