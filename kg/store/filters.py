"""Which relations a read returns: the filter the API builds, and the Cypher that applies it.

Relation types reach the Cypher text only from the ontology (type_alternation checks them).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kg.ontology import relation_rules, relation_types


@dataclass(frozen=True)
class RelationFilter:
    """Which relations of an entity to return."""

    types: tuple[str, ...] = ()
    direction: str = "BOTH"  # OUT, IN or BOTH; symmetric types match either way
    statuses: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    other: str | None = None
    with_evidence: bool = True
    """False: the relations come without their evidence (the sentences), which the caller did
    not ask for; most of a relation's bytes are its evidence."""

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


# Every property of a relation but its evidence lists.
_WITHOUT_EVIDENCE = (
    "r {"
    + ", ".join(
        f".`{name}`"
        for name in (
            "key", "status", "attributed_to", "date", "date_text", "place", "quantity",
            "quantity_qualifier", "topics", "claim", "as", "role", "confidence", "sources",
        )
    )
    + "}"
)  # fmt: skip


def relation_properties(with_evidence: bool) -> str:
    """The Cypher for the properties of relationship `r`: all, or all but its evidence."""
    return "properties(r)" if with_evidence else _WITHOUT_EVIDENCE


@functools.lru_cache(maxsize=512)
def _typed(cypher: str, types: tuple[str, ...], with_evidence: bool) -> str:
    cypher = cypher.replace("-[r]-", f"-[r:{type_alternation(types)}]-")
    return cypher.replace("properties(r)", relation_properties(with_evidence))


def typed(cypher: str, relation_filter: RelationFilter) -> str:
    """The statement with its relation pattern `-[r]-` narrowed to the filter's types, and
    `properties(r)` to what the filter wants: Neo4j then expands only those relationships of
    a hub (grouped by type on dense nodes), not all of them before filtering, and sends no
    evidence nobody asked for. The types come from the ontology (type_alternation)."""
    return _typed(cypher, relation_filter.types, relation_filter.with_evidence)
