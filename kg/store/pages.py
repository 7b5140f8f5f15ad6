"""Pages and counts: keyset-paginated reads, and counts that never load what they count.

A page is read with `LIMIT first + 1` after a position in a total order that ends in a unique
key, so a page's content never depends on how many rows came before it (no SKIP), and paging
stays stable while other articles are loaded. Counts of an entity's relations by type and
direction come from Neo4j's degree store (`COUNT { (e)-[:A|B]->() }` is planned as a degree
lookup); only a filter on a relation's properties makes a count read relationships.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from kg.ontology import relation_rules
from kg.store.filters import RELATION_WHERE, RelationFilter, type_alternation

T = TypeVar("T")

Position = tuple[Any, ...]
"""Where an item sits in its page's order: what a cursor encodes."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """Up to `first` items after a position, each with its own position."""

    items: tuple[T, ...]
    positions: tuple[Position, ...]
    has_next: bool


# A relation with both ends' properties: what GraphStore turns into an EntityRelation.
RELATION_MAP = (
    "{type: type(r), props: properties(r),"
    " subject: properties(startNode(r)), object: properties(endNode(r))}"
)
# A relation of the entity `e` whose other end is `other` (kg.store.GraphStore._own_relation).
OWN_RELATION_MAP = (
    "{type: type(r), props: properties(r), outgoing: startNode(r) = e, other: properties(other)}"
)

# An entity's relations, by key: one statement for the pages of many entities.
RELATION_PAGES = (
    "UNWIND $ids AS id MATCH (e:Entity {id: id})"
    " CALL (e) { MATCH (e)-[r]-(other:Entity)"
    + RELATION_WHERE
    + " AND ($after IS NULL OR r.key > $after)"
    " WITH r ORDER BY r.key LIMIT $limit"
    f" RETURN collect({RELATION_MAP}) AS page }}"
    " RETURN id, page"
)


# An entity's dated relations (or those between it and `other`), by date then key. With
# `other`, both ends are looked up and only the relations between them are expanded.
def _timeline_page(match: str, scope: str, pattern: str) -> str:
    return (
        f"{match} CALL {scope} {{ MATCH {pattern}"
        + RELATION_WHERE
        + " AND r.date_start IS NOT NULL"
        " AND ($after_date IS NULL OR r.date_start > $after_date"
        "      OR (r.date_start = $after_date AND r.key > $after_key))"
        " WITH r ORDER BY r.date_start, r.key LIMIT $limit"
        f" RETURN collect({RELATION_MAP}) AS page }}"
        " RETURN page"
    )


TIMELINE_PAGE = _timeline_page("MATCH (e:Entity {id: $id})", "(e)", "(e)-[r]-(other:Entity)")
TIMELINE_BETWEEN_PAGE = _timeline_page(
    "MATCH (e:Entity {id: $id}), (other:Entity {id: $other})", "(e, other)", "(e)-[r]-(other)"
)

TIMELINE_COUNT = (
    "MATCH (e:Entity {id: $id})-[r]-(other:Entity)"
    + RELATION_WHERE
    + " AND r.date_start IS NOT NULL RETURN count(r) AS total"
)
TIMELINE_BETWEEN_COUNT = (
    "MATCH (e:Entity {id: $id}), (other:Entity {id: $other}) MATCH (e)-[r]-(other)"
    + RELATION_WHERE
    + " AND r.date_start IS NOT NULL RETURN count(r) AS total"
)

# Relations of many entities that pass a filter on their properties, counted.
RELATION_COUNTS = (
    "UNWIND $ids AS id MATCH (e:Entity {id: id})"
    " CALL (e) { MATCH (e)-[r]-(other:Entity)" + RELATION_WHERE + " RETURN count(r) AS total }"
    " RETURN id, total"
)


def search_page_query(index: str) -> str:
    """Full-text hits by score (best first), then id; `index` is kg's own index name."""
    return (
        f"CALL db.index.fulltext.queryNodes('{index}', $query) YIELD node, score"
        " WHERE (size($types) = 0 OR node.type IN $types)"
        " AND ($after_score IS NULL OR score < $after_score"
        "      OR (score = $after_score AND node.id > $after_id))"
        " RETURN properties(node) AS entity, score ORDER BY score DESC, node.id LIMIT $limit"
    )


def search_count_query(index: str) -> str:
    return (
        f"CALL db.index.fulltext.queryNodes('{index}', $query) YIELD node"
        " WHERE size($types) = 0 OR node.type IN $types RETURN count(node) AS total"
    )


def degree_query(types: Sequence[str], direction: str) -> str:
    """The number of relations of each entity in `$ids`, of these types, this way, read from
    the degree store. Symmetric types count both ways whatever the direction, as in filters."""
    chosen = type_alternation(types).split("|")
    symmetric = [t for t in chosen if relation_rules()[t].symmetric]
    directed = [t for t in chosen if not relation_rules()[t].symmetric]
    if direction == "BOTH":
        symmetric, directed = chosen, []
    left, right = ("<-", "-") if direction == "IN" else ("-", "->")
    terms = [f"COUNT {{ (e)-[:{'|'.join(symmetric)}]-() }}"] if symmetric else []
    if directed:
        terms.append(f"COUNT {{ (e){left}[:{'|'.join(directed)}]{right}() }}")
    return f"UNWIND $ids AS id MATCH (e:Entity {{id: id}}) RETURN id, {' + '.join(terms)} AS degree"


def counts_only_by_type(relation_filter: RelationFilter) -> bool:
    """True when the filter needs no relationship property: the degree store answers it."""
    chosen = relation_filter
    return not (chosen.statuses or chosen.date_from or chosen.date_to or chosen.other)
