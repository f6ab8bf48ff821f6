"""Hybrid ranking with the sentence signal (MaxSim) and BM25 weighted by its coverage.

A small real corpus (real model, real Chroma, real BM25): vision papers of the fast-transforms
listing, one Hugging Face paper on hallucinations in vision-language models among seven other
vision-language papers, and one made-up paper with a single sentence on Fourier token mixing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from retrieval.fusion import SHIPPED, TODAY, Fusion, dense_scores, fuse
from retrieval.index import PaperIndex
from retrieval.lexical import LexicalIndex
from retrieval.models import Paper
from retrieval.query import parse_question
from retrieval.sources.hf import read_daily_dir
from retrieval.sources.jsonl import read_jsonl
from tests.test_cli import paperboy

HALLUCINATION = "2602.22144"  # NoLan: Mitigating Object Hallucinations in Large VLMs
VLM_PAPERS = ("2603.01301", "2603.06569", "2603.08436", "2603.18004", "2603.11804", "2603.18002")
LISTING = ("FastViT", "EfficientViT", "Multiscale Vision", "Fourier-VLM", "Scattering Vision",
           "TurboViT", "ElasticViT", "An Image is Worth", "Advancing Plain Vision",
           "Simpler Fast Vision", "FNet", "Fourier Transformer", "FlashFFTConv", "Fastformer")  # fmt: skip
TYPO = "halucination in vision languge models"
ONE_SENTENCE = Paper(
    id="crop-yield-notes",
    title="Notes from a crop-yield benchmark",
    abstract=(
        "We collect soil, rainfall and temperature records from 40 farms over ten seasons. "
        "Yield is predicted with gradient-boosted trees and with a small recurrent network. "
        "A sliding window over the season gives the features for both models. "
        "As a side experiment, we replace the self-attention layer of a Transformer with an "
        "unparameterized Fourier transform that mixes the tokens. "
        "Rainfall is the strongest single predictor in every region. "
        "The records and the code are released for agronomists."
    ),
)


@pytest.fixture(scope="module")
def corpus(shared_data) -> list[Paper]:
    """22 real papers plus the made-up one."""
    listing = read_jsonl(shared_data / "papers_fast_transforms.jsonl").papers
    daily = read_daily_dir(shared_data / "hf_daily_papers", date(2026, 2, 1), date(2026, 3, 25))
    wanted = {HALLUCINATION, *VLM_PAPERS}
    return [
        *(p for p in listing if p.title.startswith(LISTING)),
        *(p for p in daily.papers if p.id in wanted),
        ONE_SENTENCE,
    ]


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory, corpus, embedder):
    """A data dir holding the small corpus (embedded once)."""
    data_dir = tmp_path_factory.mktemp("fusion")
    PaperIndex.open(data_dir, embedder).ingest(corpus)
    return data_dir


@pytest.fixture
def index(small_dir, embedder) -> PaperIndex:
    return PaperIndex.open(small_dir, embedder)


def ranked_ids(index: PaperIndex, text: str, mode: str = "hybrid") -> list[str]:
    hits = index.search(parse_question(text, date(2026, 8, 22), limit=20), mode=mode).hits
    return [h.paper.id for h in hits]


def test_typo_question_keeps_the_dense_answer_first(index):
    assert ranked_ids(index, TYPO, "dense")[0] == HALLUCINATION
    index.fusion = TODAY  # plain RRF: BM25 only sees "vision" and "model", and its noise wins
    assert ranked_ids(index, TYPO)[0] != HALLUCINATION
    index.fusion = SHIPPED
    assert ranked_ids(index, TYPO)[0] == HALLUCINATION


def test_maxsim_lifts_a_paper_whose_one_sentence_matches(index):
    question = "mixing tokens with a fourier transform instead of attention"
    index.fusion = replace(SHIPPED, maxsim=0.0)  # the same fusion without the sentence signal
    without = ranked_ids(index, question).index(ONE_SENTENCE.id)
    index.fusion = SHIPPED
    with_maxsim = ranked_ids(index, question).index(ONE_SENTENCE.id)
    assert with_maxsim <= without - 2  # lifted by two places or more (6th -> 4th here)
    assert ranked_ids(index, question, "dense").index(ONE_SENTENCE.id) >= 5  # diluted abstract


def test_index_searches_with_the_shipped_fusion(small_dir, embedder):
    assert PaperIndex.open(small_dir, embedder).fusion == SHIPPED
    assert SHIPPED.maxsim > 0 and SHIPPED.coverage_power > 0


def test_the_cli_answers_the_typo_question_with_the_right_paper_first(small_dir):
    done = paperboy("ask", "--json", TYPO, data_dir=small_dir)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert results[0]["id"] == HALLUCINATION


def test_coverage_counts_unknown_words_as_the_rarest():
    texts = ["vision models for images", "language models", "vision transformers", "hallucination"]
    lexical = LexicalIndex.build(["a", "b", "c", "d"], texts, 1)
    assert lexical.coverage("vision transformers") == pytest.approx(1.0)
    assert lexical.coverage("halucination in vision languge models") < 0.5
    assert lexical.coverage("zzz qqq") == 0.0
    assert lexical.coverage("   ") == 0.0


def test_fusion_weights_bm25_by_coverage():
    dense = [("right", 0.8), ("noise", 0.79)]
    lexical = [("noise", 9.0), ("x", 5.0), ("y", 4.0), ("right", 1.0)]
    plain = fuse(TODAY, dense, lexical, coverage=0.1)
    weighted = fuse(Fusion(maxsim=0.0, coverage_power=1.0), dense, lexical, coverage=0.1)
    assert plain[0][0] == "noise" and weighted[0][0] == "right"
    assert fuse(SHIPPED, dense, [], coverage=1.0) == dense


def test_dense_scores_mix_cosine_and_best_sentence():
    vector = np.asarray([1.0, 0.0], dtype=np.float32)
    dense = [("whole", 0.6), ("one-sentence", 0.4)]
    sentences = {
        "whole": (["a", "b"], [[0.6, 0.8], [0.6, 0.8]]),
        "one-sentence": (["a", "b"], [[1.0, 0.0], [0.0, 1.0]]),
        "bm25-only": (["a"], [[0.8, 0.6]]),
    }

    def sentence_vectors(ids):
        return {p: (s, np.asarray(v, np.float32)) for p, (s, v) in sentences.items() if p in ids}

    def paper_vectors(ids):
        return {p: np.asarray([0.5, 0.866], np.float32) for p in ids}

    fusion = Fusion(maxsim=0.5, depth=10, lexical_pool=True)
    ranked = dense_scores(fusion, vector, dense, ["bm25-only"], paper_vectors, sentence_vectors)
    scores = dict(ranked)
    assert [pid for pid, _ in ranked] == ["one-sentence", "bm25-only", "whole"]
    assert scores["one-sentence"] == pytest.approx(0.5 * 0.4 + 0.5 * 1.0)
    assert scores["bm25-only"] == pytest.approx(0.5 * 0.5 + 0.5 * 0.8)


def test_weak_dense_side_lets_bm25s_exact_match_lead():
    # "Hyena" on the demo corpus: best cosine 0.17, one paper has the word
    dense, lexical = [("a-sentence-close-by-chance", 0.17)], [("b-has-the-word", 5.0)]
    assert fuse(TODAY, dense, lexical, coverage=1.0)[0][0] == "a-sentence-close-by-chance"
    assert fuse(SHIPPED, dense, lexical, coverage=1.0, best_cosine=0.17)[0][0] == "b-has-the-word"
    assert fuse(SHIPPED, dense, lexical, coverage=1.0, best_cosine=0.6)[0][0] != "b-has-the-word"
