"""Which relations a read returns, and which of their properties: the filter the API
builds, and the Cypher that applies it.

Relation types reach the Cypher text only from the ontology (type_alternation checks them),
property names only from the fixed lists below (Projection checks them).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from kg.ontology import relation_rules, relation_types

# The stored properties of a relation kg's domain reads (records.relation_from), its evidence
# (five parallel lists, one item per sentence) and an entity's (records.entity_from).
RELATION_PROPERTIES = (
    "key", "status", "attributed_to", "date", "date_text", "place", "quantity",
    "quantity_qualifier", "topics", "claim", "as", "role", "confidence", "sources",
)  # fmt: skip
EVIDENCE_PROPERTIES = (
    "evidence_texts", "evidence_starts", "evidence_ends", "evidence_articles",
    "evidence_sentences",
)  # fmt: skip
ENTITY_PROPERTIES = ("id", "type", "name", "aliases", "wikidata", "description")
# Always read: a relation's status, an end's identity, label and name (the domain objects
# require them), and with any evidence its texts (which say how many). A relation's key is
# read when asked for, or when a page's cursor holds it: unread, the domain's key is "" (its
# default). Reading it for nothing was 3% of the entity question's statement (a 60-character
# string a relation; docs/performance.md, eighth round).
_REQUIRED_RELATION = frozenset({"status"})
_REQUIRED_END = frozenset({"id", "type", "name"})


@dataclass(frozen=True)
class Projection:
    """Which stored properties of each relation, and of its two ends, a read returns: those
    the caller's selection needs. The default is every one. An end read in part is still an
    Entity, its unread fields empty, so it must not be taken for the whole entity."""

    relation: frozenset[str] = frozenset(RELATION_PROPERTIES + EVIDENCE_PROPERTIES)
    ends: frozenset[str] = frozenset(ENTITY_PROPERTIES)

    def __post_init__(self) -> None:
        unknown = (self.relation - set(RELATION_PROPERTIES + EVIDENCE_PROPERTIES)) | (
            self.ends - set(ENTITY_PROPERTIES)
        )
        if unknown:  # the names are written into Cypher: only known ones may be
            raise ValueError(f"unknown properties in a projection: {sorted(unknown)}")
        if not (self.relation >= _REQUIRED_RELATION and self.ends >= _REQUIRED_END):
            raise ValueError(
                "a projection reads a relation's status, and an end's id, type and name"
            )
        if self.relation & set(EVIDENCE_PROPERTIES) and "evidence_texts" not in self.relation:
            raise ValueError("a projection with evidence reads its texts")

    @classmethod
    def of(cls, relation: set[str], ends: set[str]) -> Projection:
        """The projection of these properties and the ones every read needs."""
        if relation & set(EVIDENCE_PROPERTIES):
            relation = relation | {"evidence_texts"}
        return cls(frozenset(relation | _REQUIRED_RELATION), frozenset(ends | _REQUIRED_END))

    def reading(self, *relation_properties: str) -> Projection:
        """This projection, reading these properties of each relation as well."""
        if self.relation.issuperset(relation_properties):
            return self
        return Projection.of(set(self.relation).union(relation_properties), set(self.ends))

    @property
    def whole_ends(self) -> bool:
        """True when the ends are read whole: they may stand for their entities."""
        return self.ends == frozenset(ENTITY_PROPERTIES)


EVERYTHING = Projection()


@dataclass(frozen=True)
class RelationFilter:
    """Which relations of an entity to return, and which of their properties."""

    types: tuple[str, ...] = ()
    direction: str = "BOTH"  # OUT, IN or BOTH; symmetric types match either way
    statuses: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    other: str | None = None
    projection: Projection = EVERYTHING
    """What of each relation is read: most of a relation's bytes are its evidence, which the
    caller may not have asked for, and a relation's ends are often asked for by name only."""

    def reading(self, *relation_properties: str) -> RelationFilter:
        """This filter, its projection reading these properties of each relation as well."""
        return replace(self, projection=self.projection.reading(*relation_properties))

    def params(self) -> dict[str, Any]:
        return {
            "types": list(self.types or relation_types()),
            "direction": self.direction,
            "statuses": list(self.statuses) or None,
            "from": self.date_from,
            "to": self.date_to,
            "other": self.other,
            "symmetric": [t for t, rule in relation_rules().items() if rule.symmetric],
        }


RELATION_WHERE = """
WHERE type(r) IN $types
  AND ($statuses IS NULL OR r.status IN $statuses)
  AND ($from IS NULL OR r.date_end >= $from)
  AND ($to IS NULL OR r.date_start <= $to)
  AND ($other IS NULL OR other.id = $other)
  AND ($direction = 'BOTH' OR type(r) IN $symmetric
       OR ($direction = 'OUT' AND startNode(r) = e) OR ($direction = 'IN' AND endNode(r) = e))
"""


def type_alternation(types: Sequence[str]) -> str:
    """`A|B|C` from validated relation types (enum values only; never raw input)."""
    known = set(relation_types())
    chosen = [t for t in (types or relation_types()) if t in known]
    if not chosen:
        raise ValueError("no known relation type given")
    return "|".join(chosen)


def relation_properties(projection: Projection) -> str:
    """The Cypher for the chosen properties of relationship `r`."""
    if projection == EVERYTHING:
        return "properties(r)"
    return "r {" + ", ".join(f".`{name}`" for name in sorted(projection.relation)) + "}"


def end_properties(node: str, projection: Projection) -> str:
    """The Cypher for the chosen properties of an entity: a variable (`a`, null when `a` is),
    or `startNode(r)` / `endNode(r)`, which a map projection does not accept."""
    if projection.whole_ends:
        return f"properties({node})"
    names = sorted(projection.ends)
    if node.isidentifier():
        return node + " {" + ", ".join(f".`{name}`" for name in names) + "}"
    return "{" + ", ".join(f"`{name}`: {node}.`{name}`" for name in names) + "}"


def _conditions(relation_filter: RelationFilter) -> tuple[str, ...]:
    """The conditions of RELATION_WHERE this filter sets (their parameters stay): a condition
    on an unset parameter still costs Neo4j its test on every relation expanded."""
    chosen = relation_filter
    return tuple(
        condition
        for needed, condition in (
            (chosen.statuses, "r.status IN $statuses"),
            (chosen.date_from, "r.date_end >= $from"),
            (chosen.date_to, "r.date_start <= $to"),
            (chosen.other, "other.id = $other"),
            (
                chosen.direction != "BOTH",
                "(type(r) IN $symmetric OR ($direction = 'OUT' AND startNode(r) = e)"
                " OR ($direction = 'IN' AND endNode(r) = e))",
            ),
        )
        if needed
    )


# Keyed on what shapes the text (not on the filter's dates or ids, which are parameters).
@functools.lru_cache(maxsize=1024)
def _typed(
    cypher: str, types: tuple[str, ...], conditions: tuple[str, ...], projection: Projection
) -> str:
    if "-[r]-" not in cypher:  # the WHERE below leaves the type test to the narrowed pattern
        raise ValueError("typed() needs a statement whose relation pattern is -[r]-")
    cypher = cypher.replace("-[r]-", f"-[r:{type_alternation(types)}]-")
    where = "\nWHERE " + " AND ".join(conditions or ("true",)) + "\n"
    cypher = cypher.replace(RELATION_WHERE, where)
    cypher = cypher.replace("properties(r)", relation_properties(projection))
    for node in ("startNode(r)", "endNode(r)", "other"):
        cypher = cypher.replace(f"properties({node})", end_properties(node, projection))
    return cypher


def typed(cypher: str, relation_filter: RelationFilter) -> str:
    """The statement for this filter: its relation pattern `-[r]-` narrowed to the filter's
    types, RELATION_WHERE to the conditions it sets, and `properties(r)`,
    `properties(startNode(r))`, `properties(endNode(r))`, `properties(other)` to what its
    projection reads. Neo4j then expands only those relationships of a hub (grouped by type
    on dense nodes), not all of them before filtering, and sends nothing nobody asked for.
    The types come from the ontology (type_alternation), the property names from the
    projection's fixed lists."""
    chosen = relation_filter
    return _typed(cypher, chosen.types, _conditions(chosen), chosen.projection)
