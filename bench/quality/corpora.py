"""The three corpora of the quality benchmark, read as the bot would read them.

* ``fast``: the 119-paper fast-transforms listing (ids from the titles);
* ``csfcube``: CSFCube's 4,205-paper corpus (3 with an empty abstract are skipped);
* ``broad``: the fast-transforms listing mixed with every recorded Hugging Face daily paper
  (about 6.2k distractors), so the judged papers must be found among real, unrelated ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from retrieval.ingest import dedupe
from retrieval.models import Paper
from retrieval.sources.hf import read_daily_dir
from retrieval.sources.jsonl import read_jsonl
from retrieval.text import split_sentences

CORPORA = ("fast", "csfcube", "broad")


def load(name: str, data: Path) -> list[Paper]:
    """The papers of corpus ``name`` (cleaned and de-duplicated as ingest does)."""
    if name == "fast":
        papers = read_jsonl(data / "papers_fast_transforms.jsonl").papers
    elif name == "csfcube":
        papers = read_jsonl(data / "csfcube" / "corpus.jsonl").papers
    elif name == "broad":
        listing = read_jsonl(data / "papers_fast_transforms.jsonl").papers
        papers = [*read_daily_dir(data / "hf_daily_papers").papers, *listing]
    else:
        raise ValueError(f"unknown corpus {name!r}")
    return dedupe(papers)


def texts_to_embed(papers: Iterable[Paper]) -> list[str]:
    """Every text the index embeds for these papers: the paper, its title, its sentences."""
    out: list[str] = []
    for paper in papers:
        sentences = split_sentences(paper.abstract)
        out += [paper.text, paper.title, *(sentences or [paper.abstract])]
    return out
