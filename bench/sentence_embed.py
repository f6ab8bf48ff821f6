"""Sentence vectors two ways, on real abstracts: speed and snippet agreement.

* *separate*: the whole text encoded (as today) plus every title / abstract sentence encoded as
  a text of its own;
* *pooled*: one forward pass of the whole text, token embeddings mean-pooled over each
  sentence's span (sentences past the model's length limit encoded on their own);
* *derived*: only the sentences encoded, the paper vector made from them (their mean, each
  weighted by its word count): no whole-text pass at all. Its cosine to the whole-text vector
  is reported here; what it does to ranking is measured by ``eval_quality.py`` (bench/README.md).

Agreement: for each paper and each question (its HF ``ai_keywords``, else its first 4 title
words; and the title itself), is the snippet picked from pooled vectors the one picked from
separate ones? Also the int8 storage form against float32. Usage::

    python bench/sentence_embed.py [--papers 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale_data import load_recent, sample  # noqa: E402
from retrieval.embed import SentenceTransformerEmbedder  # noqa: E402
from retrieval.sentences import (  # noqa: E402
    embed_papers,
    encode_separately,
    pack,
    paper_sentences,
    unpack,
)
from retrieval.snippets import pick_sentence  # noqa: E402


def questions(paper) -> list[str]:
    """Short questions about a paper: its title's first words and a phrase of its abstract."""
    words = paper.title.split()
    middle = paper.abstract.split()
    return [" ".join(words[:4]), " ".join(middle[len(middle) // 2 : len(middle) // 2 + 5])]


def derive(rows: np.ndarray, sentences: list[str]) -> np.ndarray:
    """A paper vector from its sentence vectors: their mean weighted by word count, unit length
    (the *derived* way; not shipped, see the module doc)."""
    weights = np.array([max(1, len(s.split())) for s in sentences], np.float32)
    vector = weights @ rows
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def main() -> None:
    """Measure and print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=200)
    args = parser.parse_args()
    papers = sample(load_recent(5000), args.papers)
    embedder = SentenceTransformerEmbedder(pool_sentences=True)
    embedder.encode([p.text for p in papers[:16]])  # warm-up
    timings = {}
    started = time.perf_counter()
    raw = embedder.encode([p.text for p in papers])
    timings["raw_encode_s"] = time.perf_counter() - started
    started = time.perf_counter()
    whole, pooled = embed_papers(embedder, papers)
    timings["pooled_s"] = time.perf_counter() - started
    embedder.pools_spans = False  # the shipped default: one encode call, sentences on their own
    started = time.perf_counter()
    _, separate = embed_papers(embedder, papers)
    timings["separate_s"] = time.perf_counter() - started
    split = [paper_sentences(p.title, p.abstract) for p in papers]
    started = time.perf_counter()
    derived = np.stack(
        [derive(rows, s) for rows, s in zip(encode_separately(embedder, split), split, strict=True)]
    )
    timings["derived_s"] = time.perf_counter() - started
    derived_cosine = np.sum(raw * derived, axis=1)
    same_whole = float(np.min(np.sum(raw * whole, axis=1)))
    agree = agree_int8 = total = 0
    for paper, pv, sv in zip(papers, pooled, separate, strict=True):
        sentences = paper_sentences(paper.title, paper.abstract)
        for question in questions(paper):
            vector = embedder.encode([question])[0]
            picked = pick_sentence(question, vector, sentences[1:], sv[1:])
            agree += picked == pick_sentence(question, vector, sentences[1:], pv[1:])
            small = unpack(pack(pv), len(pv))
            agree_int8 += pick_sentence(question, vector, sentences[1:], pv[1:]) == pick_sentence(
                question, vector, sentences[1:], small[1:]
            )
            total += 1
    sentences_per_paper = sum(len(v) for v in pooled) / len(pooled)
    summary = {
        "papers": len(papers),
        "sentences_per_paper": round(sentences_per_paper, 2),
        "raw_encode_papers_per_s": round(len(papers) / timings["raw_encode_s"], 1),
        "pooled_papers_per_s": round(len(papers) / timings["pooled_s"], 1),
        "separate_papers_per_s": round(len(papers) / timings["separate_s"], 1),
        "pooled_vs_raw": round(timings["raw_encode_s"] / timings["pooled_s"], 2),
        "separate_vs_raw": round(timings["raw_encode_s"] / timings["separate_s"], 2),
        "derived_papers_per_s": round(len(papers) / timings["derived_s"], 1),
        "derived_vs_raw": round(timings["raw_encode_s"] / timings["derived_s"], 2),
        "derived_vs_whole_cosine_mean_p5": [
            round(float(derived_cosine.mean()), 3),
            round(float(np.percentile(derived_cosine, 5)), 3),
        ],
        "whole_vector_min_cosine_to_encode": round(same_whole, 6),
        "questions": total,
        "snippet_agreement_pooled_vs_separate": round(agree / total, 3),
        "snippet_agreement_int8_vs_float32": round(agree_int8 / total, 3),
        "packed_bytes_per_paper": round(sum(len(pack(v)) for v in pooled) / len(pooled), 0),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
