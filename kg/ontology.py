"""The ontology as Python enums, built from `schema/ontology.json` (the one source of truth).

Labels and relationship types in Cypher text come only from these enums, never from input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from kg.resources import schema_file


@cache
def _ontology() -> dict[str, Any]:
    with schema_file("ontology.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _enum(name: str, members: list[str]) -> Any:
    return Enum(name, {m: m for m in members}, type=str, module=__name__)


_DATA = _ontology()

# Dynamic enums keep the ontology in one place; their members are listed in schema/ontology.json.
EntityType = _enum("EntityType", list(_DATA["entity_types"]))
RelationType = _enum("RelationType", list(_DATA["relation_types"]))
Status = _enum("Status", list(_DATA["statuses"]))

ENTITY_LABEL = "Entity"  # every entity node carries it besides its type label
ARTICLE_LABEL = "Article"
SENTENCE_LABEL = "Sentence"


@dataclass(frozen=True)
class RelationRule:
    """Which entity types a relation type may connect, and whether direction matters."""

    subject_types: frozenset[str]
    object_types: frozenset[str]
    symmetric: bool
    description: str

    def allows(self, subject_type: str, object_type: str) -> bool:
        return ("*" in self.subject_types or subject_type in self.subject_types) and (
            "*" in self.object_types or object_type in self.object_types
        )


@cache
def relation_rules() -> dict[str, RelationRule]:
    """The rule of each relation type, by name."""
    return {
        name: RelationRule(
            subject_types=frozenset(spec["subject"]),
            object_types=frozenset(spec["object"]),
            symmetric=bool(spec.get("symmetric", False)),
            description=spec["description"],
        )
        for name, spec in _DATA["relation_types"].items()
    }


def entity_types() -> list[str]:
    return [member.value for member in EntityType]


def relation_types() -> list[str]:
    return [member.value for member in RelationType]


def statuses() -> list[str]:
    return [member.value for member in Status]


def entity_descriptions() -> dict[str, str]:
    return {name: spec["description"] for name, spec in _DATA["entity_types"].items()}
