"""Shared fixtures: one real embedding model and one real demo-corpus index per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The recorded real data beside the checkout (../shared/data)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    return SHARED_DATA


@pytest.fixture(scope="session")
def embedder():
    """The real bundled all-MiniLM-L6-v2, loaded once."""
    from retrieval.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def demo_index_dir(tmp_path_factory, embedder) -> Path:
    """A data dir whose embedded store holds the bundled demo corpus (embedded once)."""
    from bot.corpus import ensure_corpus
    from retrieval.index import PaperIndex

    data_dir = tmp_path_factory.mktemp("demo-index")
    index = PaperIndex.open(data_dir, embedder)
    ensure_corpus(index)
    return data_dir


@pytest.fixture
def demo_index(demo_index_dir, embedder, tmp_path):
    """A private copy of the demo index (tests may write to it)."""
    from retrieval.index import PaperIndex

    copy = tmp_path / "data"
    shutil.copytree(demo_index_dir, copy)
    return PaperIndex.open(copy, embedder)


@pytest.fixture(scope="session")
def shared_demo_index(demo_index_dir, embedder):
    """The demo index itself, read-only use."""
    from retrieval.index import PaperIndex

    return PaperIndex.open(demo_index_dir, embedder)


@pytest.fixture(scope="module")
def demo_chroma(tmp_path_factory, demo_index_dir):
    """A real ``chroma run`` server (module-wide) holding the demo corpus in ``papers``.

    Tests may stop and start it again (same port and path) to simulate an outage."""
    from bot.ops.migrate import copy_collection
    from retrieval.store import PaperStore
    from tests.fakes.processes import ChromaProcess

    server = ChromaProcess(tmp_path_factory.mktemp("chroma-demo")).start()
    try:
        source = PaperStore.embedded(demo_index_dir / "chroma")
        copy_collection(source, PaperStore.remote("127.0.0.1", server.port))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on a free loopback port for the whole session."""
    from tests.fakes.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.close()


@pytest.fixture
def new_pg_database(postgres):
    """Make fresh, empty PostgreSQL databases: each call returns a new one's URL."""
    import uuid

    from sqlalchemy import create_engine, text

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(postgres.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return postgres.url.rsplit("/", 1)[0] + f"/{name}"

    return make


@pytest.fixture
def pg_url(new_pg_database) -> str:
    """The URL of a fresh, empty PostgreSQL database for one test."""
    return new_pg_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_target(request, tmp_path):
    """A fresh state database on each backend: a SQLite file path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "state.sqlite3"
    return request.getfixturevalue("pg_url")
