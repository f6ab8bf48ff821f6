"""The same store code against a real `chroma run` server on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from retrieval.index import PaperIndex
from retrieval.models import SearchQuery
from retrieval.sources.jsonl import read_jsonl


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma run did not come up")
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def test_ingest_and_search_through_a_chroma_server(chroma_server, tmp_path, embedder, shared_data):
    papers = read_jsonl(shared_data / "papers_fast_transforms.jsonl").papers[:30]
    index = PaperIndex.open(tmp_path, embedder, chroma_host="127.0.0.1", chroma_port=chroma_server)
    report = index.ingest(papers)
    assert report.added == 30 and index.count() == 30
    assert index.ingest(papers).embedded == 0  # incremental against the server too
    # a second process (fresh data dir, no local lexical index) sees the same papers
    other = PaperIndex.open(
        tmp_path / "other", embedder, chroma_host="127.0.0.1", chroma_port=chroma_server
    )
    for mode in ("dense", "lexical", "hybrid"):
        hits = other.search(SearchQuery(text=papers[3].title, limit=3), mode=mode).hits
        assert hits[0].paper.id == papers[3].id
    assert other.store.heartbeat()
