"""The offline rules extractor: valid documents for any article, measured against the curated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kg.domain import Article
from loaders.corpus import corpus_pairs, score_corpus
from loaders.document import document_to_graph, read_document, schema_problems
from loaders.evaluate import evaluate
from loaders.gazetteer import Gazetteer, default_gazetteer
from loaders.parse import parse_article, read_article
from loaders.rules import RulesExtractor
from tests.conftest import ROOT, SEED, SEED_ID

CORPORA = [ROOT / "data", ROOT / "tests" / "corpus" / "dev", ROOT / "tests" / "corpus" / "heldout"]
ARTICLES = [article for folder in CORPORA for article, _ in corpus_pairs(folder)]


@pytest.fixture(scope="module")
def rules() -> RulesExtractor:
    return RulesExtractor(default_gazetteer())


def extract(rules: RulesExtractor, text: str, published: str = "2024-11-19 10:00:00") -> Any:
    raw = f"A headline\n\nBy Example Wire | Created at {published}\n\n{text}\n".encode()
    article = parse_article(raw, "example.txt")
    return article, rules.run(article)


def triples(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(r["type"], r["subject"], r["object"]) for r in document["relations"]}


def relation(document: dict[str, Any], rel_type: str, subject: str, object_: str) -> Any:
    return next(
        r
        for r in document["relations"]
        if (r["type"], r["subject"], r["object"]) == (rel_type, subject, object_)
    )


def test_constructor_rejects_anything_but_a_gazetteer() -> None:
    with pytest.raises(TypeError, match="must be a Gazetteer"):
        RulesExtractor({"entities": []})  # type: ignore[arg-type]


def test_seed_relation_f1_against_its_curated_annotation_is_at_least_0_8(
    rules: RulesExtractor,
) -> None:
    gold = read_document(ROOT / "data" / "annotations" / f"{SEED_ID}.json")
    result = evaluate(rules.run(read_article(SEED)), gold)
    assert result.relations.f1 >= 0.8, (result.missing, result.spurious)
    assert result.relations.precision >= 0.9


@pytest.mark.parametrize("path", ARTICLES, ids=[p.name for p in ARTICLES])
def test_every_corpus_article_gives_a_document_that_checks_against_its_text(
    rules: RulesExtractor, path: Path
) -> None:
    article = read_article(path)
    document = rules.run(article)
    assert schema_problems(document) == []
    _entities, relations = document_to_graph(document, article, str(path))
    assert relations, "the extractor found nothing"
    for item in relations:
        for evidence in item.evidence:
            assert article.text[evidence.start : evidence.end] == evidence.text  # type: ignore[misc]


def test_held_out_articles_score_above_the_recorded_floor(rules: RulesExtractor) -> None:
    # A regression guard, a little under the figures the README reports for held-out text.
    result = score_corpus(ROOT / "tests" / "corpus" / "heldout", rules)
    assert result.total("relations").f1 >= 0.4
    assert result.total("entities").f1 >= 0.6


def test_titled_leader_and_meeting_with_place_date_and_source(rules: RulesExtractor) -> None:
    _, document = extract(
        rules,
        (
            "Russian President Vladimir Putin met with North Korean leader Kim Jong Un in "
            "Pyongyang on Monday, according to the Korean Central News Agency (KCNA)."
        ),
    )
    assert {
        ("LEADER_OF", "vladimir-putin", "russia"),
        ("LEADER_OF", "kim-jong-un", "north-korea"),
    } <= triples(document)
    meeting = relation(document, "MET_WITH", "vladimir-putin", "kim-jong-un")
    assert (meeting["date"], meeting["date_text"]) == ("2024-11-18", "on Monday")
    assert meeting["place"] == "pyongyang"
    assert meeting["attributed_to"] == ["korean-central-news-agency"]
    assert ("VISITED", "vladimir-putin", "pyongyang") in triples(document)


def test_an_accusation_makes_the_deployment_alleged_by_the_accusers(
    rules: RulesExtractor,
) -> None:
    _, document = extract(
        rules,
        (
            "Ukraine and South Korea have accused North Korea of sending about 12,000 troops to "
            "Russia, in the Kursk region."
        ),
    )
    for accuser in ("ukraine", "south-korea"):
        accusation = relation(document, "ACCUSED", accuser, "north-korea")
        assert accusation["status"] == "reported"
        assert accusation["claim"].startswith("sending about 12,000 troops to Russia")
    deployment = relation(document, "DEPLOYED_TROOPS_TO", "north-korea", "russia")
    assert deployment["status"] == "alleged"
    assert set(deployment["attributed_to"]) == {"ukraine", "south-korea"}
    assert (deployment["quantity"], deployment["quantity_qualifier"]) == (12000, "about")


def test_denials_and_speculation_are_marked(rules: RulesExtractor) -> None:
    _, denied = extract(rules, "The Kremlin denied that Russia supplied weapons to North Korea.")
    assert relation(denied, "SUPPORTS", "russia", "north-korea")["status"] == "denied"
    _, feared = extract(rules, "Analysts fear Russia may offer technology to North Korea.")
    assert relation(feared, "SUPPORTS", "russia", "north-korea")["status"] == "speculated"


def test_a_capital_stands_for_its_state_and_the_deal_for_the_article_treaty(
    rules: RulesExtractor,
) -> None:
    _, document = extract(
        rules,
        (
            "Kim and Putin signed a mutual defence treaty in June. Last week, Pyongyang ratified "
            "the pact with Moscow after Russian lawmakers approved the deal."
        ),
    )
    treaties = {r["object"] for r in document["relations"] if r["type"] == "RATIFIED"}
    signed = {r["object"] for r in document["relations"] if r["type"] == "SIGNED"}
    assert len(treaties) == 1
    assert treaties == signed
    ratified = relation(document, "RATIFIED", "north-korea", next(iter(treaties)))
    assert (ratified["date"], ratified["date_text"]) == ("2024-11-11/2024-11-17", "Last week")
    assert ("PARTY_TO", "russia", next(iter(treaties))) in triples(document)


def test_appositive_offices_and_passive_signing(rules: RulesExtractor) -> None:
    _, document = extract(
        rules,
        (
            "Kim Jong Un received Andrei Belousov, minister of Defence of the Russian Federation. "
            "The treaty was signed by Kim Jong Un and Vladimir Putin in June."
        ),
    )
    office = relation(document, "OFFICIAL_OF", "andrei-belousov", "russia")
    assert office["role"] == "Minister of Defence"
    assert ("HEADS", "andrei-belousov", "russian-ministry-of-defence") in triples(document)
    signers = {r["subject"] for r in document["relations"] if r["type"] == "SIGNED"}
    assert signers == {"kim-jong-un", "vladimir-putin"}


def test_names_the_gazetteer_lacks_get_slug_ids_and_their_acronyms(
    rules: RulesExtractor,
) -> None:
    article, document = extract(
        rules,
        (
            "The Korea Maritime Safety Board (KMSB) said on Tuesday that North Korea test-fired "
            "two cruise missiles. The KMSB gave no details."
        ),
    )
    ids = {e["id"]: e for e in document["entities"]}
    assert ("TESTED", "north-korea", "north-korean-cruise-missiles") in triples(document)
    assert isinstance(article, Article)
    assert (
        "korea-maritime-safety-board" not in ids
        or "KMSB" in ids["korea-maritime-safety-board"]["aliases"]
    )


def test_an_empty_gazetteer_still_gives_a_valid_document() -> None:
    article = read_article(SEED)
    document = RulesExtractor(Gazetteer([])).run(article)
    assert schema_problems(document) == []
    document_to_graph(document, article, "seed")


def test_a_descriptor_names_the_one_office_holder(rules: RulesExtractor) -> None:
    _, document = extract(rules, "Russia's foreign minister met with the North Korean leader.")
    assert ("MET_WITH", "sergei-lavrov", "kim-jong-un") in triples(document)


def test_described_places_are_located_in_their_state(rules: RulesExtractor) -> None:
    _, document = extract(
        rules,
        (
            "The missiles were launched from Sinpo, a port city on North Korea's east coast, "
            "toward Russia's Kursk region."
        ),
    )
    assert ("LOCATED_IN", "sinpo", "north-korea") in triples(document)
    assert ("LOCATED_IN", "kursk-oblast", "russia") in triples(document)


def test_a_delegation_is_named_after_its_leader_and_referred_to_later(
    rules: RulesExtractor,
) -> None:
    _, document = extract(
        rules,
        (
            "Kim Jong Un received a Russian delegation headed by Andrei Belousov on Friday. "
            "The delegation arrived in Pyongyang on Thursday."
        ),
    )
    assert ("HEADS", "andrei-belousov", "belousov-delegation") in triples(document)
    visit = relation(document, "VISITED", "belousov-delegation", "pyongyang")
    assert visit["date"] == "2024-11-14"
