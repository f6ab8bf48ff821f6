"""Date phrases in a question -> inclusive ``since``/``until`` dates, relative to ``today``.

One table (``_TERMS``) lists every term Paperboy reads, each with the period it names: ISO dates
and months ("2024-03-05", "2024-03"), written dates ("May 5, 2024", "5th May 2024", "March 2024"),
years ("2024"), month names ("march": its latest occurrence up to today) and relative terms
("today", "yesterday", "this week", "last month", "past 3 months", "the last two weeks", ...).
A preposition turns a term's period into a filter ("since", "after", "before", "until", "in",
...); "from/between A to/and B" spans both; a relative term may also stand alone.

:func:`take_dates` finds these phrases in a question, replaces each one it uses with a marker
chosen by the caller, and returns the combined ``since``/``until``. It never raises on user
input: dates that cannot be read, dates in the future and contradictions become human-readable
notes, and such phrases stay in the text.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta

from dateutil.parser import parserinfo
from dateutil.relativedelta import relativedelta

from retrieval.text import normalise_space

_B = r"(?<![\w-])"  # a word edge that also keeps "one-hot", "on-device" whole (as in query)
_DAY = timedelta(days=1)
Period = tuple[date, date]

# --- one table of terms, each with the period it names ----------------------------------------
_INFO = parserinfo()
_MON = "(?:" + "|".join(sorted({n.lower() for ns in _INFO.MONTHS for n in ns}, key=len)[::-1])
_MON += r")\.?"
_FULL_MON = "(?:" + "|".join(ns[-1].lower() for ns in _INFO.MONTHS) + ")"
_NUMBERS = "one two three four five six seven eight nine ten eleven twelve".split()  # noqa: SIM905
_NUM = r"(\d{1,4}|" + "|".join(_NUMBERS) + ")"
_UNIT = r"(day|week|month|year)s?"


def _month(y: int, m: int) -> Period:
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def _year(y: int) -> Period:
    return date(y, 1, 1), date(y, 12, 31)


def _mon(name: str) -> int:
    return _INFO.month(name.rstrip(".")) or 0


def _rolling(n: str, unit: str, today: date) -> Period:
    count = int(n) if n.isdigit() else _NUMBERS.index(n.lower()) + 1
    return today - relativedelta(**{unit.lower() + "s": count}), today


def _last_month(t: date) -> Period:
    prev = t.replace(day=1) - _DAY
    return _month(prev.year, prev.month)


def _this_week(t: date) -> Period:
    return t - timedelta(days=t.weekday()), t


def _last_week(t: date) -> Period:
    monday = t - timedelta(days=t.weekday())
    return monday - timedelta(days=7), monday - _DAY


def _latest_month(m: int, t: date) -> Period:
    return _month(t.year if m <= t.month else t.year - 1, m)


# (pattern, is a relative term that may stand alone, period(match, today))
_TERMS: list[tuple[str, bool, Callable[[re.Match[str], date], Period]]] = [
    (r"(\d{4})-(\d{1,2})-(\d{1,2})", False, lambda m, t: (d := date(*map(int, m.groups())), d)),
    (r"(\d{4})-(\d{1,2})", False, lambda m, t: _month(int(m[1]), int(m[2]))),
    (
        rf"({_MON})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})",
        False,
        lambda m, t: (d := date(int(m[3]), _mon(m[1]), int(m[2])), d),
    ),
    (
        rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MON}),?\s+(\d{{4}})",
        False,
        lambda m, t: (d := date(int(m[3]), _mon(m[2]), int(m[1])), d),
    ),
    (rf"({_MON}),?\s+(\d{{4}})", False, lambda m, t: _month(int(m[2]), _mon(m[1]))),
    (r"((?:19|20)\d{2})", False, lambda m, t: _year(int(m[1]))),
    (r"today", True, lambda m, t: (t, t)),
    (r"now", False, lambda m, t: (t, t)),  # "until now", "from 2023 to now"; alone it is no date
    (r"yesterday", True, lambda m, t: (t - _DAY, t - _DAY)),
    (r"this\s+week", True, lambda m, t: _this_week(t)),
    (r"(?:last|previous)\s+week", True, lambda m, t: _last_week(t)),
    (r"this\s+month", True, lambda m, t: (t.replace(day=1), t)),
    (r"(?:last|previous)\s+month", True, lambda m, t: _last_month(t)),
    (r"this\s+year", True, lambda m, t: (t.replace(month=1, day=1), t)),
    (r"(?:last|previous)\s+year", True, lambda m, t: _year(t.year - 1)),
    (rf"(?:the\s+)?(?:past|last)\s+{_NUM}\s+{_UNIT}", True, lambda m, t: _rolling(m[1], m[2], t)),
    (rf"(?:(?:the\s+)?past|the\s+last)\s+{_UNIT}", True, lambda m, t: _rolling("1", m[1], t)),
    (rf"({_FULL_MON})", False, lambda m, t: _latest_month(_mon(m[1]), t)),
]
_TERM_RES = [(re.compile(p, re.I), fn) for p, _, fn in _TERMS]
_ANY_TERM = "(?:" + "|".join(f"(?:{p})" for p, _, _ in _TERMS) + ")"
_REL_TERM = "(?:" + "|".join(f"(?:{p})" for p, rel, _ in _TERMS if rel) + ")"
# preposition -> how it turns a period into (since, until)
_PREPS = {
    **dict.fromkeys(["since", "starting", "starting from", "as of"], "since"),
    "after": "after",
    **dict.fromkeys(["before", "prior to"], "before"),
    **dict.fromkeys(["until", "till", "up until"], "until"),
    **dict.fromkeys(["in", "from", "during", "on", "over", "within", "for"], "in"),
}
_PREP = "|".join(p.replace(" ", r"\s+") for p in sorted(_PREPS, key=len, reverse=True))
_DATE_RE = re.compile(
    rf"{_B}(?:(?:from|between)\s+(?P<a>{_ANY_TERM})\s*(?:to|and|until|till|through|-|–)\s*"
    rf"(?P<b>{_ANY_TERM})|(?P<prep>{_PREP})\s+(?P<t>{_ANY_TERM})|(?P<rel>{_REL_TERM}))"
    r"(?:['’]s)?(?![\w%]|[./-]\d)",
    re.I,
)


def _period(term: str, today: date) -> Period:
    for pattern, fn in _TERM_RES:
        m = pattern.fullmatch(normalise_space(term))
        if m:
            return fn(m, today)
    raise ValueError(term)


def _span(m: re.Match[str], today: date) -> tuple[date | None, date | None]:
    if m["a"]:
        b_start, b_end = _period(m["b"], today)
        if re.fullmatch(_FULL_MON, m["a"], re.I):  # "between March and May 2025": May's year
            month = _mon(m["a"])
            a_start, a_end = _month(b_start.year - (month > b_start.month), month)
        else:
            a_start, a_end = _period(m["a"], today)
        return min(a_start, b_start), max(a_end, b_end)  # "from 2024 to 2021" reads as meant
    if m["rel"]:
        return _period(m["rel"], today)
    start, end = _period(m["t"], today)
    kind = _PREPS[" ".join(m["prep"].lower().split())]
    return {
        "since": (start, None),
        "after": (end + _DAY, None),
        "before": (None, start - _DAY),
        "until": (None, end),
        "in": (start, end),
    }[kind]


def take_dates(
    text: str, today: date, notes: list[str], mark: str
) -> tuple[str, date | None, date | None]:
    """Find the date phrases in ``text``: ``(text with each used phrase replaced by
    " {mark} ", since, until)``, both dates inclusive and ``None`` when not asked for.

    Several phrases narrow each other (latest ``since``, earliest ``until``). Phrases that cannot
    be read or lie in the future stay in the text, and they and contradictory dates (which drop
    the date filter) are explained in ``notes``, appended to in place.
    """
    sinces: list[date] = []
    untils: list[date] = []

    def cut(m: re.Match[str]) -> str:
        phrase = m[0]
        try:
            since, until = _span(m, today)
        except (ValueError, OverflowError):
            notes.append(f"Could not read the date in '{phrase}', so it is not used as a filter.")
            return phrase
        if since and since > today:
            notes.append(f"'{phrase}' is in the future, so it is not used as a date filter.")
            return phrase
        sinces.extend([since] if since else [])
        untils.extend([until] if until else [])
        return f" {mark} "

    work = _DATE_RE.sub(cut, text)
    since, until = max(sinces, default=None), min(untils, default=None)
    if since and until and since > until:
        notes.append("The dates asked for contradict each other, so no date filter is used.")
        return work, None, None
    return work, since, until
