"""schema/gazetteer.json: loads, agrees with the seed annotation and the ontology, is unambiguous.

Pure: reads files only, needs no Neo4j.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from kg.ontology import relation_rules
from kg.resources import schema_file
from loaders.gazetteer import Gazetteer

ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS = sorted((ROOT / "data" / "annotations").glob("*.json"))

SEED_IDS_REQUIRED = {
    "kim-jong-un",
    "vladimir-putin",
    "alexander-kozlov",
    "north-korea",
    "russia",
    "united-states",
    "south-korea",
    "ukraine",
    "pyongyang",
    "korean-central-news-agency",
    "the-moscow-times",
    "federal-assembly-of-russia",
}

AMBIGUOUS_FORMS: dict[str, str] = {}
"""Surface forms deliberately claimed by more than one entry, each with the reason. None yet."""

PERSON_RELATIONS = {"LEADER_OF", "OFFICIAL_OF", "HEADS"}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_file(schema_file("gazetteer.json"))


@pytest.fixture(scope="module")
def raw_entities() -> list[dict[str, object]]:
    data = json.loads(schema_file("gazetteer.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    return list(data["entities"])


def _seed_entities() -> list[dict[str, object]]:
    entities: list[dict[str, object]] = []
    for path in ANNOTATIONS:
        entities.extend(json.loads(path.read_text(encoding="utf-8"))["entities"])
    return entities


def test_the_file_loads_and_is_big_enough(gazetteer: Gazetteer) -> None:
    types = [entry.type for entry in gazetteer.entries.values()]
    assert len(types) >= 250
    assert types.count("Country") >= 60


def test_entries_omit_empty_keys_and_know_no_other(raw_entities: list[dict[str, object]]) -> None:
    known = {
        "id",
        "type",
        "name",
        "aliases",
        "wikidata",
        "description",
        "country",
        "office",
        "office_relation",
        "demonyms",
        "capital",
    }
    for raw in raw_entities:
        assert set(raw) <= known, raw["id"]
        assert all(value not in (None, "", []) for value in raw.values()), raw["id"]


def test_seed_annotation_ids_keep_their_type_and_name(gazetteer: Gazetteer) -> None:
    seed = _seed_entities()
    assert seed, "no curated annotation found"
    assert {entity["id"] for entity in seed} >= SEED_IDS_REQUIRED
    for entity in seed:
        entry = gazetteer.get(str(entity["id"]))
        if entry is None:
            assert entity["id"] not in SEED_IDS_REQUIRED, entity["id"]
            continue
        assert (entry.type, entry.name) == (entity["type"], entity["name"]), entity["id"]
        if entity.get("wikidata"):
            assert entry.wikidata == entity["wikidata"], entity["id"]


def test_no_surface_form_names_two_entries(gazetteer: Gazetteer) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for entry in gazetteer.entries.values():
        for form in (entry.name, *entry.aliases, *entry.demonyms):
            owners[form].add(entry.id)
    shared = {form: ids for form, ids in owners.items() if len(ids) > 1}
    assert set(shared) == set(AMBIGUOUS_FORMS), shared


def test_surface_forms_are_trimmed_and_non_empty(gazetteer: Gazetteer) -> None:
    for entry in gazetteer.entries.values():
        for form in (entry.name, *entry.aliases, *entry.demonyms):
            assert form, entry.id
            assert form == form.strip(), (entry.id, form)
            assert "  " not in form, (entry.id, form)


def test_wikidata_ids_are_qids_and_unique(gazetteer: Gazetteer) -> None:
    qids = [entry.wikidata for entry in gazetteer.entries.values() if entry.wikidata]
    assert all(re.fullmatch(r"Q[0-9]+", qid) for qid in qids)
    assert len(qids) == len(set(qids))


def test_every_country_has_a_demonym_and_a_capital_place(gazetteer: Gazetteer) -> None:
    for entry in gazetteer.entries.values():
        if entry.type != "Country":
            assert not entry.demonyms, entry.id
            assert entry.capital is None, entry.id
            continue
        assert entry.demonyms, entry.id
        assert entry.capital is not None, entry.id
        capital = gazetteer.get(entry.capital)
        assert capital is not None, entry.id
        assert capital.type == "Place", entry.id
        assert capital.country == entry.id, entry.id


def test_every_person_holds_an_office(gazetteer: Gazetteer) -> None:
    for entry in gazetteer.entries.values():
        if entry.type == "Person":
            assert entry.country, entry.id
            assert entry.office, entry.id
            assert entry.office_relation in PERSON_RELATIONS, entry.id
        else:
            assert entry.office is None, entry.id


def test_office_relations_obey_the_ontology(gazetteer: Gazetteer) -> None:
    """The relation goes from the entry to its `country` entry (the body headed, for HEADS)."""
    rules = relation_rules()
    for entry in gazetteer.entries.values():
        target = gazetteer.get(entry.country) if entry.country else None
        if entry.office_relation is None:
            assert target is None or target.type == "Country", entry.id
            continue
        assert target is not None, entry.id
        assert rules[entry.office_relation].allows(entry.type, target.type), entry.id
        if entry.office_relation != "HEADS":
            assert target.type == "Country", entry.id


@pytest.mark.parametrize(
    ("surface", "entity_id"),
    [
        ("Putin", "vladimir-putin"),
        ("Kim", "kim-jong-un"),
        ("DPRK", "north-korea"),
        ("North Korean", "north-korea"),
        ("U.S.", "united-states"),
        ("American", "united-states"),
        ("KCNA", "korean-central-news-agency"),
        ("Kremlin", "kremlin"),
        ("Russian Foreign Ministry", "russian-ministry-of-foreign-affairs"),
        ("Pentagon", "united-states-department-of-defense"),
        ("Moscow", "moscow"),
        ("Kiev", "kyiv"),
        ("Russian troops", "russian-forces"),
        ("Zelenskyy", "volodymyr-zelensky"),
    ],
)
def test_lookup(gazetteer: Gazetteer, surface: str, entity_id: str) -> None:
    entry = gazetteer.lookup(surface)
    assert entry is not None, surface
    assert entry.id == entity_id
