"""Domain objects: what an article says (ArticleGraph) and what the store hands back.

These are plain frozen dataclasses; the store returns them, the GraphQL types wrap them, and
`loaders/` builds them. Field names follow the interchange document
(schema/article-graph.schema.json) with Python spelling (`as_` for `as`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
_new = object.__new__


def filled(cls: type[T], fields: dict[str, Any]) -> T:
    """An instance of the dataclass `cls` holding these fields (every one of them), made
    without its `__init__`. A frozen dataclass's `__init__` calls `object.__setattr__` once
    per field, eighteen for a Relation; the store and the API make hundreds of objects an
    answer from values that are already right (docs/performance.md, seventh and eighth
    rounds). tests/test_records.py and tests/test_views.py hold what it makes equal to what
    `__init__` makes."""
    instance = _new(cls)
    instance.__dict__.update(fields)
    return instance


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article, with offsets into the article's stored text."""

    index: int
    text: str
    start: int
    end: int
    boilerplate: bool = False


@dataclass(frozen=True)
class Article:
    """A parsed article: metadata, the stored text and its sentences."""

    id: str
    title: str
    text: str
    content_sha256: str
    sentences: tuple[Sentence, ...]
    source: str | None = None
    published: str | None = None
    updated: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Evidence:
    """The verbatim words of an article that support a relation."""

    text: str
    start: int | None = None
    end: int | None = None
    article_id: str | None = None
    sentence_index: int | None = None


@dataclass(frozen=True)
class Entity:
    """A real-world thing: its stable id, type (node label), names and descriptions."""

    id: str
    type: str
    name: str
    aliases: tuple[str, ...] = ()
    wikidata: str | None = None
    description: str | None = None

    def __hash__(self) -> int:
        # Equal entities have equal ids, so the id alone is a valid hash, and far cheaper
        # than the generated hash of all six fields (the API's views are cached by entity).
        return hash(self.id)


@dataclass(frozen=True)
class Relation:
    """A dyadic fact with qualifiers. Identity: (type, subject, object, date)."""

    type: str
    subject: str
    object: str
    status: str
    evidence: tuple[Evidence, ...]
    attributed_to: tuple[str, ...] = ()
    date: str | None = None
    date_text: str | None = None
    place: str | None = None
    quantity: float | None = None
    quantity_qualifier: str | None = None
    topics: tuple[str, ...] = ()
    claim: str | None = None
    as_: str | None = None
    role: str | None = None
    confidence: float | None = None
    sources: tuple[str, ...] = ()
    key: str = ""


@dataclass(frozen=True)
class ArticleGraph:
    """Everything one article says: the parsed article plus its entities and relations."""

    article: Article
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]
    mentions: tuple[tuple[int, str], ...] = field(default=())
    """(sentence index, entity id) pairs: which sentence names or refers to which entity."""


@dataclass(frozen=True)
class WriteSummary:
    """What writing one article did to the graph."""

    article_id: str
    entities: int
    relations: int
    sentences: int
    mentions: int


def relation_key(type_: str, subject: str, object_: str, date: str | None, symmetric: bool) -> str:
    """The identity of a relation: (type, subject, object, date); a symmetric pair is unordered."""
    if symmetric and object_ < subject:
        subject, object_ = object_, subject
    return f"{type_}|{subject}|{object_}|{date or ''}"


def date_bounds(date: str | None) -> tuple[str | None, str | None]:
    """The first and last day a (partial, or ranged) ISO date can mean, as sortable strings.

    "2024-06" -> ("2024-06-01", "2024-06-31"); comparing strings is enough for ordering and
    overlap, so the impossible day 31 of June does no harm.
    """
    if not date:
        return None, None
    first, _, last = date.partition("/")
    last = last or first

    def pad(value: str, fill: str) -> str:
        parts = value.split("-")
        defaults = ["", fill[:2], fill[3:]]
        return "-".join(parts + defaults[len(parts) :])

    return pad(first, "01-01"), pad(last, "12-31")


def article_metadata(article: Article) -> dict[str, Any]:
    """The article's metadata with the interchange document's field names (no text)."""
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "published": article.published,
        "updated": article.updated,
        "url": article.url,
        "content_sha256": article.content_sha256,
    }


def entity_record(entity: Entity) -> dict[str, Any]:
    """An entity with the interchange document's field names."""
    return {
        "id": entity.id,
        "type": entity.type,
        "name": entity.name,
        "aliases": list(entity.aliases),
        "wikidata": entity.wikidata,
        "description": entity.description,
    }


def relation_qualifiers(relation: Relation) -> dict[str, Any]:
    """A relation's status and qualifiers with the interchange document's names (`as`)."""
    return {
        "status": relation.status,
        "attributed_to": list(relation.attributed_to),
        "date": relation.date,
        "date_text": relation.date_text,
        "place": relation.place,
        "quantity": relation.quantity,
        "quantity_qualifier": relation.quantity_qualifier,
        "topics": list(relation.topics),
        "claim": relation.claim,
        "as": relation.as_,
        "role": relation.role,
        "confidence": relation.confidence,
    }
