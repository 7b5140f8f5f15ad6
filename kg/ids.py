"""Stable ids: slugs of canonical names, and the id of an article."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"['’`]")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
MAX_ARTICLE_SLUG = 80


def slugify(text: str) -> str:
    """`Kim Jong Un` -> `kim-jong-un`; apostrophes vanish (`Russia's` -> `russias`)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = _APOSTROPHES.sub("", ascii_text.lower())
    return _NON_SLUG.sub("-", ascii_text).strip("-")


def article_id(title: str, published: str | None) -> str:
    """`<published date>-<slug of title>`, the slug cut at a word boundary to stay readable."""
    slug = slugify(title)
    if len(slug) > MAX_ARTICLE_SLUG:
        slug = slug[:MAX_ARTICLE_SLUG].rsplit("-", 1)[0]
    date = (published or "")[:10]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return f"{date}-{slug}" if slug else date
    return slug or "untitled"
