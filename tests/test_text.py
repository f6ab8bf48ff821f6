"""The shared text helpers: white space, shortening with "…", sentence splitting."""

from __future__ import annotations

import pytest

from retrieval.models import normalise_space as re_exported
from retrieval.text import first_sentence, normalise_space, shorten, split_sentences


def test_normalise_space_collapses_runs_and_line_breaks() -> None:
    assert normalise_space("  Fast\n\tFourier   transforms \r\n") == "Fast Fourier transforms"
    assert normalise_space(None) == "" and normalise_space("   ") == ""
    assert re_exported is normalise_space


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Prior work (e.g. BERT) is slow. We are fast.",
            ["Prior work (e.g. BERT) is slow.", "We are fast."],
        ),
        ("Dense models, i.e. Transformers, win. Sparse ones lose.", None),
        ("As Smith et al. Show, it works. Next.", ["As Smith et al. Show, it works.", "Next."]),
        ("Vaswani et al. (2017) proposed it. We extend it.", None),
        ("The loss in Eq. 3 is convex. Fig. 2 shows it.", None),
        ("The bound of Eq. (3) holds. See Sec. 4 and Tab. 1 for more.", None),
        ("Compare ours vs. GPT on code. Cf. Ref. 12 for details.", None),
        ("Accuracy rose from 71.5 to 80.2 points. Cost fell by 3.5x.", None),
        (
            "Is attention needed? No! We show it is not.",
            ["Is attention needed?", "No!", "We show it is not."],
        ),
        ("Results improve by 3.4. 12 of 14 tasks improve.", None),
        ("It ends with etc. The next sentence starts here.", None),
    ],
)
def test_split_sentences(text: str, expected: list[str] | None) -> None:
    sentences = split_sentences(text)
    if expected is None:  # two sentences, cut at the only real sentence end
        assert len(sentences) == 2, sentences
        assert " ".join(sentences) == text
    else:
        assert sentences == expected


def test_split_sentences_keeps_lower_case_continuations_and_collapses_space() -> None:
    assert split_sentences("We use a.k.a. tricks. and more\n text.") == [
        "We use a.k.a. tricks. and more text."
    ]
    assert split_sentences("") == [] and split_sentences(None) == []
    assert split_sentences("Done. A") == ["Done."]  # one-character fragments are dropped


def test_shorten_leaves_short_text_alone_but_collapses_space() -> None:
    assert shorten("a  short\ntext", 20) == "a short text"
    assert shorten("exactly ten", 11) == "exactly ten"


def test_shorten_cuts_at_a_word_and_adds_an_ellipsis() -> None:
    out = shorten("alpha beta gamma delta epsilon", 20)
    assert out == "alpha beta gamma…" and len(out) <= 20
    assert shorten("aaa bbb ccc", 8) == "aaa bbb…"  # the word that ends right at the limit stays
    assert shorten("state-of-the-art models are strong", 20) == "state-of-the-art…"


def test_shorten_drops_trailing_punctuation_before_the_ellipsis() -> None:
    assert shorten("Hello world, again here", 13) == "Hello world…"


def test_shorten_hard_cuts_a_first_word_longer_than_the_limit() -> None:
    assert shorten("supercalifragilistic words", 6) == "super…"
    assert shorten("x" * 50, 10) == "x" * 9 + "…"


@pytest.mark.parametrize("limit", [-3, 0])
def test_shorten_to_nothing(limit: int) -> None:
    assert shorten("some text", limit) == ""


def test_shorten_to_one_character_is_the_ellipsis() -> None:
    assert shorten("some text", 1) == "…"


def test_shorten_never_exceeds_the_limit() -> None:
    text = "We propose a fast, simple method; it works well: really. " * 8
    for limit in range(1, len(text) + 2):
        out = shorten(text, limit)
        assert len(out) <= limit
        assert out == normalise_space(text) or out.endswith("…")


def test_first_sentence_is_shortened() -> None:
    abstract = "Transformers, e.g. BERT, are slow at long inputs. We fix that."
    assert first_sentence(abstract, 300) == "Transformers, e.g. BERT, are slow at long inputs."
    assert first_sentence(abstract, 20) == "Transformers, e.g.…"
    assert first_sentence("no sentence end here", 300) == "no sentence end here"
