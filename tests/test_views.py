"""The API's views, made without `__init__` (kg.domain.filled), are the objects `__init__`
makes: the same fields, and no field left unset; a relation's view reads its domain object."""

from __future__ import annotations

import dataclasses
from typing import Any

from strawberry.types import get_object_definition

from kg import domain
from kg.api.types import Relation, RelationType, Status, entity_view
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


def test_a_relation_view_holds_its_domain_relation_and_the_views_of_its_ends() -> None:
    view = Relation.between(MET, KOZLOV, KIM)
    assert view.relation is MET
    assert (view.subject, view.object) == (entity_view(KOZLOV), entity_view(KIM))
    assert_made_as_init_makes(view)


def test_a_relation_view_answers_its_fields_from_the_domain_relation() -> None:
    view = Relation.between(MET, KOZLOV, KIM)
    fields = {f.python_name: f for f in get_object_definition(Relation, strict=True).fields}

    def answer(name: str) -> Any:  # as graphql-core answers it: the field's resolver
        resolver = fields[name].base_resolver
        assert resolver is not None
        return resolver.wrapped_func(view)

    names = ("key", "type", "status", "date", "date_text", "quantity", "role", "as_")
    answered = {name: answer(name) for name in names}
    assert answered == {
        "key": MET.key,
        "type": RelationType.MET_WITH,
        "status": Status.reported,
        "date": "2024-11-18",
        "date_text": "on Monday",
        "quantity": 2.0,
        "role": MET.role,
        "as_": "a label",
    }
    assert answered["type"] is RelationType.MET_WITH  # members, not the stored strings
    assert answered["status"] is Status.reported
    evidence = answer("evidence")
    assert evidence is MET.evidence  # the GraphQL Evidence type is answered from these
    assert [e.start for e in evidence] == [10, 20]


def test_entities_that_differ_in_any_field_get_views_of_their_own() -> None:
    renamed = dataclasses.replace(KOZLOV, name="A. Kozlov")
    assert hash(renamed) == hash(KOZLOV)  # hashed by id
    assert entity_view(renamed).name == "A. Kozlov"
    assert entity_view(KOZLOV).name == "Alexander Kozlov"
