"""What a query reads of each relation and its ends: the projection its selection needs.

A list of 100 relations read whole carries every qualifier, five evidence lists and both
ends' aliases and descriptions, most of which the query did not ask for; decoding them was
most of a long answer's cost in the API (docs/performance.md). The fields selected under a
relation list (fragments opened) name the stored properties to read
(kg.store.filters.Projection). A field these tables do not know reads everything, so a field
added to the schema is never answered from a property that was not read; a test checks that
the tables cover every field of the types they describe.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from strawberry.types.nodes import SelectedField

from kg.store import Projection
from kg.store.filters import EVERYTHING

Selections = Sequence[Any]
"""Strawberry's selections: SelectedField, FragmentSpread, InlineFragment."""

# GraphQL field -> the stored properties its answer reads.
RELATION_READS: dict[str, tuple[str, ...]] = {
    "__typename": (),
    "key": ("key",),
    "type": (),
    "status": (),
    "date": ("date",),
    "dateText": ("date_text",),
    "place": ("place",),
    "quantity": ("quantity",),
    "quantityQualifier": ("quantity_qualifier",),
    "claim": ("claim",),
    "as": ("as",),
    "role": ("role",),
    "topics": ("topics",),
    "confidence": ("confidence",),
    "attributedTo": ("attributed_to",),
    "sources": ("sources",),
}
EVIDENCE_READS: dict[str, tuple[str, ...]] = {
    "__typename": (),
    "text": ("evidence_texts",),
    "start": ("evidence_starts",),
    "end": ("evidence_ends",),
    "sentenceIndex": ("evidence_sentences",),
    "article": ("evidence_articles",),
}
ENTITY_READS: dict[str, tuple[str, ...]] = {
    "__typename": (),
    "id": (),
    "type": (),
    "name": (),
    "aliases": ("aliases",),
    "wikidata": ("wikidata",),
    "description": ("description",),
    # These read the graph by the entity's id.
    "relations": (),
    "relationsConnection": (),
    "degree": (),
    "neighbors": (),
}
RELATION_ENDS = ("subject", "object")


class _Unknown(Exception):
    """A field the tables do not know: read everything."""


def _fields(selections: Selections, on: frozenset[str] | None = None) -> Iterator[SelectedField]:
    """The fields of these selections, fragments opened (only those on the types `on`, when
    given; a fragment without a type condition always)."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
            continue
        condition = getattr(selection, "type_condition", None)
        if on is None or condition is None or condition in on:
            yield from _fields(selection.selections, on)


def _reads(table: dict[str, tuple[str, ...]], selections: Selections, into: set[str]) -> None:
    for field in _fields(selections):
        if field.name not in table:
            raise _Unknown
        into.update(table[field.name])


def _relation_reads(selections: Selections, relation: set[str], ends: set[str]) -> None:
    for field in _fields(selections):
        if field.name in RELATION_ENDS:
            _reads(ENTITY_READS, field.selections, ends)
        elif field.name == "evidence":
            relation.add("evidence_texts")  # how many sentences, whatever else is asked
            _reads(EVIDENCE_READS, field.selections, relation)
        elif field.name in RELATION_READS:
            relation.update(RELATION_READS[field.name])
        else:
            raise _Unknown


def relation_projection(selections: Selections) -> Projection:
    """What a list of relations under these selections reads (the fields of `Relation`)."""
    relation: set[str] = set()
    ends: set[str] = set()
    try:
        _relation_reads(selections, relation, ends)
    except _Unknown:
        return EVERYTHING
    return Projection.of(relation, ends)


def connection_projection(selections: Selections) -> Projection:
    """What a RelationConnection under these selections reads of its relations (`edges {
    node }` and `nodes`; its counts and cursors read nothing of them)."""
    nodes: list[Any] = []
    for field in _fields(selections):
        if field.name == "nodes":
            nodes.extend(field.selections)
        elif field.name == "edges":
            nodes.extend(
                part for edge in _fields(field.selections) if edge.name == "node"
                for part in edge.selections
            )  # fmt: skip
    return relation_projection(nodes)


def path_projection(selections: Selections) -> Projection:
    """What `path` reads: its relations' fields, and its entities' fields (both ends of a
    relation on a path are entities of the path)."""
    relation: set[str] = set()
    ends: set[str] = set()
    try:
        for field in _fields(selections, on=frozenset({"Path", "PathResult"})):
            if field.name == "entities":
                _reads(ENTITY_READS, field.selections, ends)
            elif field.name == "relations":
                _relation_reads(field.selections, relation, ends)
            elif field.name not in ("__typename", "length"):
                raise _Unknown
    except _Unknown:
        return EVERYTHING
    return Projection.of(relation, ends)


def selected(info: Any) -> Selections:
    """The selections under the field being resolved (all of its occurrences)."""
    return [part for field in info.selected_fields for part in field.selections]
