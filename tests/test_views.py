"""The API's views, made without `__init__` (kg.domain.filled), are the objects `__init__`
makes: the same fields, and no field left unset."""

from __future__ import annotations

import dataclasses
from typing import Any

from kg import domain
from kg.api.types import Evidence, Relation, entity_view
from kg.store.records import relation_from
from tests.test_records import whole_relation_props

KOZLOV = domain.Entity(
    "alexander-kozlov", "Person", "Alexander Kozlov", ("Kozlov",), "Q1", "minister"
)
KIM = domain.Entity("kim-jong-un", "Person", "Kim Jong Un")
MET = relation_from("MET_WITH", KOZLOV.id, KIM.id, whole_relation_props())


def assert_made_as_init_makes(view: Any) -> None:
    made_by_init = type(view)(**vars(view))
    assert vars(made_by_init) == vars(view)
    assert set(vars(view)) == {field.name for field in dataclasses.fields(view) if field.init}


def test_an_entity_view_is_the_one_its_constructor_makes() -> None:
    view = entity_view(KOZLOV)
    assert type(view).__name__ == "Person"
    assert (view.id, view.name, view.aliases) == (
        "alexander-kozlov",
        "Alexander Kozlov",
        ["Kozlov"],
    )
    assert_made_as_init_makes(view)


def test_a_relation_view_and_its_evidence_are_the_ones_their_constructors_make() -> None:
    view = Relation.between(MET, KOZLOV, KIM)
    assert (view.key, view.date, view.subject.name, view.object.name) == (
        MET.key,
        "2024-11-18",
        "Alexander Kozlov",
        "Kim Jong Un",
    )
    assert_made_as_init_makes(view)
    for evidence in view.evidence:
        assert isinstance(evidence, Evidence)
        assert_made_as_init_makes(evidence)
    assert [e.start for e in view.evidence] == [10, 20]


def test_entities_that_differ_in_any_field_get_views_of_their_own() -> None:
    renamed = dataclasses.replace(KOZLOV, name="A. Kozlov")
    assert hash(renamed) == hash(KOZLOV)  # hashed by id
    assert entity_view(renamed).name == "A. Kozlov"
    assert entity_view(KOZLOV).name == "Alexander Kozlov"
