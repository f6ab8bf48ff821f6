"""Questions phrased the way researchers type them, asked through the real `paperboy chat` on the
bundled demo store, with arXiv faked on loopback (issue 12)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.scripted_server import Canned, ScriptedServer

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "quality" / "fast_transforms_queries.json"
FNET = "FNet: Mixing Tokens with Fourier Transforms"
ON_ARXIV = {
    "2302.10866": (
        "Hyena Hierarchy: Towards Larger Convolutional Language Models",
        "We propose Hyena, a subquadratic drop-in replacement for attention constructed by "
        "interleaving implicitly parametrized long convolutions and data-controlled gating. "
        "Long convolutions are evaluated with the fast Fourier transform in n log n time.",
    ),
    "2105.03824": (
        FNET,
        "We show that Transformer encoder architectures can be sped up by replacing the "
        "self-attention sublayers with simple linear transformations that mix input tokens, "
        "such as an unparameterized Fourier Transform.",
    ),
}
PASSAGE = (
    "Recent work has shown that the quadratic cost of self-attention limits Transformers on long "
    "sequences. We replace attention with token mixing in the frequency domain: the sequence is "
    "transformed with the fast Fourier transform, multiplied by learned filters and transformed "
    "back, which costs O(n log n) time and O(n) memory. On long-range benchmarks the model "
    "matches the accuracy of efficient attention variants while training considerably faster "
    "on GPUs and TPUs, and it needs no attention maps at all. We further analyse which "
    "frequencies the filters keep and show that low frequencies carry most of the signal, "
    "which motivates truncating the spectrum for additional savings in compute and memory."
)


def atom(ids: str) -> Canned:
    """An arXiv API feed with the requested papers that the fake arXiv knows."""
    entries = "".join(
        f"<entry><id>http://arxiv.org/abs/{pid}v1</id>"
        f"<published>2023-02-21T00:00:00Z</published><title>{escape(title)}</title>"
        f"<summary>{escape(abstract)}</summary><author><name>A. Author</name></author></entry>"
        for pid in ids.split(",")
        if pid in ON_ARXIV
        for title, abstract in [ON_ARXIV[pid]]
    )
    feed = f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
    return Canned(200, feed.encode(), {"Content-Type": "application/atom+xml"})


@pytest.fixture(scope="module")
def arxiv():
    server = ScriptedServer(lambda path, query: atom(query.get("id_list", "")))
    yield server
    server.close()


@pytest.fixture(scope="module")
def chat(demo_index_dir, tmp_path_factory, arxiv):
    """Run one `paperboy chat` session over a copy of the demo store; returns a function that
    gives the reply to each line by its text."""

    def run(lines: list[str], arxiv_url: str | None = None) -> list[str]:
        data = tmp_path_factory.mktemp("phrasings") / "data"
        shutil.copytree(demo_index_dir, data)
        env = {**os.environ, "PAPERBOY_DATA_DIR": str(data), "COLUMNS": "1000"}
        env["PAPERBOY_SCHEDULER__ARXIV_API_URL"] = arxiv_url or f"{arxiv.url}/api/query"
        env.pop("PAPERBOY_CONFIG", None)
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "chat"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            input="\n".join([*lines, "quit"]) + "\n",
        )
        assert done.returncode == 0, done.stderr
        replies = done.stdout.split("paperboy> ")[1:]
        assert len(replies) == len(lines) + 1, done.stdout[-2000:]
        assert "Traceback" not in done.stdout + done.stderr
        return replies[:-1]

    return run


SCRIPT = [
    "more",  # 0: nothing to page yet
    "Fourier transforms",  # 1
    "more",  # 2: page 2 of 1
    "more",  # 3: page 3 of 1
    "what's new in token mixing with Fourier transforms?",  # 4
    "token mixing with Fourier transforms",  # 5
    "Recent work on token mixing with Fourier transforms",  # 6
    "latest papers on diffusion",  # 7
    "diffusion, sorted by date",  # 8
    "top 3 papers on token mixing",  # 9
    "7 papers on butterfly matrices",  # 10
    "more papers on butterfly matrices",  # 11
    "more like arXiv:2302.10866",  # 12: not in the library: fetched from arXiv
    "similar 2105.03824",  # 13: the docs' example: fetched too
    "similar 2301.99999",  # 14: arXiv has no such paper
    f'papers like "{FNET}"',  # 15
    "papers like “fnet - mixing tokens with fourier transform”",  # 16: near-exact
    'papers like "A Paper Nobody Ever Wrote About Anything"',  # 17
    PASSAGE,  # 18
    "x" * 5200,  # 19
    "asdkjh qwpoeiru",  # 20
    "how do I fix my car's transmission",  # 21
    "diffusion this week",  # 22
    "trending papers on attention",  # 23
    "help",  # 24
]


@pytest.fixture(scope="module")
def replies(chat) -> list[str]:
    return chat(SCRIPT)


def items(reply: str) -> list[str]:
    """The numbered paper titles of a reply."""
    return re.findall(r"^(\d+\. .+?)(?:  |$)", reply, re.M)


def test_typed_more_pages_the_last_answer(replies):
    assert "no earlier answer" in replies[0]
    assert "Results 1-5" in replies[1] and items(replies[1])[0].startswith("1. ")
    assert "Results 6-10" in replies[2] and items(replies[2])[0].startswith("6. ")
    assert "Results 11-15" in replies[3] and "expired" not in replies[2] + replies[3]
    assert not set(items(replies[1])) & set(items(replies[2]))


def test_recent_and_whats_new_do_not_reorder(replies):
    asked, plain, recent = replies[4], replies[5], replies[6]
    assert "newest first" not in asked + recent
    assert items(asked) == items(plain)
    assert any("FNet" in title for title in items(recent)), recent
    assert "newest first" in replies[7] and "newest first" in replies[8]


def test_counts_are_read_and_cut_from_the_text(replies):
    assert len(items(replies[9])) == 3 and "Papers for “token mixing”" in replies[9]
    assert len(items(replies[10])) == 7 and "Papers for “butterfly matrices”" in replies[10]


def test_questions_starting_with_more_are_questions(replies):
    assert "Papers for “butterfly matrices”" in replies[11] and "Results 1-5" in replies[11]
    assert "Papers like “Hyena Hierarchy" in replies[12] and items(replies[12])
    assert f"Papers like “{FNET}”" in replies[13] and items(replies[13])
    assert "arXiv has no paper 2301.99999" in replies[14] and "search" in replies[14]


def test_fetches_asked_arxiv_for_the_ids(replies, arxiv):
    asked = [query.get("id_list") for _, query in arxiv.requests]
    assert {"2302.10866", "2105.03824", "2301.99999"} <= set(asked)


def test_titles_in_quotes_find_the_paper(replies):
    for reply in (replies[15], replies[16]):
        assert f"Papers like “{FNET}”" in reply and len(items(reply)) == 5
        assert not any(FNET in title for title in items(reply))
    assert "couldn't find a paper titled" in replies[17] and "search" in replies[17]


def test_a_pasted_passage_is_papers_like_it(replies):
    assert "Papers like the passage you pasted" in replies[18]
    assert "newest first" not in replies[18]
    titles = " ".join(items(replies[18])).lower()
    assert "fourier" in titles or "fnet" in titles or "fft" in titles, titles
    assert "5,000" in replies[19] and not items(replies[19])


def test_nothing_matching_is_said_not_padded(replies):
    for reply in (replies[20], replies[21]):
        assert "Nothing in my library really matches" in reply and not items(reply)
    assert "My newest paper is from 2026-08-20" in replies[22]
    assert "paperboy ingest hf --since 2026-08-21" in replies[22]


def test_trending_never_ranks_papers_without_a_signal_first(replies):
    titles = items(replies[23])
    assert titles
    voted = [("▲" in line) for line in replies[23].splitlines() if re.match(r"\d+\. ", line)]
    assert voted[0], replies[23]
    assert voted == sorted(voted, reverse=True), "a paper without votes outranked a voted one"


def test_help_lists_what_the_router_understands(replies):
    for phrase in ("more", 'papers like "', "top 3", "paste an abstract", "sorted by date"):
        assert phrase in replies[24]


def test_real_questions_still_answer(chat):
    questions = [q["query"] for q in json.loads(BENCH.read_text())]
    for question, reply in zip(questions, chat(questions), strict=True):
        assert "Nothing in my library" not in reply and items(reply), question


def test_arxiv_offline_is_said_and_the_documented_examples_need_no_network(chat):
    offline = "http://127.0.0.1:9/api/query"  # nothing listens on the discard port
    missing, *examples = chat(
        ["similar 2302.10866", "similar 2607.27230", "papers like 2608.13210"], offline
    )
    assert "couldn't reach arXiv" in missing and "search" in missing
    for reply in examples:
        assert reply.startswith("Papers like “") and len(items(reply)) == 5, reply
