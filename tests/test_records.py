"""The store's maps become domain objects equal, field for field, to those `__init__` makes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kg.domain import Entity, Evidence, Relation
from kg.store import EntityRelation, GraphStore, RelationFilter
from kg.store.records import entity_from, relation_from

KEY = "MET_WITH|alexander-kozlov|kim-jong-un|2024-11-18"
KIM = "kim-jong-un"
TEXT = "Kozlov met Kim Jong Un on Monday."


def whole_relation_props() -> dict[str, Any]:
    return {
        "key": KEY,
        "status": "reported",
        "attributed_to": ["kcna"],
        "date": "2024-11-18",
        "date_text": "on Monday",
        "place": "pyongyang",
        "quantity": 2.0,
        "quantity_qualifier": "about",
        "topics": ["trade"],
        "claim": "a claim",
        "as": "a label",
        "role": "minister",
        "confidence": 0.9,
        "sources": ["article-1", "article-2"],
        "evidence_texts": [TEXT, TEXT],
        "evidence_starts": [10, 20],
        "evidence_ends": [43, 53],
        "evidence_articles": ["article-1", "article-2"],
        "evidence_sentences": [0, 3],
    }


def assert_same(made: Any, expected: Any) -> None:
    """Equal, and holding exactly the dataclass's fields (no more, none missing)."""
    assert made == expected
    assert type(made) is type(expected)
    assert set(vars(made)) == {f.name for f in dataclasses.fields(expected)}


def test_an_entity_read_whole_equals_the_one_its_constructor_makes() -> None:
    props = {
        "id": "kim-jong-un",
        "type": "Person",
        "name": "Kim Jong Un",
        "aliases": ["Kim"],
        "wikidata": "Q56226",
        "description": "leader",
    }
    made = entity_from(props)
    assert_same(made, Entity("kim-jong-un", "Person", "Kim Jong Un", ("Kim",), "Q56226", "leader"))
    assert hash(made) == hash(
        Entity("kim-jong-un", "Person", "Kim Jong Un", ("Kim",), "Q56226", "leader")
    )


def test_an_entity_read_in_part_has_its_unread_fields_empty() -> None:
    made = entity_from({"id": "kcna", "type": "MediaOutlet", "name": "KCNA"})
    assert_same(made, Entity("kcna", "MediaOutlet", "KCNA"))


def test_a_relation_read_whole_equals_the_one_its_constructor_makes() -> None:
    made = relation_from("MET_WITH", "alexander-kozlov", "kim-jong-un", whole_relation_props())
    expected = Relation(
        type="MET_WITH",
        subject="alexander-kozlov",
        object="kim-jong-un",
        status="reported",
        evidence=(
            Evidence(TEXT, 10, 43, "article-1", 0),
            Evidence(TEXT, 20, 53, "article-2", 3),
        ),
        attributed_to=("kcna",),
        date="2024-11-18",
        date_text="on Monday",
        place="pyongyang",
        quantity=2.0,
        quantity_qualifier="about",
        topics=("trade",),
        claim="a claim",
        as_="a label",
        role="minister",
        confidence=0.9,
        sources=("article-1", "article-2"),
        key=KEY,
    )
    assert_same(made, expected)
    for got, want in zip(made.evidence, expected.evidence, strict=True):
        assert_same(got, want)


def test_a_relation_read_in_part_has_its_unread_fields_empty() -> None:
    props = {"key": KEY, "status": "reported", "evidence_texts": [TEXT]}
    made = relation_from("MET_WITH", "alexander-kozlov", "kim-jong-un", props)
    expected = Relation(
        "MET_WITH", "alexander-kozlov", "kim-jong-un", "reported", (Evidence(TEXT),), key=KEY
    )
    assert_same(made, expected)
    assert_same(made.evidence[0], Evidence(TEXT))


def test_a_relation_without_evidence_has_none() -> None:
    made = relation_from("MET_WITH", "a", "b", {"key": KEY, "status": "reported"})
    assert_same(made, Relation("MET_WITH", "a", "b", "reported", (), key=KEY))


def test_evidence_lists_of_different_lengths_are_refused_by_the_relations_key() -> None:
    props = {**whole_relation_props(), "evidence_starts": [10]}
    with pytest.raises(ValueError, match="evidence lists differ in length: MET_WITH"):
        relation_from("MET_WITH", "alexander-kozlov", "kim-jong-un", props)


async def test_relations_read_from_the_store_are_the_ones_their_constructor_makes(
    seeded: GraphStore,
) -> None:
    own = (await seeded.relations([KIM], RelationFilter()))[KIM]  # the entity's own maps
    timeline = await seeded.timeline(KIM, RelationFilter(), 100)  # maps with both ends
    assert own
    assert timeline
    for item in [*own, *timeline]:
        made = EntityRelation(item.entity_id, item.relation, item.subject, item.object)
        assert_same(item, made)
        assert_same(item.relation, dataclasses.replace(item.relation))
