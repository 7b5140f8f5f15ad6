"""Objects of plain fields, completed directly (kg.api.plain), answer exactly as graphql-core.

Each query runs on the seed graph twice: through the API's schema, and through the same
schema with Strawberry's own execution context (graphql-core completing every field). The
answers, errors included, must be equal. The queries exercise what the direct path must
honour: aliases, `__typename`, inline and named fragments on interfaces and concrete types,
`@skip`/`@include` with variables, enums, nulls, unions, and resolver fields inside plain
objects (which send the object back to graphql-core).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import strawberry
from graphql import GraphQLEnumType, GraphQLScalarType

from kg import domain
from kg.api.context import Context
from kg.api.federation import federated_schema
from kg.api.plain import PlainFieldsExecutionContext, _Fallback, _leaf, read_field
from kg.api.schema import Mutation, Query, Subscription, build_schema
from kg.api.types import ENTITY_TYPES, Relation
from kg.config import Settings
from kg.ontology import RelationType, Status
from kg.store import GraphStore

QUERIES: dict[str, tuple[str, dict[str, Any]]] = {
    "relations with ends, evidence, enums and aliases": (
        """{ entity(id: "kim-jong-un") { __typename name
        facts: relations { kind: type status date dateText
          subject { __typename id name aliases type } object { id wikidata description }
          evidence { text start end sentenceIndex } quantity role topics } } }""",
        {},
    ),
    "fragments on the interface and on concrete types": (
        """query { timeline(entity: "kim-jong-un") { type date
          subject { ...Named ... on Person { aliases } ... on Country { wikidata } }
          object { __typename ... on Entity { id } } } }
        fragment Named on Entity { id name }""",
        {},
    ),
    "skip and include with variables": (
        """query Q($with: Boolean!, $without: Boolean!) {
        entity(id: "russia") { relations(first: 10) { key
          subject @include(if: $with) { id } object @skip(if: $with) { id }
          evidence @include(if: $without) { text } date @skip(if: $without) } } }""",
        {"with": True, "without": False},
    ),
    "resolver fields inside plain objects": (
        """{ entity(id: "alexander-kozlov") { relations { type
          subject { name degree } place { name } sources { title } attributedTo { id }
          evidence { text article { id } } } } }""",
        {},
    ),
    "a union, a path and its ends": (
        """{ path(from: "vladimir-putin", to: "alexander-kozlov") { __typename
          ... on Path { length entities { __typename id name }
            relations { type subject { id } object { id } } }
          ... on NoPath { message } ... on EntityNotFound { id } } }""",
        {},
    ),
    "search, nodes, articles, sentences and nulls": (
        """{ search(text: "Kim") { id name type }
        node(id: "north-korea") { __typename id ... on Entity { name } }
        nobody: entity(id: "nobody") { id }
        articles { id title source published sentences(includeBoilerplate: false) {
          index text start end boilerplate } } }""",
        {},
    ),
    "aliases that are Python keywords and the generated code's own names": (
        """{ entity(id: "kim-jong-un") { class: name def: relations(first: 5) {
          source: type v0: date x0: evidence { return: text } lambda: subject { None: id }
          _fallback: object { isinstance: name } } } }""",
        {},
    ),
    "pages": (
        """{ entity(id: "kim-jong-un") { relationsConnection(first: 3) { totalCount
          pageInfo { hasNextPage endCursor } edges { cursor node { key object { name } } } } } }""",
        {},
    ),
}


def _graphql_core_only(federation: bool) -> strawberry.Schema:
    """The API's schema, but every field completed by graphql-core."""
    if federation:
        return federated_schema([])
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(ENTITY_TYPES.values()),
    )


@pytest.mark.parametrize("federation", [False, True], ids=["plain-schema", "federated-schema"])
@pytest.mark.parametrize("name", list(QUERIES))
async def test_the_direct_path_answers_as_graphql_core(
    seeded: GraphStore, settings: Settings, name: str, federation: bool
) -> None:
    query, variables = QUERIES[name]
    chosen = settings.model_copy(update={"graphql_federation": federation})
    answers = []
    for schema in (build_schema(chosen), _graphql_core_only(federation)):
        result = await schema.execute(
            query, variable_values=variables, context_value=Context(seeded, chosen, None)
        )
        answers.append((result.data, [e.formatted for e in result.errors or ()]))
    assert answers[0] == answers[1]
    data, errors = answers[0]
    assert not errors
    assert data
    assert any(value for value in data.values())  # something was answered, not only nulls


class _CountingContext(PlainFieldsExecutionContext):
    """Counts the fields graphql-core executes one by one (each gets a resolve info)."""

    executed = 0

    def build_resolve_info(self, *args: Any, **kwargs: Any) -> Any:
        type(self).executed += 1
        return super().build_resolve_info(*args, **kwargs)


async def test_plain_objects_are_not_executed_field_by_field(
    seeded: GraphStore, settings: Settings
) -> None:
    schema = strawberry.Schema(
        query=Query, types=list(ENTITY_TYPES.values()), execution_context_class=_CountingContext
    )
    query = """{ entity(id: "russia") { name relations {
        type date subject { id name } object { id name } evidence { text } } } }"""
    _CountingContext.executed = 0
    result = await schema.execute(query, context_value=Context(seeded, settings, None))
    assert not result.errors
    assert result.data
    relations = result.data["entity"]["relations"]
    assert len(relations) >= 5
    # entity, name and relations: the relations' own fields (about 10 each) are not counted.
    assert _CountingContext.executed == 3


async def test_an_entity_at_many_places_is_answered_alike_and_apart_at_each(
    seeded: GraphStore, settings: Settings
) -> None:
    # Russia is an end of each of its relations: its answer is made once, copied to each place.
    query = '{ entity(id: "russia") { relations { subject { id name } object { id name } } } }'
    result = await build_schema(settings).execute(
        query, context_value=Context(seeded, settings, None)
    )
    assert not result.errors
    assert result.data
    ends = [
        end
        for relation in result.data["entity"]["relations"]
        for end in (relation["subject"], relation["object"])
        if end["id"] == "russia"
    ]
    assert len(ends) >= 5
    assert all(end == {"id": "russia", "name": ends[0]["name"]} for end in ends)
    assert len({id(end) for end in ends}) == len(ends)  # no two places share one object


_LEAF_VALUES: list[Any] = [
    "text", "", 0, 7, -(2**31), 2**31 - 1, 2**31, -(2**31) - 1, 1.5, float("nan"),
    float("inf"), True, False, "12", "x1",
]  # fmt: skip


@pytest.mark.parametrize(
    "type_name", ["String", "ID", "Int", "Float", "Boolean", "Status", "RelationType"]
)
@pytest.mark.parametrize("required", [True, False], ids=["non-null", "nullable"])
def test_a_leaf_answers_what_graphql_cores_serializer_answers(
    type_name: str, required: bool
) -> None:
    leaf_type = build_schema()._schema.get_type(type_name)
    assert isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType)
    complete = _leaf(leaf_type, required)
    members = [*Status, *RelationType]
    values = [*_LEAF_VALUES, *members, *(m.value for m in members), None]
    for value in values:
        try:
            expected: Any = leaf_type.serialize(value) if value is not None else None
        except Exception:  # any refusal: the direct path must not answer either
            expected = _Fallback
        if value is None and required:
            expected = _Fallback
        try:
            answered: Any = complete(value)
        except _Fallback:
            answered = _Fallback
        assert (answered, type(answered)) == (expected, type(expected)), f"{type_name} {value!r}"


@pytest.mark.parametrize("path", ["relation..date", "relation.class", "relation.date-text", ""])
def test_a_read_fields_path_must_be_attribute_names_joined_by_dots(path: str) -> None:
    with pytest.raises(ValueError, match="attribute names joined by dots"):
        read_field(path)


@pytest.mark.parametrize("option", ["extensions", "permission_classes", "resolver"])
def test_a_read_field_refuses_what_its_plans_would_skip(option: str) -> None:
    with pytest.raises(ValueError, match=f"no {option}"):
        read_field("relation.date", **{option: []})


def test_a_conversion_that_fails_is_reported_where_graphql_core_reports_it() -> None:
    kim = domain.Entity("kim-jong-un", "Person", "Kim Jong Un")
    kozlov = domain.Entity("alexander-kozlov", "Person", "Alexander Kozlov")
    met = domain.Relation("MET_WITH", kozlov.id, kim.id, "reported", (), date="2024-11-18")
    unknown = dataclasses.replace(met, type="NOT_IN_THE_ONTOLOGY")

    @strawberry.type
    class Relations:
        @strawberry.field
        def relations(self) -> list[Relation]:
            return [Relation.between(r, kozlov, kim) for r in (met, unknown)]

    answers = []
    for context in (PlainFieldsExecutionContext, None):
        schema = strawberry.Schema(
            query=Relations, types=list(ENTITY_TYPES.values()), execution_context_class=context
        )
        result = schema.execute_sync("{ relations { date type } }")
        answers.append((result.data, [e.formatted for e in result.errors or ()]))
    assert answers[0] == answers[1]
    data, errors = answers[0]
    assert data is None  # a non-null type that cannot be answered nulls the list
    assert [e["path"] for e in errors] == [["relations", 1, "type"]]
