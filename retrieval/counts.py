"""How many results a question asks for: "top 5 ...", "10 papers on ...", "five papers"."""

from __future__ import annotations

import re

MAX_COUNT = 10  # a chat page; larger asks are shown this many, with a note
_B, _E = r"(?<![\w-])", r"(?![\w-])"  # word edges as in retrieval.query
_NUMBER_WORDS = "one two three four five six seven eight nine ten eleven twelve fifteen twenty"
_COUNT_VALUES = dict(zip(_NUMBER_WORDS.split(), [*range(1, 13), 15, 20], strict=True))
_COUNT = rf"(?P<n>\d{{1,3}}|{'|'.join(_COUNT_VALUES)})"
_COUNT_RES = [
    re.compile(rf"{_B}(?:the\s+)?top\s+{_COUNT}{_E}", re.I),
    re.compile(rf"{_B}{_COUNT}\s+(?:(?:new|recent|good|relevant|similar)\s+)?"
               rf"(?=(?:papers?|preprints?|articles?|results?)\b)", re.I),
]  # fmt: skip


def take_count(work: str, notes: list[str], mark: str) -> tuple[str, int | None]:
    """``(work with the count phrase replaced by " {mark} ", count in 1..MAX_COUNT)``, or
    ``(work, None)`` when no count is asked for; a count out of range is explained in ``notes``."""
    for pattern in _COUNT_RES:
        m = pattern.search(work)
        if m:
            raw = m["n"].lower()
            asked = int(raw) if raw.isdigit() else _COUNT_VALUES[raw]
            count = min(max(asked, 1), MAX_COUNT)
            if count != asked:
                notes.append(f"I show 1 to {MAX_COUNT} papers at a time; showing {count}.")
            return f"{work[: m.start()]} {mark} {work[m.end() :]}", count
    return work, None
