"""The root `entity` field reads the entity and the first level selected under it at once.

GraphQL resolves a query level by level, so `entity(id) { relations { ... } }` would cost a
lookup of the entity and then a statement for its relations. `Query.entity` reads the
`relations` field's arguments (else the `neighbors` field's) from its own selection, asks the
store for the entity and that field's answer in one statement, and primes the request's
DataLoaders under the key the field itself computes (kg.api.types.relations_key,
neighbors_key), so that the field finds its answer there. What it does not plan (neither
field, or several of one, or one inside a fragment, or arguments the field refuses) is left to
the fields themselves: the same answer, one statement more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strawberry.types.nodes import SelectedField

from kg.api.context import NeighborsKey, RelationsKey
from kg.api.projection import relation_projection
from kg.api.types import BadInput, Direction, KgInfo, neighbors_key, relations_key
from kg.domain import Entity
from kg.ontology import RelationType, Status

K = TypeVar("K")


def _only_field(info: KgInfo, name: str) -> SelectedField | None:
    """The field `name` directly under the field being resolved, when it is there once."""
    roots = info.selected_fields  # more than one when the query repeats the field
    if len(roots) != 1:
        return None
    chosen = [s for s in roots[0].selections if isinstance(s, SelectedField) and s.name == name]
    return chosen[0] if len(chosen) == 1 else None


def _int(value: Any) -> int | None:
    # A literal arrives as its source text ("20"), a variable as its value.
    return int(value) if value is not None else None


def _relation_types(given: dict[str, Any]) -> list[RelationType] | None:
    # GraphQL enum values arrive by name; the fields' own arguments are the members.
    return [RelationType[name] for name in given["types"]] if given.get("types") else None


def _planned(
    info: KgInfo, name: str, key_of: Callable[[SelectedField, dict[str, Any]], K]
) -> K | None:
    """The key `key_of` makes of the one field `name` directly under this `entity` field (from
    the field and its arguments), if there is one and its arguments are accepted."""
    field = _only_field(info, name)
    if field is None:
        return None
    try:
        return key_of(field, field.arguments)
    except (KeyError, TypeError, ValueError, BadInput):
        return None  # the field itself will say what is wrong


def planned_relations(info: KgInfo, entity_id: str) -> RelationsKey | None:
    """The key of the one `relations` field directly under this `entity` field, if any."""

    def key_of(field: SelectedField, given: dict[str, Any]) -> RelationsKey:
        arguments = (
            _relation_types(given),
            Direction[given.get("direction") or "BOTH"],
            [Status[name] for name in given["statuses"]] if given.get("statuses") else None,
            given.get("from"),
            given.get("to"),
            _int(given.get("first")),
        )
        return relations_key(info, entity_id, arguments, relation_projection(field.selections))

    return _planned(info, "relations", key_of)


def planned_neighbors(info: KgInfo, entity_id: str) -> NeighborsKey | None:
    """The key of the one `neighbors` field directly under this `entity` field, if any."""

    def key_of(_: SelectedField, given: dict[str, Any]) -> NeighborsKey:
        depth, first = _int(given.get("depth")), _int(given.get("first"))
        # The field's defaults: depth 1, first 50.
        return neighbors_key(
            info,
            entity_id,
            1 if depth is None else depth,
            _relation_types(given),
            50 if first is None else first,
        )

    return _planned(info, "neighbors", key_of)


async def entity_with_first_level(info: KgInfo, entity_id: str) -> Entity | None:
    """The entity (None if no entity has the id), the first level it plans primed."""
    loaders = info.context.loaders
    key = planned_relations(info, entity_id)
    if key is None:
        near = planned_neighbors(info, entity_id)
        if near is None:
            return await loaders.entity.load(entity_id)
        entity, neighbors = await info.context.store.entity_with_neighbors(
            entity_id, near.depth, near.types, near.first
        )
        loaders.entity.prime(entity_id, entity)
        if entity is not None:
            loaders.neighbors.prime(near, neighbors)
            loaders.prime_entities([n.entity for n in neighbors])
        return entity
    found = await info.context.store.entities_with_relations([entity_id], key.filter, key.first)
    if entity_id not in found:
        loaders.entity.prime(entity_id, None)
        return None
    entity, relations = found[entity_id]
    loaders.prime_entities([entity])
    loaders.relations.prime(key, relations)
    loaders.prime_ends(relations, key.filter.projection)
    return entity
