"""A relation read reads what the query's selection needs (kg.api.projection), and a narrow
read answers those fields exactly as a whole one.

The answers come from the seed graph through the real API and store; the comparisons are
between two selections of the same question, so neither side is a hard-coded result.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType
from strawberry.types.nodes import FragmentSpread, SelectedField

from kg.api.context import Loaders
from kg.api.projection import (
    ENTITY_READS,
    EVIDENCE_READS,
    RELATION_ENDS,
    RELATION_READS,
    path_projection,
    relation_projection,
)
from kg.api.schema import build_schema
from kg.store import GraphStore, Projection, RelationFilter
from kg.store.filters import EVERYTHING
from tests.conftest import graphql

TREATY = "russia-north-korea-strategic-partnership-treaty"


def field(name: str, *selections: Any) -> SelectedField:
    return SelectedField(name=name, directives={}, arguments={}, selections=list(selections))


def test_the_tables_know_every_field_of_relation_evidence_and_entity() -> None:
    schema = build_schema()._schema
    relation = schema.get_type("Relation")
    evidence = schema.get_type("Evidence")
    entity = schema.get_type("Entity")
    assert isinstance(relation, GraphQLObjectType)
    assert isinstance(evidence, GraphQLObjectType)
    assert isinstance(entity, GraphQLInterfaceType)
    assert set(relation.fields) == {*RELATION_READS, *RELATION_ENDS, "evidence"} - {"__typename"}
    assert set(evidence.fields) == set(EVIDENCE_READS) - {"__typename"}
    assert set(entity.fields) == set(ENTITY_READS) - {"__typename"}


def test_every_stored_property_is_read_by_some_field() -> None:
    # With test_a_narrow_selection_answers_as_the_whole_read: a field mapped to another
    # field's property answers differently from the whole read.
    by_fields = {p for reads in (*RELATION_READS.values(), *EVIDENCE_READS.values()) for p in reads}
    assert Projection.of(by_fields, set()).relation == EVERYTHING.relation
    assert Projection.of(set(), {p for reads in ENTITY_READS.values() for p in reads}).whole_ends


def test_names_of_the_ends_and_evidence_texts_read_only_those() -> None:
    chosen = relation_projection(
        [
            field("type"),
            field("date"),
            field("subject", field("id"), field("name")),
            field("evidence", field("text")),
        ]
    )
    assert chosen.relation == {"status", "date", "evidence_texts"}
    assert chosen.ends == {"id", "type", "name"}
    assert not chosen.whole_ends


def test_fields_inside_fragments_are_read() -> None:
    spread = FragmentSpread(
        name="Qualifiers",
        type_condition="Relation",
        directives={},
        selections=[field("place"), field("object", field("aliases"))],
    )
    chosen = relation_projection([field("key"), spread])
    assert {"place"} <= chosen.relation
    assert "aliases" in chosen.ends


def test_a_field_the_tables_do_not_know_reads_everything() -> None:
    assert relation_projection([field("key"), field("somethingNew")]) == EVERYTHING
    assert relation_projection([field("subject", field("somethingNew"))]) == EVERYTHING


def test_a_path_ignores_the_fields_of_its_other_outcomes() -> None:
    on_path = FragmentSpread(
        name="P", type_condition="Path", directives={}, selections=[field("length")]
    )
    on_no_path = FragmentSpread(
        name="N", type_condition="NoPath", directives={}, selections=[field("message")]
    )
    chosen = path_projection([field("__typename"), on_path, on_no_path])
    assert chosen != EVERYTHING
    assert chosen.relation == {"status"}


@pytest.mark.parametrize(
    ("relation", "ends"),
    [({"key", "status", "sentence"}, {"id", "type", "name"}), ({"key"}, {"id", "type", "name"})],
    ids=["unknown property", "without status"],
)
def test_a_projection_refuses_unknown_or_missing_properties(
    relation: set[str], ends: set[str]
) -> None:
    with pytest.raises(ValueError, match="projection"):
        Projection(frozenset(relation), frozenset(ends))


async def test_a_narrow_read_leaves_out_what_was_not_asked(seeded: GraphStore) -> None:
    narrow = Projection.of({"evidence_texts"}, set())
    found = await seeded.relations([TREATY], RelationFilter(projection=narrow))
    relations = found[TREATY]
    assert relations
    others = {
        end.id: end for item in relations for end in (item.subject, item.object) if end.id != TREATY
    }
    stored = await seeded.entities(sorted(others))
    assert any(entity and entity.aliases for entity in stored.values())
    assert all(end.aliases == () for end in others.values())  # stored, but not read
    assert all(e.text and e.start is None for item in relations for e in item.relation.evidence)
    assert any(item.relation.evidence for item in relations)


async def test_a_relations_key_is_read_only_when_asked_for(seeded: GraphStore) -> None:
    without = await seeded.relations(
        [TREATY], RelationFilter(projection=Projection.of(set(), set()))
    )
    keyed = Projection.of({"key"}, set())
    with_key = await seeded.relations([TREATY], RelationFilter(projection=keyed))
    assert without[TREATY]
    assert all(item.relation.key == "" for item in without[TREATY])
    keys = [item.relation.key for item in with_key[TREATY]]
    assert all(
        key.startswith(f"{item.relation.type}|")
        for key, item in zip(keys, with_key[TREATY], strict=True)
    )
    assert len(set(keys)) == len(keys)


async def test_ends_read_in_part_are_not_taken_for_the_entities(seeded: GraphStore) -> None:
    narrow = Projection.of(set(), set())
    loaders = Loaders(seeded)
    found = await seeded.relations([TREATY], RelationFilter(projection=narrow))
    loaders.prime_ends(found[TREATY], narrow)
    treaty = await loaders.entity.load(TREATY)
    assert treaty is not None
    assert {"defense pact", "the deal"} <= set(treaty.aliases)


WIDE_RELATION = """key type status date dateText quantity quantityQualifier claim as role topics
  confidence place { id } attributedTo { id } sources { id }
  subject { id type name aliases wikidata description }
  object { id type name aliases wikidata description }
  evidence { text start end sentenceIndex article { id } }"""


def _only(value: Any, shape: Any) -> Any:
    """`value` cut down to the keys of `shape` (a narrow answer), at every depth."""
    if isinstance(shape, dict):
        return {key: _only(value[key], shape[key]) for key in shape}
    if isinstance(shape, list):
        return [_only(v, s) for v, s in zip(value, shape, strict=True)]
    return value


@pytest.mark.parametrize(
    ("question", "narrow"),
    [
        (
            'entity(id: "kim-jong-un") { relations(first: 50) { %s } }',
            "type date subject { id name } object { name aliases } evidence { text }",
        ),
        (
            'timeline(entity: "kim-jong-un") { %s }',
            "type subject { id } evidence { start end } place { id }",
        ),
        (
            'entity(id: "russia") { relationsConnection(first: 5) { edges { node { %s } } } }',
            "key object { description wikidata } topics",
        ),
        (
            'path(from: "vladimir-putin", to: "alexander-kozlov") { ... on Path {'
            " entities { id name aliases } relations { %s } } }",
            "type subject { id } evidence { sentenceIndex }",
        ),
    ],
    ids=["relations", "timeline", "connection", "path"],
)
async def test_a_narrow_selection_answers_as_the_whole_read(
    seeded: GraphStore, client: httpx.AsyncClient, question: str, narrow: str
) -> None:
    answers = []
    for selection in (narrow, WIDE_RELATION):
        body = await graphql(client, "{ " + question % selection + " }")
        assert "errors" not in body, body
        answers.append(body["data"])
    narrow_answer, wide_answer = answers
    assert narrow_answer == _only(wide_answer, narrow_answer)
    assert str(narrow_answer).count("'") > 10  # something was answered
