"""Properties of the article parser, the sentence splitter and the date normaliser (hypothesis).

Pure functions only: none of these tests touches Neo4j. The runs are deterministic
(`derandomize=True`), so a failure here fails the same way on every machine.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kg.domain import Article, date_bounds
from kg.errors import InvalidArticle
from loaders.dates import find_date_expressions, normalize_date
from loaders.parse import parse_article
from loaders.sentences import split_sentences

DETERMINISTIC = settings(max_examples=200, deadline=None, derandomize=True)

ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?(/[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?$")
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def assert_well_formed(article: Article) -> None:
    """What every parsed article promises, whatever its input."""
    assert ID.fullmatch(article.id), article.id
    assert article.title
    assert article.title == article.title.strip()
    assert article.content_sha256 == hashlib.sha256(article.text.encode("utf-8")).hexdigest()
    assert [s.index for s in article.sentences] == list(range(len(article.sentences)))
    assert article.sentences, "an article has at least one sentence"
    previous_end = 0
    for sentence in article.sentences:
        assert 0 <= previous_end <= sentence.start < sentence.end <= len(article.text)
        assert article.text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()
        previous_end = sentence.end
    assert any(not s.boilerplate for s in article.sentences)


# --- parse_article on anything ----------------------------------------------------------------

# Unpaired UTF-16 surrogates: valid in a JSON "\ud83d" escape, impossible in UTF-8.
_SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
_ANY_CHAR = st.one_of(st.characters(), _SURROGATES)
_FIELD = st.one_of(
    st.none(), st.text(_ANY_CHAR, max_size=60), st.integers(), st.lists(st.text(max_size=5))
)


@st.composite
def json_articles(draw: st.DrawFn) -> bytes:
    """A JSON object with some of the article's fields, of any type and any characters."""
    fields = draw(
        st.dictionaries(
            st.sampled_from(["title", "source", "published", "updated", "url", "text"]), _FIELD
        )
    )
    if draw(st.booleans()):
        fields["title"] = draw(st.text(_ANY_CHAR, min_size=1, max_size=40))
        fields["text"] = draw(st.text(_ANY_CHAR, min_size=1, max_size=300))
    ascii_only = draw(st.booleans())  # False puts raw surrogates in: not UTF-8 once encoded
    return json.dumps(fields, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def text_articles(draw: st.DrawFn) -> bytes:
    """Lines of any text, with a byline now and then, joined by any line ending."""
    lines = draw(st.lists(st.text(max_size=80), max_size=12))
    if lines and draw(st.booleans()):
        lines.insert(1, "By Example Wire | Created at 2024-11-19 11:30:20")
    ending = draw(st.sampled_from(["\n", "\r\n", "\r", "\n\n"]))
    prefix = draw(st.sampled_from(["", "\ufeff", " \n"]))
    return (prefix + ending.join(lines)).encode("utf-8")


ANY_INPUT = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400).map(str.encode),
    text_articles(),
    json_articles(),
    # Nesting deeper than the JSON decoder's recursion limit.
    st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n),
)


@DETERMINISTIC
@given(ANY_INPUT)
def test_parse_article_raises_only_invalid_article_and_its_articles_are_well_formed(
    raw: bytes,
) -> None:
    """FAILS today: JSON nested past the recursion limit raises RecursionError, and a JSON
    "\\ud800" escape (an unpaired surrogate) raises UnicodeEncodeError when the text is hashed."""
    try:
        article = parse_article(raw, "fuzz.txt")
    except InvalidArticle as exc:
        message = str(exc)
    else:
        assert_well_formed(article)
        return
    assert message.startswith("fuzz.txt: "), message


# --- well-formed articles: every body sentence is found ----------------------------------------

# Inside a sentence, "no." before a capital ends it ("Kim said no. Talks ended."): the
# abbreviations here are the ones that never end a sentence where they stand.
_WORDS = st.sampled_from(
    [
        *[
            "talks",
            "officials",
            "said",
            "the",
            "minister",
            "met",
            "in",
            "on",
            "with",
            "about",
            "trade",
            "ties",
            "army",
            "deal",
        ],
        *["U.S.", "3.5", "“quoted”", "'single'", "(aside)", "said,", "and,", "Kim", "Jong", "Un"],
        "Nov. 5",
        "No. 12",
    ]
)
_CAPITALISED = st.sampled_from(
    [
        "Officials",
        "The",
        "Kim",
        "Russia",
        "Talks",
        "North",
        "Seoul",
        "Moscow",
        "Mr.",
        "Dr.",
        "Ministers",
        "Troops",
        "2024",
        "“We",
    ]
)


@st.composite
def sentences(draw: st.DrawFn) -> str:
    words = [draw(_CAPITALISED), *draw(st.lists(_WORDS, min_size=1, max_size=12))]
    return " ".join(words) + draw(st.sampled_from([".", "!", "?", '."', ".”", "?”", "..."]))


@st.composite
def well_formed_articles(draw: st.DrawFn) -> tuple[bytes, list[str], str | None]:
    """(raw, its body sentences, the byline's timestamp) of a generated news article."""
    title = draw(_CAPITALISED) + " " + " ".join(draw(st.lists(_WORDS, min_size=1, max_size=8)))
    head = [title, ""]
    created = None
    if draw(st.booleans()):
        day = draw(st.dates(date(2000, 1, 1), date(2035, 12, 31)))
        created = f"{day.isoformat()} 11:30:20"
        head += [f"By Example Wire | Created at {created}", ""]
    paragraphs = draw(st.lists(st.lists(sentences(), min_size=1, max_size=4), min_size=1))
    body = "\n\n".join(" ".join(p) for p in paragraphs)
    raw = ("\n".join(head) + "\n" + body + "\n").encode("utf-8")
    return raw, [s for p in paragraphs for s in p], created


@DETERMINISTIC
@given(well_formed_articles())
def test_every_body_sentence_of_a_well_formed_article_is_found(
    generated: tuple[bytes, list[str], str | None],
) -> None:
    raw, body, created = generated
    article = parse_article(raw, "generated.txt")
    assert_well_formed(article)
    body_start = article.text.index(body[0])
    assert all(s.start >= body_start for s in article.sentences), "a header line became a sentence"
    for generated_sentence in body:
        assert any(generated_sentence in s.text for s in article.sentences), generated_sentence
    assert article.published == (created.replace(" ", "T") if created else None)


# --- split_sentences --------------------------------------------------------------------------


@st.composite
def texts_and_ranges(draw: st.DrawFn) -> tuple[str, int, int]:
    text = draw(
        st.one_of(
            st.text(max_size=200),
            st.lists(st.one_of(sentences(), st.sampled_from(["  ", "\n", "\u00a0", " . "]))).map(
                " ".join
            ),
        )
    )
    start = draw(st.integers(0, len(text)))
    return text, start, draw(st.integers(start, len(text)))


@DETERMINISTIC
@given(texts_and_ranges())
def test_split_sentences_spans_are_ordered_trimmed_and_cover_the_text(
    case: tuple[str, int, int],
) -> None:
    text, start, end = case
    spans = list(split_sentences(text, start, end))
    previous = start
    for a, b in spans:
        assert previous <= a < b <= end
        assert not text[a].isspace()
        assert not text[b - 1].isspace()
        previous = b
    covered = {i for a, b in spans for i in range(a, b)}
    assert all(text[i].isspace() for i in range(start, end) if i not in covered)


# --- normalize_date ---------------------------------------------------------------------------

PUBLISHED = st.dates(date(2000, 1, 1), date(2035, 12, 31))
_DATE_WORDS = st.sampled_from(
    [
        *MONTHS,
        *WEEKDAYS,
        "on", "in", "last", "next", "this", "past", "week", "weekend", "month", "year", "ago",
        "days", "weeks", "months", "years", "the", "of", "early", "mid", "late", "end", "Nov.",
        "Sept.", "yesterday", "tomorrow", "2024", "1990s", "11/19/2024", "2024-11", "31", "0",
        "99999999999", "13/13/2024", "2024-02-30", "a", "few",
    ]
)  # fmt: skip
DATE_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(_DATE_WORDS, st.integers(0, 10**12).map(str)), max_size=6).map(" ".join),
)


def assert_schema_date(value: str) -> None:
    assert DATE.fullmatch(value), value
    first, last = date_bounds(value)
    assert first is not None
    assert last is not None
    assert first <= last, value


@DETERMINISTIC
@given(DATE_TEXT, PUBLISHED)
def test_normalize_date_never_raises_and_gives_schema_dates(text: str, published: date) -> None:
    value = normalize_date(text, published)
    if value is not None:
        assert_schema_date(value)


@DETERMINISTIC
@given(DATE_TEXT)
def test_find_date_expressions_gives_ordered_disjoint_spans_of_the_sentence(text: str) -> None:
    previous = 0
    for start, end, found in find_date_expressions(text):
        assert previous <= start < end <= len(text)
        assert text[start:end] == found
        previous = end


def _not_after(value: str, published: date) -> None:
    first, _ = date_bounds(value)
    assert first is not None
    assert first <= published.isoformat(), (value, published)


@DETERMINISTIC
@given(st.sampled_from(WEEKDAYS), st.sampled_from(["", "on ", "last ", "this past "]), PUBLISHED)
def test_a_weekday_is_a_day_of_that_name_in_the_week_before_publication(
    weekday: str, prefix: str, published: date
) -> None:
    value = normalize_date(f"{prefix}{weekday}", published)
    assert value is not None
    assert_schema_date(value)
    day = date.fromisoformat(value)
    assert day.strftime("%A") == weekday
    oldest = published - timedelta(days=7 if prefix in ("last ", "this past ") else 6)
    assert oldest <= day <= published


@DETERMINISTIC
@given(st.sampled_from(WEEKDAYS), PUBLISHED)
def test_next_weekday_is_within_the_week_after_publication(weekday: str, published: date) -> None:
    value = normalize_date(f"next {weekday}", published)
    assert value is not None
    day = date.fromisoformat(value)
    assert day.strftime("%A") == weekday
    assert published < day <= published + timedelta(days=7)


@DETERMINISTIC
@given(st.sampled_from(["last week", "last weekend", "last month", "last year"]), PUBLISHED)
def test_last_period_ends_before_publication(text: str, published: date) -> None:
    value = normalize_date(text, published)
    assert value is not None
    assert_schema_date(value)
    _, last = date_bounds(value)
    assert last is not None
    assert last < published.isoformat()


@DETERMINISTIC
@given(st.integers(0, 120), st.sampled_from(["day", "week", "month", "year"]), PUBLISHED)
def test_n_units_ago_is_not_after_publication(count: int, unit: str, published: date) -> None:
    value = normalize_date(f"{count} {unit}{'' if count == 1 else 's'} ago", published)
    assert value is not None
    assert_schema_date(value)
    _not_after(value, published)
    if unit == "day":
        assert value == (published - timedelta(days=count)).isoformat()


@DETERMINISTIC
@given(st.integers(10**4, 10**15), st.sampled_from(["days", "weeks", "months", "years"]), PUBLISHED)
def test_implausibly_many_units_ago_is_no_date_rather_than_an_error(
    count: int, unit: str, published: date
) -> None:
    """ "99999 years ago" names no representable day: None, not OverflowError or "-97975".

    FAILS today: _ago overflows `date` (days, weeks) or formats years < 1000 and negative ones
    without four digits (months, years).
    """
    value = normalize_date(f"{count} {unit} ago", published)
    if value is not None:
        assert_schema_date(value)


@DETERMINISTIC
@given(st.integers(1, 12), st.sampled_from(["in ", ""]), PUBLISHED)
def test_a_month_without_a_year_is_the_latest_one_not_after_publication(
    month: int, prefix: str, published: date
) -> None:
    value = normalize_date(f"{prefix}{MONTHS[month - 1]}", published)
    assert value is not None
    assert_schema_date(value)
    year, got = map(int, value.split("-"))
    assert got == month
    assert (year, month) <= (published.year, published.month)
    assert (year, month) > (published.year - 1, published.month)


@DETERMINISTIC
@given(st.dates(date(1900, 1, 1), date(2099, 12, 31)), PUBLISHED, st.booleans())
def test_a_full_written_date_is_that_day(day: date, published: date, abbreviated: bool) -> None:
    month = MONTHS[day.month - 1]
    if abbreviated and len(month) > 4:
        month = month[:3] + "."
    assert normalize_date(f"{month} {day.day}, {day.year}", published) == day.isoformat()
    assert normalize_date(f"on {day.day} {month} {day.year}", published) == day.isoformat()


@DETERMINISTIC
@given(st.integers(1, 12), st.integers(1, 31), PUBLISHED)
def test_a_day_and_month_without_a_year_is_near_publication(
    month: int, day: int, published: date
) -> None:
    value = normalize_date(f"on {MONTHS[month - 1]} {day}", published)
    if value is None:  # only a day that no nearby year has: February 29th, April 31st
        assert all(
            not _real(year, month, day)
            for year in (published.year - 1, published.year, published.year + 1)
        )
        return
    found = date.fromisoformat(value)
    assert (found.month, found.day) == (month, day)
    assert published - timedelta(days=366 * 4) < found <= published + timedelta(days=31)


def _real(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


@DETERMINISTIC
@given(st.sampled_from(["yesterday", "today", "last night", "this morning"]), PUBLISHED)
def test_relative_days_are_publication_or_the_day_before(text: str, published: date) -> None:
    value = normalize_date(text, published)
    assert value in (published.isoformat(), (published - timedelta(days=1)).isoformat())
