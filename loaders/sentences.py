"""Sentence splitting with character offsets, careful about abbreviations and initials."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "adm",
        "gov",
        "sen",
        "rep",
        "pres",
        "jr",
        "sr",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "fig",
        "al",
    }
)
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos"})
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then space.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+)")
_NEXT_START = re.compile(r"\s+([\"'“‘«(\[]?[A-Z0-9А-ЯЁ])")


def _is_abbreviation(text: str, dot_at: int) -> bool:
    """True when the period at `dot_at` closes an abbreviation or an initial ("U.S.", "J.")."""
    word_start = dot_at
    while word_start > 0 and (text[word_start - 1].isalpha() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot_at]
    if not word:
        return False
    if word.lower() in _ABBREVIATIONS:
        return True
    if word.lower() in _NUMBER_ABBREVIATIONS:  # "No. 5", but "Kim said no. Talks ended."
        return bool(re.match(r"\s*\d", text[dot_at + 1 : dot_at + 4]))
    # Initials and dotted acronyms: "J", "U.S", "U.N".
    return all(len(part) == 1 and part.isupper() for part in word.split("."))


def split_sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Yield (start, end) offsets of the sentences of text[start:end], trimmed of white space."""
    stop = len(text) if end is None else end
    cursor = start
    for match in _BOUNDARY.finditer(text, start, stop):
        following = _NEXT_START.match(text, match.end(), stop)
        if following is None:
            continue  # a lower-case continuation: not a sentence end
        if (
            text[match.start()] == "."
            and match.end() - match.start() == 1
            and _is_abbreviation(text, match.start())
        ):
            continue
        yield from _trimmed(text, cursor, match.end())
        cursor = match.end()
    yield from _trimmed(text, cursor, stop)


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end
