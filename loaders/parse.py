"""parse: raw article (the text file as given, or a JSON article) -> `Article` with sentences.

The stored text is the input as given (decoded UTF-8, CRLF folded to LF); every offset, the
sentences' and the evidence's, indexes into it, and `content_sha256` hashes it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.domain import Article, Sentence
from kg.errors import InvalidArticle
from kg.ids import article_id
from loaders.sentences import split_sentences

MAX_ARTICLE_BYTES = 5_000_000

_BYLINE = re.compile(
    r"^By\s+(?P<source>[^|]+)"
    r"(?:\|\s*Created at\s+(?P<created>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)\s*)?"
    r"(?:\|\s*Updated at\s+(?P<updated>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?))?"
)
# Where a publisher's appeal or page furniture begins; everything from there on is boilerplate.
_BOILERPLATE_START = re.compile(
    r"^(A Message from .{1,80}:|Support (independent|our) journalism.*"
    r"|Read (the )?Entire Article)\s*$",
    re.IGNORECASE,
)
_HEADER_LINES = 6  # the byline and stray lines ("Truth") sit right below the title


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[_Line]:
    lines, pos = [], 0
    for raw in text.split("\n"):
        lines.append(_Line(pos, pos + len(raw), raw.strip()))
        pos += len(raw) + 1
    return lines


def _iso(stamp: str | None) -> str | None:
    return stamp.replace(" ", "T") if stamp else None


def _looks_like_prose(line: str) -> bool:
    return len(line.split()) >= 6 or line.endswith((".", "!", "?", '"', "”"))


def _decode(raw: bytes, name: str) -> str:
    if not raw.strip():
        raise InvalidArticle(f"{name}: the article is empty")
    if len(raw) > MAX_ARTICLE_BYTES:
        raise InvalidArticle(
            f"{name}: the article is {len(raw):,} bytes, over the limit of {MAX_ARTICLE_BYTES:,}"
        )
    if b"\x00" in raw:
        raise InvalidArticle(f"{name}: the article is binary (it contains NUL bytes), not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArticle(
            f"{name}: the article is not UTF-8 (invalid byte at offset {exc.start})"
        ) from exc
    if not text.strip():
        raise InvalidArticle(f"{name}: the article is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _sentences(text: str, lines: list[_Line], body_from: int) -> tuple[Sentence, ...]:
    """Sentences of each body paragraph, flagged as boilerplate from the appeal's first line on."""
    sentences: list[Sentence] = []
    boilerplate = False
    for line in lines[body_from:]:
        if not line.text:
            continue
        if _BOILERPLATE_START.match(line.text):
            boilerplate = True
        for start, end in split_sentences(text, line.start, line.end):
            sentences.append(Sentence(len(sentences), text[start:end], start, end, boilerplate))
    return tuple(sentences)


def _make_article(
    text: str, sentences: tuple[Sentence, ...], meta: dict[str, str | None], name: str
) -> Article:
    title = (meta.get("title") or "").strip()
    if not title:
        raise InvalidArticle(f"{name}: the article has no title")
    if not any(not s.boilerplate for s in sentences):
        raise InvalidArticle(f"{name}: the article has a title but no body text")
    return Article(
        id=article_id(title, meta.get("published")),
        title=title,
        text=text,
        content_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        sentences=sentences,
        source=meta.get("source"),
        published=meta.get("published"),
        updated=meta.get("updated"),
        url=meta.get("url"),
    )


def parse_text_article(raw: bytes, name: str = "<article>") -> Article:
    """A plain-text article: title line, optional byline and stray lines, body, appeal."""
    text = _decode(raw, name)
    lines = _lines(text)
    first = next(i for i, line in enumerate(lines) if line.text)
    meta: dict[str, str | None] = {"title": lines[first].text}
    body_from = first + 1
    for i in range(first + 1, min(first + 1 + _HEADER_LINES, len(lines))):
        line = lines[i].text
        if not line:
            continue
        byline = _BYLINE.match(line)
        # "By Tuesday, officials had agreed ..." is prose, not a byline.
        if byline and ("|" in line or not _looks_like_prose(line)) and "source" not in meta:
            meta["source"] = byline["source"].strip()
            meta["published"] = _iso(byline["created"])
            meta["updated"] = _iso(byline["updated"])
            body_from = i + 1
        elif _looks_like_prose(line):
            break
        else:
            body_from = i + 1  # a stray header line such as "Truth" or "2 hours ago"
    return _make_article(text, _sentences(text, lines, body_from), meta, name)


_JSON_FIELDS = ("title", "source", "published", "updated", "url", "text")


def parse_json_article(raw: bytes, name: str = "<article>") -> Article:
    """A JSON article `{title, source, published, updated, url, text}`; offsets index `text`."""
    try:
        data: Any = json.loads(_decode(raw, name))
    except json.JSONDecodeError as exc:
        raise InvalidArticle(f"{name}: not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError as exc:
        raise InvalidArticle(f"{name}: not valid JSON: nested too deeply") from exc
    if not isinstance(data, dict):
        raise InvalidArticle(f"{name}: a JSON article must be an object with title and text")
    wrong = [k for k in _JSON_FIELDS if data.get(k) is not None and not isinstance(data[k], str)]
    if wrong:
        raise InvalidArticle(f"{name}: these fields must be strings: {', '.join(wrong)}")
    for key in _JSON_FIELDS:
        if isinstance(data.get(key), str) and not _encodable(data[key]):
            raise InvalidArticle(f"{name}: '{key}' holds an unpaired surrogate (\\ud800-\\udfff)")
    text = data.get("text")
    if not text or not text.strip():
        raise InvalidArticle(f"{name}: the JSON article has no 'text'")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sentences = _sentences(text, _lines(text), 0)
    meta = {k: data.get(k) for k in _JSON_FIELDS if k != "text"}
    return _make_article(text, sentences, meta, name)


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_article(raw: bytes, name: str = "<article>") -> Article:
    """Either format: JSON when the name ends in .json or the content is JSON, else text."""
    if name.lower().endswith(".json"):
        return parse_json_article(raw, name)
    if raw.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"{", b"["):
        return parse_json_article(raw, name)
    return parse_text_article(raw, name)


def read_article(path: Path) -> Article:
    """Read and parse an article file; errors name the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidArticle(f"{path}: cannot read the file: {exc.strerror}") from exc
    return parse_article(raw, str(path))
