"""kg as an Apollo Federation 2 subgraph (KG_GRAPHQL_FEDERATION=true).

The federated schema is the plain one plus what a gateway needs: every entity type (`Person`,
`Country`, ...) carries `@key(fields: "id")` and resolves references by id, so other subgraphs
can extend or point at kg's entities; `_service { sdl }` and `_entities(representations:)`
answer. The entity types here are federated twins of kg.api.types.ENTITY_TYPES: same name,
same fields, plus the key. Only this schema registers them, so the plain schema's SDL has no
federation directives. Resolvers everywhere return the plain objects of `entity_view`; both
schemas resolve the `Entity` interface by type name, so those serve the twins too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext

from kg.api.schema import Mutation, Query, Subscription, expected_error
from kg.api.types import Entity, KgInfo, entity_view
from kg.ontology import EntityType, entity_descriptions


def _federated_entity_class(label: str) -> type[Entity]:
    """The type of one label, with `@key(fields: "id")` and a reference resolver."""

    async def resolve_reference(
        cls: type[Entity], info: KgInfo, id: strawberry.ID
    ) -> Entity | None:
        # The request's DataLoader: every representation of one `_entities` call, one query.
        found = await info.context.loaders.entity.load(str(id))
        if found is None or found.type != label:
            return None  # unknown id, or the id of another type: the gateway gets null
        return entity_view(found)

    def is_type_of(cls: type[Entity], obj: object, info: object) -> bool:
        # The `_Entity` union asks each member in turn: only the object's own label says yes.
        return isinstance(obj, Entity) and obj.entity.type == label

    description = entity_descriptions()[label]
    namespace = {
        "__doc__": description,
        "resolve_reference": classmethod(resolve_reference),
        "is_type_of": classmethod(is_type_of),
    }
    cls = type(label, (Entity,), namespace)
    return strawberry.federation.type(cls, description=description, keys=["id"])


# One federated object type per node label, as ENTITY_TYPES has for the plain schema.
FEDERATED_ENTITY_TYPES: dict[str, type[Entity]] = {
    t.value: _federated_entity_class(t.value) for t in EntityType
}


class KgFederatedSchema(strawberry.federation.Schema):
    """The subgraph schema; like KgSchema, it logs only the errors that point at a defect."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        super().process_errors([e for e in errors if not expected_error(e)], execution_context)


def federated_schema(
    extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]],
    execution_context_class: type[StrawberryGraphQLCoreExecutionContext] | None = None,
) -> strawberry.Schema:
    """The Federation 2 subgraph: Query (with `_service`, `_entities`), Mutation, Subscription."""
    return KgFederatedSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(FEDERATED_ENTITY_TYPES.values()),
        extensions=extensions,
        federation_version="2.0",  # all it uses is @key: any Federation 2 router accepts it
        execution_context_class=execution_context_class,
    )
