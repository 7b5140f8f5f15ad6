"""Writing articles into the real Neo4j: idempotent, merged across articles, all or nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from neo4j import AsyncDriver

from kg.config import Settings
from kg.errors import InvalidDocument, StoreError
from kg.store import GraphStore, RelationFilter
from loaders.extract import CuratedExtractor
from loaders.pipeline import build_article_graph, load_article
from tests.conftest import FIXTURES, SEED, SEED_ID

SECOND = FIXTURES / "second_article.json"
SECOND_ID = "2024-11-20-russian-minister-wraps-up-pyongyang-visit"
MET = "MET_WITH|alexander-kozlov|kim-jong-un|2024-11-18"


def second_document() -> dict[str, Any]:
    """The second article's facts: the same meeting, said the other way round, and the signing."""
    people = [
        {
            "id": "kim-jong-un",
            "type": "Person",
            "name": "Kim Jong Un",
            "aliases": ["North Korean leader Kim Jong Un"],
        },
        {"id": "alexander-kozlov", "type": "Person", "name": "Alexander Kozlov"},
        {"id": "vladimir-putin", "type": "Person", "name": "Vladimir Putin"},
        {
            "id": "russia-north-korea-strategic-partnership-treaty",
            "type": "Treaty",
            "name": "Russia–North Korea Strategic Partnership Treaty",
            "aliases": ["the pact"],
        },
    ]
    met = (
        "Russian Natural Resources Minister Alexander Kozlov met North Korean leader Kim Jong "
        "Un on Monday, North Korean state media said."
    )
    signed = "Kim Jong Un and Vladimir Putin signed the pact in June."
    return {
        "article": {"id": SECOND_ID, "title": "Russian minister wraps up Pyongyang visit"},
        "entities": people,
        "relations": [
            {
                "type": "MET_WITH",
                "subject": "kim-jong-un",
                "object": "alexander-kozlov",
                "status": "reported",
                "date": "2024-11-18",
                "date_text": "on Monday",
                "evidence": {"text": met},
            },
            {
                "type": "SIGNED",
                "subject": "vladimir-putin",
                "object": "russia-north-korea-strategic-partnership-treaty",
                "status": "reported",
                "date": "2024-06",
                "date_text": "in June",
                "evidence": {"text": signed},
            },
        ],
    }


async def load_seed(store: GraphStore, extractor: CuratedExtractor) -> None:
    await load_article(store, SEED.read_bytes(), str(SEED), extractor)


async def test_seed_loads_its_curated_entities_relations_and_sentences(
    seeded: GraphStore,
) -> None:
    counts = await seeded.counts()
    assert counts["Entity"] == 22
    assert counts["Article"] == 1
    assert counts["Sentence"] == 29
    assert counts["HAS_SENTENCE"] == 29
    relation_total = sum(counts.get(t, 0) for t in ("MET_WITH", "SIGNED", "RATIFIED", "ACCUSED"))
    assert relation_total == 1 + 2 + 2 + 4


async def test_loading_the_same_article_twice_changes_nothing(
    seeded: GraphStore, extractor: CuratedExtractor
) -> None:
    before = await seeded.dump()
    await load_seed(seeded, extractor)
    assert await seeded.dump() == before


async def test_article_node_keeps_text_and_its_sha256(seeded: GraphStore) -> None:
    article = (await seeded.articles_by_id([SEED_ID]))[SEED_ID]
    assert article.text == SEED.read_text(encoding="utf-8")
    assert (
        article.content_sha256 == "430fb41ac199a665de2e163607ee9f3535f04ae0a21b02cdba348b0b71336457"
    )
    assert article.source == "The Moscow Times"


async def test_sentences_slice_the_stored_text_and_flag_the_appeal(seeded: GraphStore) -> None:
    article = (await seeded.articles_by_id([SEED_ID]))[SEED_ID]
    sentences = (await seeded.sentences([SEED_ID]))[SEED_ID]
    assert all(article.text[s.start : s.end] == s.text for s in sentences)
    appeal = next(s for s in sentences if s.text == "A Message from The Moscow Times:")
    assert all(s.boilerplate == (s.index >= appeal.index) for s in sentences)


async def test_sentences_mention_the_entities_they_name(seeded: GraphStore) -> None:
    rows = await seeded._read(
        "MATCH (s:Sentence {index: 0})-[:MENTIONS]->(e:Entity) RETURN collect(e.id) AS ids"
    )
    assert {"kim-jong-un", "alexander-kozlov", "pyongyang", "russia"} <= set(rows[0]["ids"])


async def test_a_fact_stated_by_two_articles_is_one_relation_with_two_sources(
    seeded: GraphStore, extractor: CuratedExtractor
) -> None:
    await load_article(seeded, SECOND.read_bytes(), str(SECOND), extractor, second_document())
    found = await seeded.relations(["kim-jong-un"], RelationFilter(types=("MET_WITH",)))
    meetings = [item.relation for item in found["kim-jong-un"]]
    assert [m.key for m in meetings] == [MET]
    assert set(meetings[0].sources) == {SEED_ID, SECOND_ID}
    assert {e.article_id for e in meetings[0].evidence} == {SEED_ID, SECOND_ID}
    assert len(meetings[0].evidence) == 3  # two sentences of the seed, one of the second


async def test_entities_merge_across_articles_and_gather_aliases(
    seeded: GraphStore, extractor: CuratedExtractor
) -> None:
    await load_article(seeded, SECOND.read_bytes(), str(SECOND), extractor, second_document())
    counts = await seeded.counts()
    assert counts["Person"] == 3
    kim = (await seeded.entities(["kim-jong-un"]))["kim-jong-un"]
    assert {"Kim", "North Korean leader", "North Korean leader Kim Jong Un"} <= set(kim.aliases)
    assert kim.wikidata == "Q56226"


async def test_reloading_an_article_without_a_fact_drops_only_its_evidence(
    seeded: GraphStore, extractor: CuratedExtractor
) -> None:
    document = second_document()
    await load_article(seeded, SECOND.read_bytes(), str(SECOND), extractor, document)
    only_signing = copy.deepcopy(document)
    only_signing["relations"] = only_signing["relations"][1:]
    await load_article(seeded, SECOND.read_bytes(), str(SECOND), extractor, only_signing)
    found = await seeded.relations(["kim-jong-un"], RelationFilter(types=("MET_WITH",)))
    assert found["kim-jong-un"][0].relation.sources == (SEED_ID,)


async def test_a_relation_left_without_sources_is_deleted(
    store: GraphStore, extractor: CuratedExtractor
) -> None:
    document = second_document()
    await load_article(store, SECOND.read_bytes(), str(SECOND), extractor, document)
    document["relations"] = []
    await load_article(store, SECOND.read_bytes(), str(SECOND), extractor, document)
    assert (await store.counts()).get("MET_WITH", 0) == 0


async def test_a_bad_document_writes_nothing(
    seeded: GraphStore, extractor: CuratedExtractor
) -> None:
    before = await seeded.dump()
    document = second_document()
    document["relations"][0]["object"] = "nobody"
    with pytest.raises(InvalidDocument, match="object 'nobody' is not an entity"):
        await load_article(seeded, SECOND.read_bytes(), str(SECOND), extractor, document)
    assert await seeded.dump() == before


async def test_an_entity_id_with_another_type_in_the_graph_is_refused_whole(
    seeded: GraphStore, extractor: CuratedExtractor
) -> None:
    before = await seeded.dump()
    document = second_document()
    document["entities"][0]["type"] = "Country"  # kim-jong-un is a Person in the graph
    document["relations"] = document["relations"][1:]
    with pytest.raises(InvalidDocument, match="'kim-jong-un' is a Person in the graph"):
        await load_article(seeded, SECOND.read_bytes(), str(SECOND), extractor, document)
    assert await seeded.dump() == before


async def test_injection_strings_in_names_are_stored_as_data(
    store: GraphStore, extractor: CuratedExtractor
) -> None:
    document = second_document()
    hostile = "x'}) MATCH (n) DETACH DELETE n //"
    document["entities"][2]["name"] = hostile
    await load_article(store, SECOND.read_bytes(), str(SECOND), extractor, document)
    putin = (await store.entities(["vladimir-putin"]))["vladimir-putin"]
    assert putin.name == hostile
    assert (await store.counts())["Entity"] == 4


async def test_an_entitys_relations_point_the_way_the_article_states_them(
    seeded: GraphStore,
) -> None:
    # The article's read names both ends of each relation; an entity's read names only the
    # other end and which way the relation points. Both must give the same facts.
    stated = {
        (item.relation.key, item.subject.id, item.object.id)
        for item in (await seeded.article_relations([SEED_ID]))[SEED_ID]
    }
    ends = {end for _, subject, object_ in stated for end in (subject, object_)}
    found = await seeded.entities_with_relations(sorted(ends), RelationFilter(), 1000)
    seen = set()
    for entity_id, (entity, relations) in found.items():
        assert entity.id == entity_id
        for item in relations:
            assert entity_id in {item.subject.id, item.object.id}
            assert (item.relation.subject, item.relation.object) == (
                item.subject.id,
                item.object.id,
            )
            seen.add((item.relation.key, item.subject.id, item.object.id))
    assert seen == stated
    assert len(stated) > 10


async def test_constraints_and_the_full_text_index_exist(store: GraphStore) -> None:
    rows = await store._read("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names")
    names = set(rows[0]["names"])
    assert {"entity_id", "person_id", "article_id", "sentence_id", "met_with_key"} <= names
    rows = await store._read("SHOW INDEXES YIELD name, type WHERE type = 'FULLTEXT' RETURN name")
    assert [r["name"] for r in rows] == ["entity_names"]


async def test_applying_the_schema_twice_is_harmless(store: GraphStore) -> None:
    await store.apply_schema()
    rows = await store._read("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n")
    assert rows[0]["n"] == 9 + 1 + 2 + 20


async def test_search_finds_entities_by_alias_and_type(seeded: GraphStore) -> None:
    found = await seeded.search("KCNA", [], 5)
    assert found[0].id == "korean-central-news-agency"
    treaties = await seeded.search("defense pact", ["Treaty"], 5)
    assert [t.id for t in treaties] == ["russia-north-korea-strategic-partnership-treaty"]


async def test_search_text_with_lucene_syntax_is_taken_literally(seeded: GraphStore) -> None:
    # Unescaped, the parenthesis and the lone quote would be Lucene syntax errors in Neo4j.
    found = await seeded.search('Kozlov) ("', [], 5)
    assert found[0].id == "alexander-kozlov"


def test_the_graph_is_built_whole_before_anything_is_written(
    extractor: CuratedExtractor,
) -> None:
    graph, used = build_article_graph(SEED.read_bytes(), str(SEED), extractor)
    assert used == "curated"
    assert graph.article.id == SEED_ID
    assert (len(graph.entities), len(graph.relations)) == (22, 35)
    assert (0, "kim-jong-un") in graph.mentions


async def test_a_read_statement_cannot_write(store: GraphStore) -> None:
    # Reads run in sessions of read access mode: Neo4j itself refuses a write there.
    with pytest.raises(StoreError, match="AccessMode"):
        await store._read("CREATE (:ReadOnlyProbe) RETURN 1 AS created")
    assert await store._read("MATCH (n:ReadOnlyProbe) RETURN count(n) AS n") == [{"n": 0}]


async def test_counts_name_labels_and_types_kg_does_not_know_as_they_are(
    store: GraphStore, driver: AsyncDriver, settings: Settings
) -> None:
    # Made by someone else, in Neo4j Browser say: names that need quoting in Cypher.
    await driver.execute_query(
        "CREATE (:`Odd label`)-[:`has ``ticks`` in it`]->(:`Odd label`), (:Other)",
        database_=settings.neo4j_database,
    )
    assert await store.counts() == {"Odd label": 2, "Other": 1, "has `ticks` in it": 1}
