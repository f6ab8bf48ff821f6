"""Plain-text helpers shared by the retrieval core and the chat adapters.

One place for each small job on text: collapsing white space, cutting to a length at a word
with "…", and splitting an abstract into sentences. No third-party imports, so anything may use
it.
"""

from __future__ import annotations

import re
import textwrap

ELLIPSIS = "…"

# A sentence may end at . ! ? followed by white space and an upper-case letter, a digit, a quote
# or an opening bracket ...
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z0-9\"'(\[])")
# ... except after an abbreviation that does not end a sentence ("e.g. BERT", "et al. (2020)",
# "Fig. 3", "Eq. (2)", "vs. GPT"). "etc." is not one of them: followed by a capital, it ends one.
_ABBREVIATION = re.compile(
    r"(?<![\w.])(?:e\.g|i\.e|et\s+al|cf|vs|viz|approx|figs?|eqs?|secs?|tabs?|refs?)\Z",
    re.IGNORECASE,
)
_ABBREVIATION_REACH = 16  # characters before a full stop that can hold an abbreviation


def normalise_space(text: str | None) -> str:
    """Collapse runs of white space (including hard line breaks) to single spaces and strip the
    ends; ``None`` gives ``""``."""
    return " ".join((text or "").split())


def shorten(text: str | None, limit: int) -> str:
    """``text`` with white space collapsed, at most ``limit`` characters long.

    Longer text is cut after the last whole word that fits, trailing ``,;:`` dropped, and "…"
    added. A first word longer than ``limit`` is cut hard (``textwrap.shorten`` alone would
    return just the ellipsis). ``limit < 1`` gives ``""``.
    """
    flat = normalise_space(text)
    if len(flat) <= limit:
        return flat
    if limit < 1:
        return ""
    cut = textwrap.shorten(flat, width=limit, placeholder=ELLIPSIS, break_on_hyphens=False)
    kept = cut.removesuffix(ELLIPSIS).rstrip(",;:")
    if not kept:  # no whole word fits: cut inside the first one
        kept = flat[: limit - len(ELLIPSIS)].rstrip()
    return kept + ELLIPSIS


def split_sentences(text: str | None) -> list[str]:
    """Split ``text`` (an abstract) into sentences, white space collapsed.

    A sentence ends at ``.``, ``!`` or ``?`` before white space and an upper-case letter, digit,
    quote or opening bracket, so decimals ("3.5") and lower-case continuations never split, and
    neither do common abbreviations ("e.g.", "i.e.", "et al.", "cf.", "vs.", "Fig. 2",
    "Eq. (3)", "Sec.", "Tab.", "Ref."). Fragments of one character are dropped.
    """
    flat = normalise_space(text)
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(flat):
        end = match.start()
        if match[0] == "." and _ABBREVIATION.search(flat, max(0, end - _ABBREVIATION_REACH), end):
            continue
        parts.append(flat[start : end + 1].strip())
        start = end + 1
    parts.append(flat[start:].strip())
    return [p for p in parts if len(p) > 1]


def first_sentence(text: str | None, limit: int) -> str:
    """The first sentence of ``text`` (all of it when it has no sentence), shortened to
    ``limit`` characters with :func:`shorten`."""
    sentences = split_sentences(text)
    return shorten(sentences[0] if sentences else text, limit)


# C0 controls except tab/newline/carriage return, DEL, C1 controls, and the bidi marks,
# embeddings, overrides and isolates (LRM, RLM, LRE..RLO, LRI..PDI) plus ALM.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def strip_controls(text: str | None) -> str:
    """``text`` without control characters and bidi overrides (NUL, ESC, U+202E, ...).

    Tabs and line breaks are kept (white space is handled by :func:`normalise_space`); ``None``
    gives ``""``. Such characters in a title or abstract can reorder or hide what a reader sees.
    """
    return _CONTROLS.sub("", text or "")
