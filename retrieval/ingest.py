"""The ingest pipeline: dedupe by id, embed only new or changed text, update the rest in place."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace

from retrieval.embed import Embedder
from retrieval.models import IngestReport, Paper, ParseProblem
from retrieval.records import paper_from_record, paper_metadata
from retrieval.sentence_store import SentenceStore
from retrieval.sentences import embed_papers
from retrieval.store import PaperStore
from retrieval.text import strip_controls

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
EMBED_BATCH = 256


class IngestInterrupted(RuntimeError):
    """The store failed part-way through an ingest (a Chroma server gone, a full disk).

    ``stored`` of the ``total`` papers to embed were written before ``cause``; running the same
    ingest again stores the rest (it is idempotent). ``metadata_pending`` counts papers whose
    metadata update was not written."""

    def __init__(self, stored: int, total: int, metadata_pending: int, cause: BaseException):
        self.stored = stored
        self.total = total
        self.metadata_pending = metadata_pending
        self.cause = cause
        super().__init__(f"stored {stored} of {total} papers to embed, then: {cause}")


def clean(paper: Paper) -> Paper:
    """``paper`` with control characters and bidi overrides taken out of its text."""
    return replace(
        paper,
        title=strip_controls(paper.title),
        abstract=strip_controls(paper.abstract),
        authors=tuple(strip_controls(name) for name in paper.authors),
        ai_summary=strip_controls(paper.ai_summary),
    )


def dedupe(papers: Iterable[Paper]) -> list[Paper]:
    """One paper per id (text cleaned of control characters); a later record wins but keeps
    earlier popularity/list data it lacks."""
    by_id: dict[str, Paper] = {}
    for paper in map(clean, papers):
        previous = by_id.get(paper.id)
        by_id[paper.id] = merge(previous, paper) if previous else paper
    return list(by_id.values())


def merge(old: Paper, new: Paper) -> Paper:
    """``new`` with the fields it leaves empty filled from ``old`` (e.g. upvotes from HF)."""
    missing = {
        f.name: getattr(old, f.name)
        for f in fields(Paper)
        if getattr(new, f.name) in (None, "", ()) and getattr(old, f.name) not in (None, "", ())
    }
    return replace(new, **missing) if missing else new


@dataclass
class Plan:
    """What an ingest has to do."""

    embed: list[Paper]
    added: int
    metadata_only: list[Paper]
    unchanged: int


def plan_ingest(store: PaperStore, papers: list[Paper]) -> Plan:
    """Compare papers with what the store holds: new/changed text is embedded, changed
    metadata is updated, identical records are left alone."""
    existing = store.metadata([p.id for p in papers])
    embed: list[Paper] = []
    metadata_only: list[Paper] = []
    added = unchanged = 0
    for paper in papers:
        stored = existing.get(paper.id)
        if stored is None:
            embed.append(paper)
            added += 1
            continue
        paper = merge(paper_from_record(paper.id, stored, paper.abstract), paper)
        if stored.get("text_hash") != paper.text_hash:
            embed.append(paper)
        elif paper_metadata(paper) != stored:
            metadata_only.append(paper)
        else:
            unchanged += 1
    return Plan(embed, added, metadata_only, unchanged)


def ingest(
    store: PaperStore,
    embedder: Embedder,
    papers: Iterable[Paper],
    problems: Iterable[ParseProblem] = (),
    progress: Progress | None = None,
    sentences: SentenceStore | None = None,
) -> IngestReport:
    """Store ``papers``: embed new or changed text in batches (reporting progress), update
    changed metadata without re-embedding. Idempotent: a second run changes nothing. With
    ``sentences``, each embedded paper's sentence vectors (from the same encode call) are
    written there just before the paper, so a stored paper has them; a failure in between leaves
    only an unused sentence record.

    Raises :class:`IngestInterrupted` when the store fails part-way (what was written stays and
    is announced to other processes if the store still answers)."""
    unique = dedupe(papers)
    try:
        plan = plan_ingest(store, unique)
    except Exception as exc:  # chromadb raises many types for a server gone or a full disk
        raise IngestInterrupted(0, len(unique), 0, exc) from exc
    total, stored, pending = len(plan.embed), 0, len(plan.metadata_only)
    if progress:
        progress(0, total)
    try:
        for start in range(0, total, EMBED_BATCH):
            batch = plan.embed[start : start + EMBED_BATCH]
            if sentences is None:
                vectors = embedder.encode([p.text for p in batch])
            else:
                vectors, rows = embed_papers(embedder, batch)
                sentences.put([p.id for p in batch], [p.text_hash for p in batch], rows)
            store.upsert(batch, vectors)
            stored += len(batch)
            if progress:
                progress(stored, total)
        if plan.metadata_only:
            store.update_metadata(plan.metadata_only)
            pending = 0
        if plan.embed or plan.metadata_only:
            store.bump_revision()
    except Exception as exc:
        if stored:
            _announce(store)
        raise IngestInterrupted(stored, total, pending, exc) from exc
    return IngestReport(
        seen=len(unique),
        added=plan.added,
        updated_text=total - plan.added,
        updated_metadata=len(plan.metadata_only),
        unchanged=plan.unchanged,
        problems=tuple(problems),
    )


def _announce(store: PaperStore) -> None:
    """Bump the revision after a partial write, so other processes see what landed; a store
    that no longer answers is left as it is (the next ingest bumps it)."""
    try:
        store.bump_revision()
    except Exception as exc:
        log.warning("could not announce the partial ingest: %s", exc)
