"""parse: raw article bytes -> Article with metadata, stored text and offset-exact sentences.

Pure functions only: none of these tests touches Neo4j.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kg.domain import Article
from kg.errors import InvalidArticle
from loaders.parse import (
    MAX_ARTICLE_BYTES,
    parse_article,
    parse_json_article,
    parse_text_article,
    read_article,
)
from loaders.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "000_9e847efd11a92494.txt"
SEED_ID = "2024-11-19-kim-jong-un-meets-with-russias-natural-resources-minister-in-pyongyang"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BAD = FIXTURES / "bad"
ARTICLES = FIXTURES / "articles"


@pytest.fixture(scope="module")
def seed() -> Article:
    return read_article(SEED)


def _sentence_texts(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


# --- the seed article -------------------------------------------------------------------------


def test_seed_title_keeps_the_typographic_apostrophe(seed: Article) -> None:
    assert seed.title == "Kim Jong Un Meets With Russia’s Natural Resources Minister in Pyongyang"


def test_byline_gives_source_and_timestamps(seed: Article) -> None:
    assert seed.source == "The Moscow Times"
    assert seed.published == "2024-11-19T11:30:20"
    assert seed.updated == "2024-11-19T13:29:50"
    assert seed.url is None


def test_article_id_is_published_date_and_title_slug(seed: Article) -> None:
    assert seed.id == SEED_ID


def test_stray_header_lines_are_not_sentences(seed: Article) -> None:
    texts = [s.text for s in seed.sentences]
    assert "Truth" not in texts
    assert not any("hours ago" in t for t in texts)
    assert not any(t.startswith("By The Moscow Times") for t in texts)


def test_first_sentence_is_the_lede(seed: Article) -> None:
    first = seed.sentences[0]
    assert first.index == 0
    assert first.text.startswith("North Korean leader Kim Jong Un met")
    assert first.text.endswith("deepening ties between the two countries.")
    assert not first.boilerplate


def test_every_sentence_text_is_the_article_text_at_its_offsets(seed: Article) -> None:
    assert len(seed.sentences) > 10
    for i, sentence in enumerate(seed.sentences):
        assert sentence.index == i
        assert 0 <= sentence.start < sentence.end <= len(seed.text)
        assert seed.text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()
    starts = [s.start for s in seed.sentences]
    assert starts == sorted(starts)


def test_publisher_appeal_and_everything_after_it_is_boilerplate(seed: Article) -> None:
    texts = [s.text for s in seed.sentences]
    appeal = texts.index("A Message from The Moscow Times:")
    assert appeal > 0
    assert not any(s.boilerplate for s in seed.sentences[:appeal])
    assert all(s.boilerplate for s in seed.sentences[appeal:])


def test_read_entire_article_is_the_last_sentence_and_boilerplate(seed: Article) -> None:
    last = seed.sentences[-1]
    assert last.text == "Read Entire Article"
    assert last.boilerplate


def test_quoted_sentence_ends_after_the_closing_quote(seed: Article) -> None:
    texts = [s.text for s in seed.sentences]
    assert texts[6] == (
        'Kim said his meeting with Kozlov was intended to "further promote" trade and '
        "scientific exchange, noting that relations between the two countries have "
        '"reached a new strategic level."'
    )


def test_content_sha256_is_the_hash_of_the_file_bytes(seed: Article) -> None:
    assert seed.content_sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()


def test_stored_text_is_the_files_text(seed: Article) -> None:
    assert seed.text == SEED.read_bytes().decode("utf-8")


def test_parse_article_of_the_bytes_equals_read_article(seed: Article) -> None:
    assert parse_article(SEED.read_bytes(), str(SEED)) == seed


# --- sentence splitting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "The U.S. Army arrived on Monday. It left a day later.",
            ["The U.S. Army arrived on Monday.", "It left a day later."],
            id="dotted-acronym",
        ),
        pytest.param(
            "Voters went to the polls on Nov. 5 in most states. Turnout was high.",
            ["Voters went to the polls on Nov. 5 in most states.", "Turnout was high."],
            id="month-abbreviation-before-a-number",
        ),
        pytest.param(
            "Mr. Kim met Dr. Lee in Seoul. They talked for an hour.",
            ["Mr. Kim met Dr. Lee in Seoul.", "They talked for an hour."],
            id="titles",
        ),
        pytest.param(
            "The book is by J. R. R. Tolkien. Fans loved it.",
            ["The book is by J. R. R. Tolkien.", "Fans loved it."],
            id="initials",
        ),
        pytest.param(
            'He said the talks had "reached a new level." Then he left.',
            ['He said the talks had "reached a new level."', "Then he left."],
            id="straight-quote-closes-sentence",
        ),
        pytest.param(
            "He said, “We will win.” Then he left.",
            ["He said, “We will win.”", "Then he left."],
            id="curly-quote-closes-sentence",
        ),
        pytest.param(
            "“Why now?” she asked. He did not answer.",
            ["“Why now?” she asked.", "He did not answer."],
            id="question-inside-quote-then-lowercase",
        ),
        pytest.param(
            "Will the deal hold? Nobody knows! Officials declined to comment.",
            ["Will the deal hold?", "Nobody knows!", "Officials declined to comment."],
            id="question-and-exclamation",
        ),
        pytest.param(
            "The package is worth 3.5 billion dollars. Experts agreed.",
            ["The package is worth 3.5 billion dollars.", "Experts agreed."],
            id="decimal-number",
        ),
        pytest.param(
            "Officials sent over 10,000 soldiers. 2024 was a turning point.",
            ["Officials sent over 10,000 soldiers.", "2024 was a turning point."],
            id="next-sentence-starts-with-a-digit",
        ),
        pytest.param(
            "Troops arrived in Ukraine... Officials confirmed it.",
            ["Troops arrived in Ukraine...", "Officials confirmed it."],
            id="ellipsis",
        ),
        pytest.param(
            "Asked whether talks would resume, Kim said no. Talks ended on Friday.",
            ["Asked whether talks would resume, Kim said no.", "Talks ended on Friday."],
            id="the-word-no-ends-a-sentence",
        ),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert _sentence_texts(text) == expected


def test_split_sentences_offsets_are_trimmed_and_index_the_text() -> None:
    text = "  First one here.   Second one here.  "
    spans = list(split_sentences(text))
    assert spans == [(2, 17), (20, 36)]
    assert [text[a:b] for a, b in spans] == ["First one here.", "Second one here."]


def test_split_sentences_respects_the_given_range() -> None:
    text = "Skip this. Keep this one. And this. Skip too."
    start, end = text.index("Keep"), text.index(" Skip too")
    assert [text[a:b] for a, b in split_sentences(text, start, end)] == [
        "Keep this one.",
        "And this.",
    ]


# --- JSON articles ----------------------------------------------------------------------------


def test_json_article_keeps_its_metadata() -> None:
    article = read_article(ARTICLES / "wire_story.json")
    assert article.title == "Russia and North Korea Sign Deal on Scientific Exchange"
    assert article.source == "Example Wire"
    assert article.published == "2024-11-20T08:15:00"
    assert article.updated == "2024-11-20T09:00:00"
    assert article.url == "https://example.org/news/russia-north-korea-science"


def test_json_article_id_is_published_date_and_title_slug() -> None:
    article = read_article(ARTICLES / "wire_story.json")
    assert article.id == "2024-11-20-russia-and-north-korea-sign-deal-on-scientific-exchange"


def test_json_article_offsets_index_its_text_field() -> None:
    article = read_article(ARTICLES / "wire_story.json")
    assert article.text.startswith("Russia and North Korea signed an agreement")
    assert [s.text for s in article.sentences] == [
        "Russia and North Korea signed an agreement on scientific exchange on Wednesday, "
        "officials said.",
        "The deal covers universities and research institutes.",
        "Mr. Kozlov said the U.S. sanctions would not slow the work.",
        '"We are ready," he told reporters.',
    ]
    for sentence in article.sentences:
        assert article.text[sentence.start : sentence.end] == sentence.text
        assert not sentence.boilerplate


def test_json_article_text_has_crlf_folded_to_lf() -> None:
    data = json.loads((ARTICLES / "wire_story.json").read_text(encoding="utf-8"))
    article = read_article(ARTICLES / "wire_story.json")
    assert "\r\n" in data["text"]
    assert "\r" not in article.text
    assert article.text == data["text"].replace("\r\n", "\n")
    assert article.content_sha256 == hashlib.sha256(article.text.encode("utf-8")).hexdigest()


def test_json_article_without_published_date_gets_the_title_slug_as_id() -> None:
    raw = json.dumps({"title": "Talks Resume in Geneva", "text": "Talks resumed today."})
    article = parse_json_article(raw.encode(), "talks.json")
    assert article.id == "talks-resume-in-geneva"
    assert article.source is None
    assert article.published is None


def test_json_article_saved_with_a_bom_parses_as_json() -> None:
    raw = json.dumps({"title": "Talks Resume in Geneva", "text": "Talks resumed today."})
    article = parse_article(b"\xef\xbb\xbf" + raw.encode(), "bom.json")
    assert article.title == "Talks Resume in Geneva"
    assert article.text == "Talks resumed today."


def test_crlf_text_article_is_folded_to_lf() -> None:
    raw = b"Talks Resume in Geneva\r\n\r\nTalks resumed today. Both sides attended.\r\n"
    article = parse_text_article(raw, "crlf.txt")
    assert "\r" not in article.text
    assert [s.text for s in article.sentences] == ["Talks resumed today.", "Both sides attended."]


# --- plain articles from other outlets --------------------------------------------------------


def test_article_without_byline_parses_with_no_source() -> None:
    article = read_article(ARTICLES / "unknown_outlet.txt")
    assert article.title == "Seoul Says Northern Artillery Drills Resumed Near the Border"
    assert article.source is None
    assert article.published is None
    assert article.updated is None


def test_article_without_date_gets_the_title_slug_as_id() -> None:
    article = read_article(ARTICLES / "unknown_outlet.txt")
    assert article.id == "seoul-says-northern-artillery-drills-resumed-near-the-border"


def test_article_without_byline_keeps_every_paragraph_as_body() -> None:
    article = read_article(ARTICLES / "unknown_outlet.txt")
    assert [s.text for s in article.sentences] == [
        "South Korea's Joint Chiefs of Staff said on Wednesday that North Korean artillery units "
        "resumed live-fire drills near the western sea border.",
        "The drills lasted about two hours, officials said.",
        "No shells landed south of the line, according to the military.",
        "Residents of Yeonpyeong Island were told to stay indoors as a precaution.",
    ]
    assert not any(s.boilerplate for s in article.sentences)


def test_short_byline_without_dates_gives_the_source() -> None:
    raw = b"Talks Resume in Geneva\n\nBy Jane Doe\n\nTalks resumed today. Both sides attended.\n"
    article = parse_text_article(raw, "byline.txt")
    assert article.source == "Jane Doe"
    assert article.published is None
    assert [s.text for s in article.sentences] == ["Talks resumed today.", "Both sides attended."]


def test_first_paragraph_starting_with_by_is_body_not_byline() -> None:
    raw = (
        b"Ceasefire Holds Overnight\n\n"
        b"By Tuesday, officials had agreed on a ceasefire along the whole front line.\n\n"
        b"The truce held overnight.\n"
    )
    article = parse_text_article(raw, "by.txt")
    assert article.source is None
    assert article.sentences[0].text.startswith("By Tuesday, officials had agreed")


# --- bad input --------------------------------------------------------------------------------


def _read_error(path: Path) -> str:
    with pytest.raises(InvalidArticle) as caught:
        read_article(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    return message


def test_empty_file_is_rejected_as_empty() -> None:
    assert "empty" in _read_error(BAD / "empty.txt")


def test_whitespace_only_file_is_rejected_as_empty() -> None:
    assert "empty" in _read_error(BAD / "whitespace.txt")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\xef\xbb\xbf", id="bom-only"),
        pytest.param(b"\xef\xbb\xbf \n\n", id="bom-and-whitespace"),
        pytest.param("\u00a0\n\u3000\n".encode(), id="unicode-spaces"),
    ],
)
def test_article_with_no_visible_text_is_rejected_as_empty(raw: bytes) -> None:
    with pytest.raises(InvalidArticle, match=r"^blank\.txt: .*empty"):
        parse_article(raw, "blank.txt")


def test_binary_file_is_rejected_as_binary() -> None:
    message = _read_error(BAD / "binary.bin")
    assert "binary" in message
    assert "NUL" in message


def test_latin1_file_is_rejected_as_not_utf8() -> None:
    message = _read_error(BAD / "latin1.txt")
    assert "not UTF-8" in message
    assert "offset" in message


def test_article_over_the_size_limit_is_rejected() -> None:
    raw = b"Big Story\n\n" + b"Officials met again today. " * (MAX_ARTICLE_BYTES // 20)
    assert len(raw) > MAX_ARTICLE_BYTES
    with pytest.raises(InvalidArticle, match=r"^big\.txt: .*over the limit") as caught:
        parse_article(raw, "big.txt")
    assert f"{MAX_ARTICLE_BYTES:,}" in str(caught.value)


def test_article_at_the_size_limit_is_accepted() -> None:
    head = b"Big Story\n\nOfficials met again today."
    raw = head + b" " * (MAX_ARTICLE_BYTES - len(head))
    assert len(raw) == MAX_ARTICLE_BYTES
    assert parse_article(raw, "limit.txt").sentences[0].text == "Officials met again today."


def test_title_without_body_is_rejected() -> None:
    message = _read_error(BAD / "title_only.txt")
    assert "no body text" in message


def test_boilerplate_only_body_is_rejected() -> None:
    raw = b"A Title Here\n\nA Message from The Moscow Times:\n\nDear readers, please support us.\n"
    with pytest.raises(InvalidArticle, match=r"^appeal\.txt: .*no body text"):
        parse_article(raw, "appeal.txt")


def test_json_without_text_is_rejected() -> None:
    assert "no 'text'" in _read_error(BAD / "no_text.json")


def test_invalid_json_is_rejected_with_the_parser_message() -> None:
    message = _read_error(BAD / "invalid.json")
    assert "not valid JSON" in message
    assert "line 2" in message


def test_json_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(InvalidArticle, match=r"^list\.json: .*must be an object"):
        parse_json_article(b'["a title", "some text"]', "list.json")


def test_json_file_holding_a_list_is_rejected_as_not_an_object() -> None:
    assert "must be an object" in _read_error(BAD / "not_object.json")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        pytest.param({"title": 42, "text": "Talks resumed today."}, "title", id="title-number"),
        pytest.param({"title": "Talks", "text": ["Talks resumed."]}, "text", id="text-list"),
        pytest.param(
            {"title": "Talks", "text": "Talks resumed.", "published": 20241119},
            "published",
            id="published-number",
        ),
        pytest.param(
            {"title": "Talks", "text": "Talks resumed.", "source": {"name": "X"}},
            "source",
            id="source-object",
        ),
    ],
)
def test_json_fields_of_the_wrong_type_are_named(fields: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidArticle, match=r"^typed\.json: .*must be strings") as caught:
        parse_json_article(json.dumps(fields).encode(), "typed.json")
    assert named in str(caught.value)


def test_json_without_title_is_rejected() -> None:
    with pytest.raises(InvalidArticle, match=r"^untitled\.json: .*no title"):
        parse_json_article(json.dumps({"text": "Talks resumed today."}).encode(), "untitled.json")


def test_missing_file_is_an_invalid_article_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(InvalidArticle, match="cannot read the file") as caught:
        read_article(missing)
    assert str(caught.value).startswith(str(missing))
