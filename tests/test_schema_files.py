"""schema/ is the one source of truth: the code, the exports and the contracts agree with it."""

from __future__ import annotations

import json

from kg.api.exports import schema_exports
from kg.ontology import entity_types, relation_types, statuses
from kg.resources import schema_file


def test_exported_graphql_sdl_and_constraints_match_the_code() -> None:
    for path, text in schema_exports().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} has drifted from the code: run `kg export-schema`"
        )


def test_interchange_schema_enums_are_the_ontology() -> None:
    contract = json.loads(schema_file("article-graph.schema.json").read_text(encoding="utf-8"))
    entity = contract["properties"]["entities"]["items"]["properties"]
    relation = contract["properties"]["relations"]["items"]["properties"]
    assert entity["type"]["enum"] == entity_types()
    assert relation["type"]["enum"] == relation_types()
    assert relation["status"]["enum"] == statuses()


def test_graphql_enums_list_every_ontology_member() -> None:
    sdl = schema_file("schema.graphql").read_text(encoding="utf-8")
    for name in [*entity_types(), *relation_types(), *statuses()]:
        assert f"  {name}\n" in sdl, name


def test_every_entity_label_is_a_graphql_type_implementing_entity() -> None:
    sdl = schema_file("schema.graphql").read_text(encoding="utf-8")
    for label in entity_types():
        assert f"type {label} implements Entity & Node {{" in sdl


def test_ontology_md_names_every_type_of_the_ontology() -> None:
    prose = schema_file("ONTOLOGY.md").read_text(encoding="utf-8")
    for name in [*entity_types(), *relation_types()]:
        assert f"| {name} |" in prose, name
