"""Date expressions: resolution against the publication date, and spans in sentences."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from loaders.dates import find_date_expressions, normalize_date

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "000_9e847efd11a92494.txt"
ANNOTATION = (
    ROOT
    / "data"
    / "annotations"
    / "2024-11-19-kim-jong-un-meets-with-russias-natural-resources-minister-in-pyongyang.json"
)
# The pattern of `date` in schema/article-graph.schema.json.
SCHEMA_DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?(/[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?$")
TUESDAY = date(2024, 11, 19)  # the seed article's publication date

RESOLVED_ON_TUESDAY = [
    # weekdays: the latest on or before publication
    ("on Monday", "2024-11-18"),
    ("Monday", "2024-11-18"),
    ("Tuesday", "2024-11-19"),
    ("on Wednesday", "2024-11-13"),
    ("Sunday", "2024-11-17"),
    ("Monday night", "2024-11-18"),
    ("early Friday", "2024-11-15"),
    ("last Monday", "2024-11-18"),
    ("last Tuesday", "2024-11-12"),
    ("this past Friday", "2024-11-15"),
    ("next Monday", "2024-11-25"),
    ("next Tuesday", "2024-11-26"),
    # days
    ("today", "2024-11-19"),
    ("yesterday", "2024-11-18"),
    ("tomorrow", "2024-11-20"),
    ("last night", "2024-11-18"),
    ("the day before yesterday", "2024-11-17"),
    ("two days ago", "2024-11-17"),
    ("3 days ago", "2024-11-16"),
    ("2 hours ago", "2024-11-19"),
    # weeks and weekends
    ("last week", "2024-11-11/2024-11-17"),
    ("Last week", "2024-11-11/2024-11-17"),
    ("Last week,", "2024-11-11/2024-11-17"),
    ("late last week", "2024-11-11/2024-11-17"),
    ("this week", "2024-11-18/2024-11-19"),
    ("earlier this week", "2024-11-18/2024-11-19"),
    ("later this week", "2024-11-19/2024-11-24"),
    ("next week", "2024-11-25/2024-12-01"),
    ("a week ago", "2024-11-11/2024-11-17"),
    ("three weeks ago", "2024-10-28/2024-11-03"),
    ("last weekend", "2024-11-16/2024-11-17"),
    ("over the weekend", "2024-11-16/2024-11-17"),
    ("this weekend", "2024-11-23/2024-11-24"),
    # months
    ("last month", "2024-10"),
    ("this month", "2024-11"),
    ("earlier this month", "2024-11"),
    ("next month", "2024-12"),
    ("two months ago", "2024-09"),
    ("in June", "2024-06"),
    ("In June", "2024-06"),
    ("June", "2024-06"),
    ("in November", "2024-11"),
    ("in December", "2023-12"),
    ("last June", "2024-06"),
    ("last November", "2023-11"),
    ("next March", "2025-03"),
    ("early June", "2024-06"),
    ("in mid-June", "2024-06"),
    ("late December", "2023-12"),
    ("the end of May", "2024-05"),
    ("in June 2023", "2023-06"),
    ("Sept. 2021", "2021-09"),
    # days of a month
    ("on Nov. 5", "2024-11-05"),
    ("Nov 5", "2024-11-05"),
    ("November 5", "2024-11-05"),
    ("November 5th", "2024-11-05"),
    ("5 November", "2024-11-05"),
    ("the 5th of November", "2024-11-05"),
    ("November 5, 2024", "2024-11-05"),
    ("5 November 2023", "2023-11-05"),
    ("on Monday, Nov. 18", "2024-11-18"),
    ("Nov. 25", "2024-11-25"),  # within 31 days ahead: a scheduled event
    ("Dec. 25", "2023-12-25"),  # further ahead: the past one
    ("March 3", "2024-03-03"),
    ("2024-11-05", "2024-11-05"),
    ("2024-06", "2024-06"),
    ("11/05/2024", "2024-11-05"),
    ("25/11/2024", "2024-11-25"),  # not a US date, so day/month
    # years
    ("in 2023", "2023"),
    ("2023", "2023"),
    ("mid-2023", "2023"),
    ("in early 2022", "2022"),
    ("last year", "2023"),
    ("earlier this year", "2024"),
    ("late last year", "2023"),
    ("next year", "2025"),
    ("a year ago", "2023"),
    ("the 1990s", "1990/1999"),
    # not a date, or too vague to resolve
    ("Recently", None),
    ("in recent weeks", None),
    ("a few days ago", None),
    ("in the coming months", None),
    ("may", None),
    ("soldiers", None),
    ("", None),
    ("Feb. 30", None),
    ("13/13/2024", None),
]

RESOLVED_ELSEWHERE = [
    # New Year: the previous week, month and year are all in 2023.
    (date(2024, 1, 2), "last week", "2023-12-25/2023-12-31"),
    (date(2024, 1, 2), "this week", "2024-01-01/2024-01-02"),
    (date(2024, 1, 2), "in December", "2023-12"),
    (date(2024, 1, 2), "last month", "2023-12"),
    (date(2024, 1, 2), "last year", "2023"),
    (date(2024, 1, 2), "Dec. 28", "2023-12-28"),
    (date(2024, 1, 2), "two months ago", "2023-11"),
    (date(2024, 12, 20), "Jan. 5", "2025-01-05"),
    # leap day
    (date(2024, 3, 1), "yesterday", "2024-02-29"),
    (date(2024, 3, 1), "Feb. 29", "2024-02-29"),
    (date(2025, 3, 1), "Feb. 29", "2024-02-29"),
    (date(2024, 2, 29), "last month", "2024-01"),
    (date(2024, 2, 29), "a year ago", "2023"),
    # published on a Monday and on a Sunday
    (date(2024, 11, 18), "this week", "2024-11-18"),
    (date(2024, 11, 18), "on Monday", "2024-11-18"),
    (date(2024, 11, 18), "last Monday", "2024-11-11"),
    (date(2024, 11, 17), "over the weekend", "2024-11-16/2024-11-17"),
    (date(2024, 11, 17), "last weekend", "2024-11-09/2024-11-10"),
]


@pytest.mark.parametrize(("text", "expected"), RESOLVED_ON_TUESDAY)
def test_resolves_against_a_tuesday(text: str, expected: str | None) -> None:
    assert normalize_date(text, TUESDAY) == expected


@pytest.mark.parametrize(("published", "text", "expected"), RESOLVED_ELSEWHERE)
def test_resolves_across_boundaries(published: date, text: str, expected: str) -> None:
    assert normalize_date(text, published) == expected


def test_every_resolved_date_matches_the_schema() -> None:
    outputs = [out for _, out in RESOLVED_ON_TUESDAY] + [out for *_, out in RESOLVED_ELSEWHERE]
    for out in filter(None, outputs):
        assert SCHEMA_DATE.fullmatch(out), out


def _texts(sentence: str) -> list[str]:
    spans = find_date_expressions(sentence)
    for start, end, text in spans:
        assert sentence[start:end] == text
    return [text for *_, text in spans]


SEED_SENTENCES = [
    (
        "Kozlov, who is leading a delegation focused on trade, economy, science and technology, "
        "met with Kim on Monday to discuss cooperation in these areas, according to the "
        "state-run Korean Central News Agency (KCNA).",
        ["on Monday"],
    ),
    (
        "Last week, North Korea ratified a defense pact with Moscow after Russian lawmakers "
        "approved the deal.",
        ["Last week"],
    ),
    (
        "Kim and Russian President Vladimir Putin signed a strategic partnership treaty in June, "
        "committing both nations to mutual military assistance and cooperation against Western "
        "sanctions.",
        ["in June"],
    ),
    (
        "Recently, North Korea test-fired ballistic missiles and a new solid-fuel "
        "intercontinental ballistic missile.",
        ["Recently"],
    ),
    (
        "North Korean leader Kim Jong Un met with Russia's Minister of Natural Resources and "
        "Ecology Alexander Kozlov in Pyongyang, state media reported Tuesday, as visiting Russian "
        "delegations continue to highlight deepening ties between the two countries.",
        ["Tuesday"],
    ),
    (
        "In exchange for sending troops, analysts fear Russia may offer technology that could "
        "advance North Korea’s nuclear weapons program.",
        [],
    ),
    (
        "The United States and South Korea have accused North Korea of sending over 10,000 "
        "soldiers to aid Russian forces in Ukraine, with experts suggesting Kim seeks advanced "
        "technology and battle experience for his own military.",
        [],
    ),
]


@pytest.mark.parametrize(("sentence", "expected"), SEED_SENTENCES)
def test_finds_dates_in_the_seed_article(sentence: str, expected: list[str]) -> None:
    assert sentence in SEED.read_text(encoding="utf-8")
    assert _texts(sentence) == expected


def test_curated_dates_are_found_and_resolved() -> None:
    """Every curated date_text is found in the article and resolves to the curated date.

    Not necessarily in the relation's evidence: a curated MET_WITH cites the lead sentence and
    takes "on Monday" from the next one.
    """
    document = json.loads(ANNOTATION.read_text(encoding="utf-8"))
    published = date.fromisoformat(document["article"]["published"][:10])
    found = {
        text for line in SEED.read_text(encoding="utf-8").splitlines() for text in _texts(line)
    }
    dated = [r for r in document["relations"] if r["date_text"]]
    assert dated
    for relation in dated:
        assert relation["date_text"] in found
        assert normalize_date(relation["date_text"], published) == relation["date"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Talks resumed on Monday, Nov. 18, in Geneva.", ["on Monday, Nov. 18"]),
        (
            "The army has held the town since May and will leave in early 2025.",
            ["May", "in early 2025"],
        ),
        ("May God help us, said Theresa May on Friday.", ["on Friday"]),
        ("A total of 2000 troops arrived two days ago.", ["two days ago"]),
        ("Prices rose from 2019 to 2021 and fell in the 1990s.", ["2019", "in the 1990s"]),
        (
            "It was signed on 11/05/2024 and ratified over the weekend.",
            ["on 11/05/2024", "over the weekend"],
        ),
        ("Earlier this year the marching band played.", ["Earlier this year"]),
        ("He flew to Mar-a-Lago on Sept. 5.", ["on Sept. 5"]),
        ("Sanctions tightened between 2014 and 2016.", ["2014"]),
        ("Fighting eased in recent weeks, within June's ceasefire.", ["in recent weeks"]),
    ],
)
def test_finds_dates_in_other_sentences(sentence: str, expected: list[str]) -> None:
    assert _texts(sentence) == expected


def test_found_expressions_resolve_on_their_own() -> None:
    """A span, cut from its sentence, resolves by itself: date_text is enough for the date."""
    sentence = "Yesterday the talks of Nov. 5, 2024 and last month's vote ended in June 2023."
    assert [normalize_date(t, TUESDAY) for t in _texts(sentence)] == [
        "2024-11-18",
        "2024-11-05",
        "2024-10",
        "2023-06",
    ]
