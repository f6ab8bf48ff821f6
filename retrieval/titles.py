"""Finding a paper by its title: exact or near-exact, after normalising case, accents and
punctuation ("FNet: Mixing Tokens with Fourier Transforms" == "fnet mixing tokens with fourier
transforms")."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

NEAR_EXACT = 0.9  # difflib ratio: a typo or a dropped word in a long title, not another paper
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise_title(title: str) -> str:
    """Lower-case ASCII letters and digits separated by single spaces."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return _NOT_WORD.sub(" ", ascii_text.lower()).strip()


def match_title(wanted: str, titles: Sequence[str]) -> int | None:
    """Position of the title in ``titles`` (already normalised) that ``wanted`` names: an exact
    match, else the closest one at least :data:`NEAR_EXACT` alike; None when none is."""
    needle = normalise_title(wanted)
    if not needle:
        return None
    for position, title in enumerate(titles):
        if title == needle:
            return position
    best, best_ratio = None, NEAR_EXACT
    matcher = difflib.SequenceMatcher(b=needle, autojunk=False)
    for position, title in enumerate(titles):
        matcher.set_seq1(title)
        if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio >= best_ratio:
            best, best_ratio = position, ratio
    return best
