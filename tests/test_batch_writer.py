"""Writing articles in batches (one transaction for many) gives the graph that writing them one
after another gives, reloads included, and a batch is all or nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from neo4j import AsyncDriver

from bench.synthetic import generate
from kg.config import Settings
from kg.domain import ArticleGraph, Entity
from kg.errors import InvalidDocument
from kg.store import GraphStore, article_batches

# 60 articles over 120 entities: hubs, shared facts stated by several articles, aliases.
ARTICLES = list(generate(120))


async def _empty(driver: AsyncDriver, settings: Settings) -> None:
    async with driver.session(database=settings.neo4j_database) as session:
        await (await session.run("MATCH (n) DETACH DELETE n")).consume()


async def _one_by_one(store: GraphStore, graphs: list[ArticleGraph]) -> None:
    for graph in graphs:
        await store.write_article_graph(graph)


def test_the_synthetic_articles_share_facts() -> None:
    keys = [r.key for g in ARTICLES for r in g.relations]
    assert len(keys) > len(set(keys)), "the corpus must restate facts for these tests to bite"


async def test_a_batch_writes_the_graph_the_articles_write_one_by_one(
    store: GraphStore, driver: AsyncDriver, settings: Settings
) -> None:
    await _one_by_one(store, ARTICLES)
    expected = await store.dump()
    await _empty(driver, settings)
    await store.write_article_graphs(ARTICLES)
    assert await store.dump() == expected


async def test_reloading_a_batch_changes_nothing(store: GraphStore) -> None:
    await store.write_article_graphs(ARTICLES)
    first = await store.dump()
    await store.write_article_graphs(ARTICLES)
    assert await store.dump() == first


async def test_reloading_in_batches_gives_what_reloading_one_by_one_gives(
    store: GraphStore, driver: AsyncDriver, settings: Settings
) -> None:
    # A reloaded article's evidence moves to the end of each relation's lists, either way.
    await _one_by_one(store, ARTICLES)
    await _one_by_one(store, ARTICLES[::-1])
    expected = await store.dump()
    await _empty(driver, settings)
    await _one_by_one(store, ARTICLES)
    for batch in article_batches(ARTICLES[::-1], 7, key=lambda g: g.article.id):
        await store.write_article_graphs(batch)
    assert await store.dump() == expected


async def test_a_batch_reloading_articles_without_their_facts_drops_only_those_facts(
    store: GraphStore, driver: AsyncDriver, settings: Settings
) -> None:
    await store.write_article_graphs(ARTICLES)
    emptied = [replace(g, relations=()) for g in ARTICLES[:20]]
    await store.write_article_graphs(emptied)
    after_batch = await store.dump()
    await _empty(driver, settings)
    await _one_by_one(store, ARTICLES)
    await _one_by_one(store, emptied)
    assert after_batch == await store.dump()


def _retyped(entity: Entity) -> Entity:
    return replace(entity, type="Treaty" if entity.type != "Treaty" else "Place")


async def test_a_batch_with_a_type_clash_against_the_graph_writes_nothing(
    store: GraphStore,
) -> None:
    await store.write_article_graphs(ARTICLES[:10])
    before = await store.dump()
    batch = ARTICLES[10:20]
    in_batch = {e.id for g in batch for e in g.entities}
    stored = next(e for e in ARTICLES[0].entities if e.id not in in_batch)
    clashing = replace(ARTICLES[20], entities=(_retyped(stored), *ARTICLES[20].entities))
    with pytest.raises(InvalidDocument, match="in the graph"):
        await store.write_article_graphs([*batch, clashing])
    assert await store.dump() == before


async def test_a_batch_whose_articles_disagree_on_a_type_writes_nothing(
    store: GraphStore,
) -> None:
    entity = ARTICLES[0].entities[0]
    clashing = replace(ARTICLES[1], entities=(_retyped(entity), *ARTICLES[1].entities))
    with pytest.raises(InvalidDocument, match="in the batch"):
        await store.write_article_graphs([ARTICLES[0], clashing])
    assert await store.counts() == {}


async def test_a_batch_naming_one_article_twice_is_refused(store: GraphStore) -> None:
    with pytest.raises(ValueError, match="only once"):
        await store.write_article_graphs([ARTICLES[0], ARTICLES[0]])


async def test_a_batch_is_one_round_trip_whatever_its_size(store: GraphStore) -> None:
    await store.write_article_graphs(ARTICLES[:2])
    small = store.statements
    await store.write_article_graphs(ARTICLES[2:])
    assert store.statements - small == small == 1


def test_batches_keep_order_and_never_hold_one_article_twice() -> None:
    items = ["a", "b", "c", "a", "d", "e", "f"]
    assert list(article_batches(items, 3, key=str)) == [["a", "b", "c"], ["a", "d", "e"], ["f"]]


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(article_batches(["a"], 0, key=str))
