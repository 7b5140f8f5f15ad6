"""The interchange document: validation against the schema and the article, resolution of the
relations, the round trip back to a document, and the pipeline without an annotation.

Pure functions only: none of these tests touches Neo4j.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kg.domain import Article, Entity, Relation
from kg.errors import InvalidDocument
from loaders.document import document_to_graph, graph_to_document, read_document, schema_problems
from loaders.extract import CuratedExtractor
from loaders.parse import read_article
from loaders.pipeline import build_article_graph
from loaders.resolve import find_mentions, merge_relations, resolve_article_graph

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "000_9e847efd11a92494.txt"
SEED_ID = "2024-11-19-kim-jong-un-meets-with-russias-natural-resources-minister-in-pyongyang"
ANNOTATIONS = ROOT / "data" / "annotations"
CURATED = ANNOTATIONS / f"{SEED_ID}.json"
MET_WITH_KEY = "MET_WITH|alexander-kozlov|kim-jong-un|2024-11-18"
INJECTION = "x'}) DETACH DELETE n //"

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def article() -> Article:
    return read_article(SEED)


@pytest.fixture(scope="module")
def curated() -> Doc:
    return read_document(CURATED)


@pytest.fixture(scope="module")
def graph(article: Article, curated: Doc) -> tuple[tuple[Entity, ...], tuple[Relation, ...]]:
    return document_to_graph(curated, article, str(CURATED))


def _broken(curated: Doc, change: Callable[[Doc], object]) -> Doc:
    doc = copy.deepcopy(curated)
    change(doc)
    return doc


def _problems(article: Article, doc: Doc) -> list[str]:
    with pytest.raises(InvalidDocument) as caught:
        document_to_graph(doc, article, "broken.json")
    assert caught.value.source == "broken.json"
    assert str(caught.value).startswith("broken.json: ")
    return caught.value.problems


def _only_problem(article: Article, doc: Doc) -> str:
    problems = _problems(article, doc)
    assert len(problems) == 1, problems
    return problems[0]


def _rename_entity(doc: Doc, old: str, new: str) -> None:
    for entity in doc["entities"]:
        if entity["id"] == old:
            entity["id"] = new
    for relation in doc["relations"]:
        for role in ("subject", "object", "place"):
            if relation.get(role) == old:
                relation[role] = new
        relation["attributed_to"] = [new if a == old else a for a in relation["attributed_to"]]


# --- the curated seed annotation --------------------------------------------------------------


def test_curated_annotation_has_no_schema_problems(curated: Doc) -> None:
    assert schema_problems(curated) == []


def test_curated_annotation_gives_22_entities_and_38_relation_entries(
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    entities, relations = graph
    assert len(entities) == 22
    assert len(relations) == 38
    assert len({e.id for e in entities}) == 22


def test_curated_entities_keep_their_names_and_aliases(
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    kim = next(e for e in graph[0] if e.id == "kim-jong-un")
    assert kim == Entity(
        "kim-jong-un",
        "Person",
        "Kim Jong Un",
        ("Kim", "North Korean leader"),
        "Q56226",
        "Leader of North Korea",
    )


def test_every_evidence_sits_at_its_offsets_with_its_sentence_index(
    article: Article,
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    for relation in graph[1]:
        assert relation.sources == (SEED_ID,)
        (evidence,) = relation.evidence
        assert evidence.start is not None
        assert evidence.end is not None
        assert article.text[evidence.start : evidence.end] == evidence.text
        assert evidence.article_id == SEED_ID
        assert evidence.sentence_index is not None
        sentence = article.sentences[evidence.sentence_index]
        assert sentence.start <= evidence.start < evidence.end <= sentence.end


def test_relation_qualifiers_are_carried_over(
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    met = graph[1][4]
    assert (met.type, met.subject, met.object) == ("MET_WITH", "alexander-kozlov", "kim-jong-un")
    assert met.date == "2024-11-18"
    assert met.date_text == "on Monday"
    assert met.place == "pyongyang"
    assert met.attributed_to == ("korean-central-news-agency",)
    assert met.topics == ("trade", "economy", "science", "technology")
    assert graph[1][35].as_ == "foreign agent"


def test_evidence_without_offsets_is_located_in_the_article(article: Article, curated: Doc) -> None:
    def drop_offsets(doc: Doc) -> None:
        doc["relations"][5]["evidence"] = {"text": doc["relations"][5]["evidence"]["text"]}

    _, relations = document_to_graph(_broken(curated, drop_offsets), article, "no-offsets.json")
    (evidence,) = relations[5].evidence
    assert (evidence.start, evidence.end, evidence.sentence_index) == (428, 638, 1)


# --- resolve ----------------------------------------------------------------------------------


def test_merge_folds_the_two_met_with_entries_into_one_with_both_evidence(
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    merged = merge_relations(graph[1])
    met = [r for r in merged if r.type == "MET_WITH"]
    assert len(met) == 1
    assert [e.sentence_index for e in met[0].evidence] == [0, 1]
    assert met[0].attributed_to == ("korean-central-news-agency",)


def test_merged_met_with_key_is_type_sorted_pair_and_date(
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    merged = merge_relations(graph[1])
    assert [r.key for r in merged if r.type == "MET_WITH"] == [MET_WITH_KEY]


def test_merge_keeps_one_relation_per_identity(
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    merged = merge_relations(graph[1])
    assert len(merged) == 35  # MET_WITH, COOPERATES_WITH and SUPPORTS are each stated twice
    assert len({r.key for r in merged}) == 35
    assert sum(len(r.evidence) for r in merged) == 38


def test_symmetric_relation_given_the_other_way_round_gets_the_same_key(
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    met = graph[1][4]
    reversed_ = replace(met, subject=met.object, object=met.subject)
    (keyed,) = merge_relations((reversed_,))
    assert keyed.key == MET_WITH_KEY
    assert len(merge_relations((met, reversed_))) == 1


def test_directed_relation_given_the_other_way_round_is_another_relation(
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    accusations = merge_relations((graph[1][36], graph[1][37]))
    assert [r.key for r in accusations] == [
        "ACCUSED|the-moscow-times|russia|",
        "ACCUSED|russia|the-moscow-times|",
    ]


def test_first_sentence_mentions_kim_kozlov_and_pyongyang(
    article: Article,
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    entities, relations = graph
    mentions = find_mentions(article, entities, merge_relations(relations))
    first = {entity_id for index, entity_id in mentions if index == 0}
    assert {"kim-jong-un", "alexander-kozlov", "pyongyang"} <= first


def test_mentions_by_name_alone_without_relations(
    article: Article,
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    mentions = set(find_mentions(article, graph[0], ()))
    assert {(0, "kim-jong-un"), (0, "alexander-kozlov"), (0, "pyongyang")} <= mentions
    assert (5, "federal-assembly-of-russia") in mentions  # "Russian lawmakers"


def test_resolved_graph_holds_merged_relations_and_mentions(
    article: Article,
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    resolved = resolve_article_graph(article, *graph)
    assert resolved.article == article
    assert resolved.entities == graph[0]
    assert resolved.relations == merge_relations(graph[1])
    assert resolved.mentions == tuple(sorted(set(resolved.mentions)))


# --- the round trip ---------------------------------------------------------------------------


def test_document_from_the_resolved_graph_validates(
    article: Article,
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    resolved = resolve_article_graph(article, *graph)
    doc = graph_to_document(article, resolved.entities, resolved.relations)
    assert schema_problems(doc) == []
    assert doc["article"]["id"] == SEED_ID
    assert doc["article"]["content_sha256"] == article.content_sha256
    assert len(doc["relations"]) == 38  # one entry per piece of evidence


def test_round_trip_gives_the_same_entities_and_merged_relations(
    article: Article,
    graph: tuple[tuple[Entity, ...], tuple[Relation, ...]],
) -> None:
    resolved = resolve_article_graph(article, *graph)
    doc = graph_to_document(article, resolved.entities, resolved.relations)
    entities, relations = document_to_graph(doc, article, "round-trip.json")
    assert entities == resolved.entities
    assert merge_relations(relations) == resolved.relations


# --- broken documents -------------------------------------------------------------------------


def test_unknown_entity_type_is_a_schema_problem(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["entities"][8].update(type="City"))
    problem = _only_problem(article, doc)
    assert problem.startswith("entities/8/type: 'City' is not one of")


def test_unknown_relation_type_is_a_schema_problem(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["relations"][3].update(type="INVADED"))
    problem = _only_problem(article, doc)
    assert problem.startswith("relations/3/type: 'INVADED' is not one of")


def test_status_outside_the_enum_is_a_schema_problem(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["relations"][3].update(status="rumoured"))
    problem = _only_problem(article, doc)
    assert problem.startswith("relations/3/status: 'rumoured' is not one of")


def test_dangling_subject_id_is_named(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["relations"][3].update(subject="russian-ministry"))
    assert _only_problem(article, doc) == (
        "relations/3: subject 'russian-ministry' is not an entity of this document"
    )


def test_dangling_place_id_is_named(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["relations"][4].update(place="seoul"))
    assert _only_problem(article, doc) == (
        "relations/4: place 'seoul' is not an entity of this document"
    )


def test_dangling_attributed_to_id_is_named(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["relations"][4].update(attributed_to=["kcna"]))
    assert _only_problem(article, doc) == (
        "relations/4: attributed_to 'kcna' is not an entity of this document"
    )


def test_evidence_text_not_in_the_article_is_named(article: Article, curated: Doc) -> None:
    invented = "Kim Jong Un met Donald Trump in Singapore."
    doc = _broken(curated, lambda d: d["relations"][0].update(evidence={"text": invented}))
    problem = _only_problem(article, doc)
    assert problem.startswith("relations/0/evidence: the text does not occur in the article")
    assert invented in problem


def test_empty_evidence_text_is_rejected(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["relations"][0].update(evidence={"text": ""}))
    problem = _only_problem(article, doc)
    assert problem.startswith("relations/0/evidence")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(5000, 5248, id="past-the-end"),
        pytest.param(-10, 238, id="negative-start"),
        pytest.param(426, 178, id="end-before-start"),
    ],
)
def test_evidence_offsets_out_of_range_are_named(
    article: Article, curated: Doc, start: int, end: int
) -> None:
    doc = _broken(curated, lambda d: d["relations"][0]["evidence"].update(start=start, end=end))
    problem = _only_problem(article, doc)
    assert problem == (
        f"relations/0/evidence: offsets {start}..{end} are outside the article "
        f"(0..{len(article.text)})"
    )


def test_evidence_offsets_pointing_at_other_text_are_named(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["relations"][0]["evidence"].update(start=428, end=676))
    problem = _only_problem(article, doc)
    assert problem.startswith("relations/0/evidence: the article has 'Kozlov, who is leading")
    assert "at 428..676, not the evidence text" in problem
    assert "North Korean leader Kim Jong Un met" in problem.split("not the evidence text")[1]


def test_duplicate_entity_id_with_different_types_is_named(article: Article, curated: Doc) -> None:
    twin = {"id": "pyongyang", "type": "Country", "name": "Pyongyang"}
    doc = _broken(curated, lambda d: d["entities"].append(twin))
    assert _only_problem(article, doc) == (
        "entities/22: id 'pyongyang' is declared twice, as Place and Country"
    )


def test_duplicate_entity_id_with_the_same_type_merges_aliases(
    article: Article, curated: Doc
) -> None:
    twin = {"id": "kim-jong-un", "type": "Person", "name": "Kim", "aliases": ["Chairman Kim"]}
    entities, _ = document_to_graph(
        _broken(curated, lambda d: d["entities"].append(twin)), article, "twin.json"
    )
    assert len(entities) == 22
    kim = next(e for e in entities if e.id == "kim-jong-un")
    assert kim.name == "Kim Jong Un"
    assert kim.aliases == ("Kim", "North Korean leader", "Chairman Kim")


def test_relation_between_types_the_ontology_forbids_is_named(
    article: Article, curated: Doc
) -> None:
    doc = _broken(curated, lambda d: d["relations"][0].update(subject="russia"))
    assert _only_problem(article, doc) == (
        "relations/0: LEADER_OF cannot go from Country 'russia' to Country 'north-korea'"
    )


def test_wrong_article_id_is_named(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["article"].update(id="2024-11-19-another-article"))
    assert _only_problem(article, doc) == (
        f"article/id: the document is for '2024-11-19-another-article', not {SEED_ID!r}"
    )


def test_wrong_content_sha256_is_named(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["article"].update(content_sha256="0" * 64))
    assert _only_problem(article, doc) == (
        "article/content_sha256: the article's text has changed since annotation"
    )


def test_missing_content_sha256_is_accepted(article: Article, curated: Doc) -> None:
    doc = _broken(curated, lambda d: d["article"].pop("content_sha256"))
    entities, relations = document_to_graph(doc, article, "no-hash.json")
    assert (len(entities), len(relations)) == (22, 38)


@pytest.mark.parametrize(
    "bad_id",
    [
        pytest.param("Kim Jong Un", id="spaces-and-capitals"),
        pytest.param("kim_jong_un", id="underscores"),
        pytest.param("-kim-jong-un", id="leading-hyphen"),
        pytest.param("kim-jong-un\n", id="trailing-newline"),
    ],
)
def test_entity_id_breaking_the_slug_pattern_is_a_schema_problem(
    article: Article, curated: Doc, bad_id: str
) -> None:
    doc = _broken(curated, lambda d: _rename_entity(d, "kim-jong-un", bad_id))
    problem = _only_problem(article, doc)
    assert problem.startswith(f"entities/0/id: {bad_id!r} does not match")


@pytest.mark.parametrize(
    "bad_date",
    [
        pytest.param("18 November 2024", id="prose"),
        pytest.param("2024-11-18\n", id="trailing-newline"),
    ],
)
def test_relation_date_breaking_the_date_pattern_is_a_schema_problem(
    article: Article, curated: Doc, bad_date: str
) -> None:
    doc = _broken(curated, lambda d: d["relations"][4].update(date=bad_date))
    problem = _only_problem(article, doc)
    assert problem.startswith(f"relations/4/date: {bad_date!r} does not match")


def test_cypher_injection_in_a_name_is_valid_data_kept_verbatim(
    article: Article, curated: Doc
) -> None:
    doc = _broken(curated, lambda d: d["entities"][0].update(name=INJECTION))
    assert schema_problems(doc) == []
    entities, _ = document_to_graph(doc, article, "injection.json")
    assert entities[0].id == "kim-jong-un"
    assert entities[0].name == INJECTION


def test_several_schema_problems_are_listed_in_one_error(article: Article, curated: Doc) -> None:
    def break_three(doc: Doc) -> None:
        doc["entities"][8]["type"] = "City"
        doc["relations"][3]["status"] = "rumoured"
        doc["relations"][7]["confidence"] = 1.5

    problems = _problems(article, _broken(curated, break_three))
    assert [p.split(":")[0] for p in problems] == [
        "entities/8/type",
        "relations/3/status",
        "relations/7/confidence",
    ]


def test_several_article_problems_are_listed_in_one_error(article: Article, curated: Doc) -> None:
    def break_four(doc: Doc) -> None:
        doc["article"]["id"] = "2024-11-19-another-article"
        doc["relations"][3]["subject"] = "russian-ministry"
        doc["relations"][5]["attributed_to"] = ["kcna"]
        doc["relations"][8]["evidence"]["start"] = 179

    with pytest.raises(InvalidDocument) as caught:
        document_to_graph(_broken(curated, break_four), article, "broken.json")
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "article/id",
        "relations/3",
        "relations/5",
        "relations/8/evidence",
    ]
    assert str(caught.value).startswith("broken.json: 4 problem(s):")


def test_document_missing_its_parts_lists_each(article: Article) -> None:
    problems = _problems(article, {"article": {"id": SEED_ID}})
    assert problems == [
        "(document): 'entities' is a required property",
        "(document): 'relations' is a required property",
        "article: 'title' is a required property",
    ]


def test_read_document_of_a_file_that_is_not_json_names_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"article": ', encoding="utf-8")
    with pytest.raises(InvalidDocument) as caught:
        read_document(path)
    assert caught.value.source == str(path)
    assert caught.value.problems[0].startswith("cannot read it as JSON")


def test_read_document_of_a_json_list_names_it(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(InvalidDocument) as caught:
        read_document(path)
    assert caught.value.source == str(path)
    assert caught.value.problems == ["the document must be a JSON object"]


# --- the pipeline without Neo4j ---------------------------------------------------------------


UNKNOWN_ARTICLE = (
    b"Seoul Says Northern Artillery Drills Resumed\n\n"
    b"South Korea's military said on Wednesday that North Korean artillery units resumed drills. "
    b"No shells landed south of the line.\n"
)


def test_unannotated_article_gives_the_lexical_graph_only(tmp_path: Path) -> None:
    graph, used = build_article_graph(UNKNOWN_ARTICLE, "unknown.txt", CuratedExtractor(tmp_path))
    assert used == "none"
    assert graph.entities == ()
    assert graph.relations == ()
    assert graph.mentions == ()
    assert graph.article.id == "seoul-says-northern-artillery-drills-resumed"
    assert [s.text for s in graph.article.sentences] == [
        "South Korea's military said on Wednesday that North Korean artillery units resumed "
        "drills.",
        "No shells landed south of the line.",
    ]


def test_annotated_article_gives_the_curated_graph() -> None:
    graph, used = build_article_graph(SEED.read_bytes(), str(SEED), CuratedExtractor(ANNOTATIONS))
    assert used == "curated"
    assert len(graph.entities) == 22
    assert len(graph.relations) == 35
    assert MET_WITH_KEY in {r.key for r in graph.relations}


def test_given_document_is_used_instead_of_the_extractor(tmp_path: Path, curated: Doc) -> None:
    graph, used = build_article_graph(
        SEED.read_bytes(), str(SEED), CuratedExtractor(tmp_path), copy.deepcopy(curated)
    )
    assert used == "given"
    assert len(graph.relations) == 35
