"""Which relations a read returns: the filter the API builds, and the Cypher that applies it.

Relation types reach the Cypher text only from the ontology (type_alternation checks them).
"""

from __future__ import annotations

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
