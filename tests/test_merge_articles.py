"""One graph across articles: the seed (curated) and an unannotated article (offline rules)."""

from __future__ import annotations

from kg.store import GraphStore, RelationFilter
from loaders.extract import AutoExtractor, CuratedExtractor
from loaders.gazetteer import default_gazetteer
from loaders.pipeline import load_article
from loaders.rules import RulesExtractor
from tests.conftest import ROOT, SEED, SEED_ID

READOUT = ROOT / "tests" / "corpus" / "dev" / "articles" / "kcna_readout.json"
READOUT_ID = "2024-11-30-respected-comrade-kim-jong-un-receives-russian-military-delegation"
TREATY = "russia-north-korea-strategic-partnership-treaty"


async def load_both(store: GraphStore, extractor: CuratedExtractor) -> list[str]:
    auto = AutoExtractor(extractor, RulesExtractor(default_gazetteer()))
    used = []
    for path in (SEED, READOUT):
        loaded = await load_article(store, path.read_bytes(), str(path), auto)
        used.append(loaded.extractor)
    return used


async def test_auto_uses_the_curated_annotation_else_the_rules(
    store: GraphStore, extractor: CuratedExtractor
) -> None:
    assert await load_both(store, extractor) == ["curated", "rules"]


async def test_the_same_people_are_one_node_each_across_articles(
    store: GraphStore, extractor: CuratedExtractor
) -> None:
    await load_both(store, extractor)
    rows = await store._read(
        "MATCH (p:Person) WHERE p.id IN ['kim-jong-un', 'vladimir-putin']"
        " RETURN p.id AS id, count(*) AS n ORDER BY id"
    )
    assert rows == [{"id": "kim-jong-un", "n": 1}, {"id": "vladimir-putin", "n": 1}]
    articles = await store._read(
        "MATCH (a:Article)-[:HAS_SENTENCE]->(:Sentence)-[:MENTIONS]->(:Person {id: 'kim-jong-un'})"
        " RETURN collect(DISTINCT a.id) AS ids"
    )
    assert set(articles[0]["ids"]) == {SEED_ID, READOUT_ID}


async def test_a_signing_both_articles_state_has_both_as_sources(
    store: GraphStore, extractor: CuratedExtractor
) -> None:
    await load_both(store, extractor)
    found = await store.relations(["kim-jong-un"], RelationFilter(types=("SIGNED",)))
    [signing] = [item.relation for item in found["kim-jong-un"] if item.relation.object == TREATY]
    assert signing.date == "2024-06"
    assert set(signing.sources) == {SEED_ID, READOUT_ID}
    assert {e.article_id for e in signing.evidence} == {SEED_ID, READOUT_ID}
