"""The real services over a given corpus, for the end-to-end tests' module fixtures."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from bot.services import Services, build_services
from bot.settings import Settings
from retrieval.models import Paper


def real_services(
    data_dir: Path,
    embedder,
    now: datetime,
    *corpora: Iterable[Paper],  # noqa: ANN001
) -> Iterator[Services]:
    """Services built from default settings in ``data_dir`` (no demo corpus), the clock fixed at
    ``now``, each of ``corpora`` ingested in turn; closed when the generator ends."""
    settings = Settings(data_dir=data_dir, demo_corpus=False)
    built = build_services(settings, embedder=embedder, clock=lambda: now)
    for papers in corpora:
        built.index.ingest(papers)
    yield built
    built.close()
