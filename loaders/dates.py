"""Date expressions in news sentences: find them, and resolve them against the publication date.

Outputs follow schema/ONTOLOGY.md: ISO dates, maybe partial (``2024-06``, ``2024``) or a range
(``2024-11-11/2024-11-17``). Conventions, shown for an article published Tuesday 2024-11-19:

* A bare weekday is the latest such day on or before publication ("Monday" -> 2024-11-18,
  "Tuesday" -> 2024-11-19): news reports the past, and a same-day weekday names that day.
  "last Monday" is the latest strictly before; "next Monday" the first strictly after.
* "last week" is the previous ISO week, Monday..Sunday; "this week" is Monday..publication;
  "last weekend" is the weekend of the previous ISO week; "over the weekend" the latest weekend.
* A month without a year is the latest such month not after the publication month: "in June" ->
  2024-06, "in December" -> 2023-12, because news mostly looks back.
* A day and month without a year ("Nov. 5") is the latest such day on or before publication,
  unless the next one is at most 31 days ahead: "talks on Nov. 25" is a scheduled event.
* "N days ago" is a day; "N weeks ago" is the ISO week holding the day 7N days back, a range
  because the count is loose; "N months ago" is a month; "N years ago" a year.
* Vague expressions ("Recently", "in recent weeks") are found but resolve to None.

Tense is not read: "will meet on Friday" resolves to the past Friday, like any bare weekday.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["find_date_expressions", "normalize_date"]

Resolver = Callable[[re.Match[str], date], str | None]

# Spelled out rather than taken from `calendar`, whose names follow the process locale.
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_RELATIVE_DAYS = {
    "the day before yesterday": -2, "yesterday": -1, "last night": -1, "today": 0,
    "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0, "tomorrow": 1,
    "the day after tomorrow": 2,
}  # fmt: skip
# A bare month or year counts only after one of these: "May" is also a modal verb and a surname,
# and "2000" is as often a count of soldiers as a year.
_CUES = frozenset(
    {"in", "on", "since", "until", "till", "from", "through", "before", "after", "during",
     "between"}
)  # fmt: skip
_AHEAD_DAYS = 31

# Month and weekday names are matched case-sensitively (capitalised), the rest is not.
_MONTH = (
    r"(?P<month>Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|Jun(?:e|\.)?"
    r"|Jul(?:y|\.)?|Aug(?:ust|\.)?|Sep(?:tember|t\.?|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?"
    r"|Dec(?:ember|\.)?)"
)
_WEEKDAY = r"(?P<weekday>(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)"
_DAY_NAME = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"  # "Monday, Nov. 18"
_PART = r"(?P<mod>(?i:early|mid|late)[-\s]+|(?i:the\s+(?:end|start|beginning|middle)\s+of)\s+)"
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_NUMBER = r"(?P<n>\d+|(?i:" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + "))"


def _fmt(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _span(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()}/{last.isoformat()}"


def _month_str(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _add_months(day: date, months: int) -> str:
    index = day.year * 12 + day.month - 1 + months
    return _month_str(index // 12, index % 12 + 1)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_of(m: re.Match[str]) -> int:
    return _MONTHS.index(m["month"][:3].lower()) + 1


def _words(m: re.Match[str], group: str) -> str:
    return " ".join((m[group] or "").lower().split())


def _iso(m: re.Match[str], pub: date) -> str | None:
    if m["d"] is None:
        return _month_str(int(m["y"]), int(m["m"]))
    return _fmt(_date(int(m["y"]), int(m["m"]), int(m["d"])))


def _numeric(m: re.Match[str], pub: date) -> str | None:
    a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
    # US month/day first; day/month only when the US reading is impossible ("25/11/2024").
    return _fmt(_date(year, a, b) or _date(year, b, a))


def _day_month(m: re.Match[str], pub: date) -> str | None:
    month, day = _month_of(m), int(m["d"])
    if m["y"]:
        return _fmt(_date(int(m["y"]), month, day))
    found = [d for y in (pub.year - 1, pub.year, pub.year + 1) if (d := _date(y, month, day))]
    past = [d for d in found if d <= pub]
    ahead = [d for d in found if d > pub]
    if ahead and (not past or (ahead[0] - pub).days <= _AHEAD_DAYS):
        return ahead[0].isoformat()
    return past[-1].isoformat() if past else None


def _month(m: re.Match[str], pub: date) -> str:
    month, rel = _month_of(m), _words(m, "rel")
    if rel == "this":
        year = pub.year
    elif rel == "last":
        year = pub.year if month < pub.month else pub.year - 1
    elif rel == "next":
        year = pub.year if month > pub.month else pub.year + 1
    else:
        year = pub.year if month <= pub.month else pub.year - 1
    return _month_str(year, month)


def _month_year(m: re.Match[str], pub: date) -> str:
    return _month_str(int(m["y"]), _month_of(m))


def _year(m: re.Match[str], pub: date) -> str:
    return m["y"]


def _decade(m: re.Match[str], pub: date) -> str:
    return f"{m['y']}/{int(m['y']) + 9}"


def _weekday(m: re.Match[str], pub: date) -> str:
    weekday, rel = _WEEKDAYS.index(m["weekday"][:3].lower()), _words(m, "rel")
    if rel == "next":
        return (pub + timedelta(days=(weekday - pub.weekday() - 1) % 7 + 1)).isoformat()
    back = (pub.weekday() - weekday) % 7
    if back == 0 and rel in ("last", "this past"):
        back = 7
    return (pub - timedelta(days=back)).isoformat()


def _relative_day(m: re.Match[str], pub: date) -> str:
    return (pub + timedelta(days=_RELATIVE_DAYS[_words(m, "rday")])).isoformat()


def _period(m: re.Match[str], pub: date) -> str:
    step = {"last": -1, "this": 0, "next": 1}[_words(m, "rel")]
    unit = _words(m, "unit")
    if unit == "year":
        return str(pub.year + step)
    if unit == "month":
        return _add_months(pub, step)
    monday = pub - timedelta(days=pub.weekday()) + timedelta(weeks=step)
    sunday = monday + timedelta(days=6)
    if unit == "weekend":
        return _span(sunday - timedelta(days=1), sunday)
    if step == 0:
        # The week is not over at publication: "this week" so far, "later this week" the rest.
        return _span(pub, sunday) if _words(m, "mod") == "later" else _span(monday, pub)
    return _span(monday, sunday)


def _the_weekend(m: re.Match[str], pub: date) -> str:
    saturday = pub - timedelta(days=(pub.weekday() - 5) % 7)
    return _span(saturday, saturday + timedelta(days=1))


def _ago(m: re.Match[str], pub: date) -> str:
    count = int(m["n"]) if m["n"].isdigit() else _NUMBERS[m["n"].lower()]
    unit = _words(m, "unit")
    if unit in ("minute", "hour"):
        return pub.isoformat()
    if unit == "day":
        return (pub - timedelta(days=count)).isoformat()
    if unit == "week":
        day = pub - timedelta(weeks=count)
        monday = day - timedelta(days=day.weekday())
        return _span(monday, monday + timedelta(days=6))
    if unit == "month":
        return _add_months(pub, -count)
    return str(pub.year - count)


def _vague(m: re.Match[str], pub: date) -> None:
    return None


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    resolve: Resolver
    needs_cue: bool = False  # bare month or year: see _CUES


def _rule(body: str, resolve: Resolver, *, needs_cue: bool = False) -> _Rule:
    # The optional "on"/"in" belongs to the span: curated date_text reads "on Monday", "in June".
    regex = rf"(?<![\w/-])(?:(?P<prep>(?i:on|in))\s+)?{body}(?![\w/]|-\w)"
    return _Rule(re.compile(regex), resolve, needs_cue)


def _alternatives(phrases: Iterable[str]) -> str:
    # Longest first, so "the day before yesterday" wins over "yesterday".
    return "|".join(r"\s+".join(p.split()) for p in sorted(phrases, key=len, reverse=True))


_RULES = (
    _rule(r"(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])(?:-(?P<d>0[1-9]|[12]\d|3[01]))?", _iso),
    _rule(r"(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})", _numeric),
    _rule(
        _DAY_NAME + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?", _day_month
    ),
    _rule(
        _DAY_NAME
        + r"(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
        + _MONTH
        + r"(?:,?\s+(?P<y>\d{4}))?",
        _day_month,
    ),
    _rule(_PART + "?" + _MONTH + r",?\s+(?:of\s+)?" + _YEAR, _month_year),
    _rule(r"(?:(?P<rel>(?i:last|next|this))\s+)?" + _PART + "?" + _MONTH, _month, needs_cue=True),
    _rule(r"(?:(?i:the)\s+)?(?:(?i:early|mid|late)[-\s]+)?(?P<y>(?:19|20)\d0)s", _decade),
    _rule(_PART + "?" + _YEAR, _year, needs_cue=True),
    _rule(
        r"(?:(?P<rel>(?i:this\s+past|last|next|this|early|late))\s+)?"
        + _WEEKDAY
        + r"(?:\s+(?i:morning|afternoon|evening|night))?",
        _weekday,
    ),
    _rule(f"(?P<rday>(?i:{_alternatives(_RELATIVE_DAYS)}))", _relative_day),
    _rule(
        r"(?i:(?:(?P<mod>early|late|earlier|later)\s+)?(?P<rel>last|this|next)\s+"
        r"(?P<unit>weekend|week|month|year))",
        _period,
    ),
    _rule(r"(?i:(?:over|at|during|on|this\s+past)\s+the\s+weekend)", _the_weekend),
    _rule(_NUMBER + r"\s+(?P<unit>(?i:minute|hour|day|week|month|year))(?i:s)?\s+(?i:ago)", _ago),
    _rule(
        r"(?i:recently|lately|in\s+recent\s+(?:days|weeks|months|years)"
        r"|(?:a\s+few|several|many)\s+(?:days|weeks|months|years)\s+ago"
        r"|in\s+the\s+coming\s+(?:days|weeks|months))",
        _vague,
    ),
)


_SCHEMA_DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?(/[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?")


def normalize_date(text: str, published: date) -> str | None:
    """The ISO date, partial date or range that `text` means in an article of `published`.

    None when `text` is no date expression, or a vague one ("recently"), or names no real day.
    """
    text = text.strip().rstrip(".,;:!?").strip()
    for rule in _RULES:
        if match := rule.regex.fullmatch(text):
            try:
                resolved = rule.resolve(match, published)
            except (OverflowError, ValueError):  # "1000000 days ago": before year 1
                return None
            # Years outside 1..9999 are no calendar date ("10000 years ago").
            if resolved is None or not _SCHEMA_DATE.fullmatch(resolved):
                return None
            return resolved
    return None


def _cued(rule: _Rule, m: re.Match[str], sentence: str) -> bool:
    if not rule.needs_cue or m["prep"] or m.groupdict().get("mod") or m.groupdict().get("rel"):
        return True
    before = re.search(r"(\w+)\s+$", sentence[: m.start()])
    return before is not None and before[1].lower() in _CUES


def find_date_expressions(sentence: str) -> list[tuple[int, int, str]]:
    """Spans (start, end, text) of the date expressions in `sentence`, in order.

    Overlapping candidates keep the longest, so "on Monday, Nov. 18" is one span, and a leading
    "on"/"in" is part of the span. Vague expressions are found too; they resolve to None.
    """
    found = [
        (m.start(), m.end())
        for rule in _RULES
        for m in rule.regex.finditer(sentence)
        if _cued(rule, m, sentence)
    ]
    kept: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda s: (s[0] - s[1], s[0])):
        if all(end <= s or start >= e for s, e in kept):
            kept.append((start, end))
    return [(s, e, sentence[s:e]) for s, e in sorted(kept)]
