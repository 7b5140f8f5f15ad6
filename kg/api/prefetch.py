"""The root `entity` field reads the entity and the relations selected under it at once.

GraphQL resolves a query level by level, so `entity(id) { relations { ... } }` would cost a
lookup of the entity and then a statement for its relations. `Query.entity` reads the
`relations` field's arguments from its own selection, asks the store for both in one
statement, and primes the request's DataLoaders under the key `Entity.relations` computes
(kg.api.types.relations_key), so that field finds its answer there. What it does not plan
(no `relations` field, or several, or one inside a fragment, or arguments the field refuses)
is left to the fields themselves: the same answer, one statement more.
"""

from __future__ import annotations

from typing import Any

from strawberry.types.nodes import SelectedField

from kg.api.context import RelationsKey
from kg.api.types import BadInput, Direction, KgInfo, names, relations_key
from kg.domain import Entity
from kg.ontology import RelationType, Status


def planned_relations(info: KgInfo, entity_id: str) -> RelationsKey | None:
    """The key of the one `relations` field directly under this `entity` field, if any."""
    (root,) = info.selected_fields
    chosen = [s for s in root.selections if isinstance(s, SelectedField) and s.name == "relations"]
    if len(chosen) != 1:
        return None
    field = chosen[0]
    given: dict[str, Any] = field.arguments
    try:
        # GraphQL enum values arrive by name; the field's own arguments are the members.
        arguments = (
            [RelationType[name] for name in given["types"]] if given.get("types") else None,
            Direction[given.get("direction") or "BOTH"],
            [Status[name] for name in given["statuses"]] if given.get("statuses") else None,
            given.get("from"),
            given.get("to"),
            # A literal arrives as its source text ("20"), a variable as its value.
            int(given["first"]) if given.get("first") is not None else None,
        )
        return relations_key(info, entity_id, arguments, names([field], "evidence"))
    except (KeyError, TypeError, ValueError, BadInput):
        return None  # the field itself will say what is wrong


async def entity_with_relations(info: KgInfo, entity_id: str) -> Entity | None:
    """The entity (None if no entity has the id), its planned relations primed."""
    loaders = info.context.loaders
    key = planned_relations(info, entity_id)
    if key is None:
        return await loaders.entity.load(entity_id)
    found = await info.context.store.entities_with_relations([entity_id], key.filter, key.first)
    if entity_id not in found:
        loaders.entity.prime(entity_id, None)
        return None
    entity, relations = found[entity_id]
    loaders.prime_entities([entity])
    loaders.relations.prime(key, relations)
    for item in relations:
        loaders.prime_entities((item.subject, item.object))
    return entity
