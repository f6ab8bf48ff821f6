"""Question text -> :class:`SearchQuery`: free text plus the filters named in the question.

Filters are read from the question's own words and those words are cut out of ``text`` so they
do not pollute the dense/BM25 search:

* dates, relative to ``today`` ("this week", "past 3 months", "since March 2024", "in 2025",
  "between 2021 and 2022", ...), as inclusive ``since``/``until`` dates (the phrases and their
  rules live in :mod:`retrieval.dates`);
* ``by <author>`` (1-4 words, stopping at a filter word; see ``_NOT_A_NAME`` for the words
  after which "by" is ordinary English: "by using", "by the", "by means of", "by reducing");
* explicit ordering words ("trending", "popular", "hot" -> trending; "latest", "newest first",
  "sorted by date" -> newest); "recent", "new" and "what's new" do not re-order;
* a number of results ("top 5", "10 papers on ..."), 1..10;
* an arXiv id or paper URL ("papers like 2105.03824", "similar to arxiv.org/abs/...") ->
  ``similar_to`` with the version stripped.

Nothing here raises on user input: dates that cannot be read, dates in the future and
contradictions become human-readable ``notes``, and such words stay in ``text``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date

from retrieval.counts import take_count
from retrieval.dates import take_dates
from retrieval.models import Order, SearchQuery, strip_arxiv_version
from retrieval.text import normalise_space

MAX_CHARS = 2000
_CUT = "\ue000"  # marks a removed span: neither a word nor white space, so names cannot cross it
_B, _E = r"(?<![\w-])", r"(?![\w-])"  # word edges that also keep "one-hot", "on-device" whole

# --- arXiv ids and paper URLs ------------------------------------------------------------------
_NEW_ID = r"(\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v\d+)?"
_OLD_ID = r"([a-z][a-z-]*(?:\.[A-Z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3})(?:v\d+)?"
_ID_IN_URL = re.compile(rf"(?<![\w.]){_NEW_ID}(?!\d)|(?<![\w.-]){_OLD_ID}(?!\d)")
_URL = r"<?(?:https?://|www\.)\S+|(?<![\w.@])(?:[\w-]+\.)+(?:org|com|co|io|net|ai|edu)/\S*"
_LIKE = (
    r"(?:(?:papers?|articles?|more|something|anything|stuff|others?|ones?|work)\s+)?"
    r"(?:similar\s+(?:papers?\s+)?to|related\s+to|like)\s*:?\s*"
)
_BARE_ID = (
    rf"(?<![\w./-])(?i:arxiv:?\s*)?(?:{_NEW_ID.replace('(', '(?P<new>', 1)}(?![\w]|\.\d)"
    rf"|{_OLD_ID.replace('(', '(?P<old>', 1)}(?!\d))"
)
_ID_RE = re.compile(rf"(?P<pre>{_B}(?i:{_LIKE}))?(?P<id>{_URL}|{_BARE_ID})")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- ordering words (a group "w", when present, is the part that is cut out) -------------------
# Only an explicit request re-orders: "recent", "new" and "what's new" are ordinary words (most
# pasted abstracts start "Recent work ..."), so they never switch to newest-first.
_PAPERS_AHEAD = r"(?=(?:papers?|preprints?|articles?|work|research|results?)\b)"
_ORDER_RULES: list[tuple[re.Pattern[str], Order]] = [
    (re.compile(p, re.I), order)
    for p, order in [
        (rf"{_B}(?:most\s+(?:upvoted|popular|liked|discussed)|trending|popular|upvoted|"
         rf"hottest|hot)(?:\s+(?:in|on|for)(?=\s))?{_E}|🔥", "trending"),
        (rf"{_B}(?:(?:sort(?:ed)?|order(?:ed)?)\s+by\s+(?:date|recency)|by\s+date|"
         rf"(?:newest|latest|most\s+recent)\s+first|newest|latest){_E}", "newest"),
        (rf"{_B}(?P<w>most\s+recent)\s+{_PAPERS_AHEAD}", "newest"),
        (rf"{_B}(?:(?:sort(?:ed)?|order(?:ed)?)\s+by\s+relevance|most\s+relevant){_E}",
         "relevance"),
        (rf"{_B}(?P<w>top)\s+{_PAPERS_AHEAD}", "trending"),
    ]
]  # fmt: skip
_ORDER_RANK: dict[Order, int] = {"trending": 0, "newest": 1, "relevance": 2}

# --- authors -----------------------------------------------------------------------------------
_NAME_WORD = r"[^\W\d_](?:[\w'’-]*[^\W_])?\.?"
_BY_RE = re.compile(
    rf"{_B}(?:(?:authored|written)\s+)?by\s+(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,4}})",
    re.I,
)
# in a pasted passage (more words than this) only a capitalised name after "by" is an author
PASSAGE_WORDS = 16
_AUTHOR_VERBS = _words("written authored published posted submitted released co-authored")
# "by" followed by one of these is ordinary English, not an author ("by using", "by the way").
# Lower-case gerunds longer than four letters ("by reducing", "by adding") count too.
_NOT_A_NAME = _words(
    "the a an this that these those its their our his her my your means way using use default "
    "design far hand itself themselves contrast comparison construction definition example "
    "nature chance combining leveraging exploiting exploring which what how"
)
# a name stops before these words (filters, joins, filler)
_AFTER_NAME = _words(
    "since after before until till in on from between during about regarding with without and "
    "or for that who which et published posted papers paper this last past today yesterday "
    "newest latest recent trending popular please using"
)
_PARTICLES = _words("van von der den de del della di da du le la bin ibn al el dos das ten ter")

# --- filler ------------------------------------------------------------------------------------
_FILLER = re.compile(
    rf"{_B}(?:show\s+me|search\s+for|look(?:ing)?\s+(?:for|up)|find(?:\s+me)?|give\s+me|please|"
    rf"papers?|articles?|preprints?|publications?|any|about|on|from|published|posted|submitted|"
    rf"et\s+al){_E}\.?",
    re.I,
)
_LEADING = re.compile(
    r"^(?:what['’]?s\s+new(?:\s+(?:in|on|for|about|with))?|what\s+is\s+new(?:\s+in)?|"
    r"more|new|recent|"
    r"what\s+(?:are|is|were)|what['’]?s|which|are\s+there|is\s+there|can\s+you|could\s+you|"
    r"i\s+want|i\s+need|i['’]?m\s+looking\s+for|get\s+me|the|some|me|anything|something|regarding)"
    rf"{_E}\s*",
    re.I,
)
_ORPHAN = re.compile(r"(?<!\S)[^\w\s]+(?!\S)")


def find_arxiv_id(text: str) -> str | None:
    """The first arXiv id in ``text`` (bare, ``arXiv:``-prefixed or inside a paper URL),
    without its version suffix; ``None`` when there is none."""
    for m in _ID_RE.finditer(_clean(text)):
        found = _ids_of(m)
        if found:
            return found[0]
    return None


def parse_question(text: str, today: date, limit: int = 10) -> SearchQuery:
    """Read a chat question into free text plus filters (dates, author, order, similar paper).

    Never raises on user input; whatever was ignored or ambiguous is explained in ``notes``.
    """
    notes: list[str] = []
    work = _clean(text)
    if len(str(text or "")) > MAX_CHARS:
        notes.append(f"The question was cut to its first {MAX_CHARS} characters.")
    work, ids = _take_ids(work, notes)
    work, since, until = take_dates(work, today, notes, _CUT)
    work, order = _take_order(work, notes)
    work, count = take_count(work, notes, _CUT)
    work, author = _take_author(work, notes)
    if len(ids) > 1:
        notes.append(f"Several paper ids were given; using the first, {ids[0]}.")
    return SearchQuery(
        text=_tidy(work),
        since=since,
        until=until,
        author=author,
        order=order,
        similar_to=ids[0] if ids else None,
        limit=count or limit,
        notes=tuple(notes),
    )


def describe_filters(query: SearchQuery) -> str:
    """A short phrase naming the query's filters, e.g. "since 2024-01-01, by Hinton, newest
    first"; "" when there are none."""
    parts = []
    if query.similar_to:
        parts.append(f"similar to {query.similar_to}")
    if query.since and query.until:
        parts.append(
            f"on {query.since}"
            if query.since == query.until
            else f"from {query.since} to {query.until}"
        )
    elif query.since:
        parts.append(f"since {query.since}")
    elif query.until:
        parts.append(f"until {query.until}")
    if query.author:
        parts.append(f"by {query.author}")
    parts.append({"newest": "newest first", "trending": "trending first"}.get(query.order, ""))
    return ", ".join(p for p in parts if p)


def _clean(text: object) -> str:
    """Cut to MAX_CHARS, turn control/format/private characters into spaces, squeeze spaces."""
    raw = str(text or "")[:MAX_CHARS]
    return normalise_space("".join(" " if unicodedata.category(c)[0] == "C" else c for c in raw))


def _ids_of(m: re.Match[str]) -> list[str]:
    if m["new"] or m["old"]:
        found = [m["new"] or m["old"]]
    else:  # a URL: any id inside it (Slack's "<url|label>" holds the same id twice)
        found = [a or b for a, b in _ID_IN_URL.findall(m["id"])]
    return [strip_arxiv_version(f) for f in dict.fromkeys(found)]


def _take_ids(work: str, notes: list[str]) -> tuple[str, list[str]]:
    ids: list[str] = []

    def cut(m: re.Match[str]) -> str:
        found = _ids_of(m)
        if not found:
            notes.append(f"No arXiv id found in {m['id']}; it was searched as text.")
            return m[0]
        ids.extend(i for i in found if i not in ids)
        return f" {_CUT} "

    return _ID_RE.sub(cut, work), ids


def _take_order(work: str, notes: list[str]) -> tuple[str, Order]:
    seen: list[Order] = []
    for pattern, order in _ORDER_RULES:
        m = pattern.search(work)
        while m:
            seen.append(order)
            start, end = m.span("w") if "w" in pattern.groupindex else m.span()
            work = f"{work[:start]} {_CUT} {work[end:]}"
            m = pattern.search(work)
    if not seen:
        return work, "relevance"
    order = min(seen, key=_ORDER_RANK.__getitem__)
    if len(set(seen)) > 1:
        notes.append(f"Several orderings were asked for; showing {order} first.")
    return work, order


def _name(words: list[str]) -> str | None:
    first = words[0]
    gerund = first.islower() and len(first) > 4 and first.endswith("ing")
    if gerund or first.lower() in _NOT_A_NAME:
        return None
    capitalised = first[0].isupper()
    taken: list[str] = []
    for i, word in enumerate(words[:4]):
        low = word.lower().rstrip(".")
        if low in _AFTER_NAME:
            break
        if capitalised and i and not word[0].isupper():
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if not (low in _PARTICLES and nxt[:1].isupper()):
                break
        taken.append(word)
    if not taken:
        return None
    if len(taken[-1]) > 2:
        taken[-1] = taken[-1].rstrip(".")
    return " ".join(taken)


def _authors(work: str, pos: int = 0) -> Iterator[tuple[int, int, str]]:
    """(start, end, name) of each "by <name>" from ``pos`` on; matches may overlap."""
    passage = len(work.split()) > PASSAGE_WORDS
    while m := _BY_RE.search(work, pos):
        words = m["name"].split()
        name = _name(words)
        if name and name[0].islower() and (passage or _passive(work[: m.start()])):
            name = None  # "bottlenecked by quadratic attention": English, not an author
        if name:
            yield m.start(), m.start("name") + len(" ".join(words[: len(name.split())])), name
        pos = m.start() + 1


def _passive(before: str) -> bool:
    """Whether the words before a "by" end in a participle ("limited", "driven", "followed"),
    so a lower-case "by <words>" names a cause; "written by", "published by" and the like ask
    for an author."""
    words = before.split()
    last = words[-1].lower() if words else ""
    return last not in _AUTHOR_VERBS and len(last) > 3 and last.endswith(("ed", "en"))


def _take_author(work: str, notes: list[str]) -> tuple[str, str | None]:
    for start, end, name in _authors(work):
        if next(_authors(work, end), None):
            notes.append(f"Only one author can be searched at a time; using {name}.")
        return f"{work[:start]} {_CUT} {work[end:]}", name
    return work, None


def _tidy(work: str) -> str:
    text = _FILLER.sub(" ", work.replace(_CUT, " "))
    text = normalise_space(_ORPHAN.sub(" ", text))
    while (m := _LEADING.match(text)) and m.end():
        text = text[m.end() :]
    return text.strip(" ?!.,;:-–—")
