"""Relay connections (relationsConnection, searchConnection, timelineConnection): keyset
cursors that walk every item exactly once, totalCount and degree without loading what they
count, and a cap on `first`. The graph: a synthetic corpus with hubs (bench/synthetic.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import httpx
import pytest

from bench.synthetic import generate
from kg.domain import ArticleGraph, Relation, relation_key
from kg.ontology import relation_rules
from kg.store import GraphStore
from tests.conftest import graphql

ARTICLES = list(generate(120))
RELATION_COUNT = Counter(e for g in ARTICLES for r in g.relations for e in (r.subject, r.object))
HUB = RELATION_COUNT.most_common(1)[0][0]


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body.get("errors")
    result: dict[str, Any] = body["data"]
    return result


@pytest.fixture
async def corpus(store: GraphStore) -> GraphStore:
    """The synthetic corpus, written in one batch."""
    await store.write_article_graphs(ARTICLES)
    store.statements = 0
    return store


async def _walk(
    client: httpx.AsyncClient, query: str, path: list[str], first: int, **variables: Any
) -> tuple[list[dict[str, Any]], list[int]]:
    """Follow endCursor until hasNextPage is false: the nodes seen, and each page's totalCount."""
    nodes: list[dict[str, Any]] = []
    totals: list[int] = []
    after = None
    for _ in range(1000):
        answer = data(await graphql(client, query, {**variables, "first": first, "after": after}))
        for name in path:
            answer = answer[name]
        nodes += [edge["node"] for edge in answer["edges"]]
        totals.append(answer["totalCount"])
        assert answer["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not answer["pageInfo"]["hasNextPage"]:
            return nodes, totals
        after = answer["pageInfo"]["endCursor"]
    raise AssertionError("the pages never ended")


RELATIONS_PAGE = """query($id: ID!, $first: Int!, $after: String) {
  entity(id: $id) {
    relationsConnection(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { key } }
    }
  }
}"""


async def test_relation_pages_walk_every_relation_of_a_hub_once_in_key_order(
    corpus: GraphStore, client: httpx.AsyncClient
) -> None:
    nodes, totals = await _walk(
        client, RELATIONS_PAGE, ["entity", "relationsConnection"], 7, id=HUB
    )
    keys = [n["key"] for n in nodes]
    expected = {r.key for g in ARTICLES for r in g.relations if HUB in (r.subject, r.object)}
    assert keys == sorted(expected)
    assert set(totals) == {len(expected)}
    assert len(keys) > 7 * 3  # several pages, or the test proves little


async def test_relation_pages_walk_alike_when_the_key_is_not_asked_for(
    corpus: GraphStore, client: httpx.AsyncClient
) -> None:
    # The cursor holds each relation's key, whether or not the query selects it.
    without_key = RELATIONS_PAGE.replace(
        "node { key }", "node { type date subject { id } object { id } }"
    )
    with_key = RELATIONS_PAGE.replace(
        "node { key }", "node { key type date subject { id } object { id } }"
    )
    nodes, totals = await _walk(client, without_key, ["entity", "relationsConnection"], 7, id=HUB)
    keyed, _ = await _walk(client, with_key, ["entity", "relationsConnection"], 7, id=HUB)
    assert nodes == [{k: v for k, v in n.items() if k != "key"} for n in keyed]
    assert len(nodes) == totals[0] > 7 * 3


async def test_a_cursor_keeps_its_place_when_relations_are_added_before_it(
    corpus: GraphStore, client: httpx.AsyncClient
) -> None:
    first_page = data(await graphql(client, RELATIONS_PAGE, {"id": HUB, "first": 5}))
    page = first_page["entity"]["relationsConnection"]
    after = page["pageInfo"]["endCursor"]
    second = data(await graphql(client, RELATIONS_PAGE, {"id": HUB, "first": 5, "after": after}))
    await corpus.write_article_graph(_earlier_restatement(page["edges"][0]["node"]["key"]))
    again = data(await graphql(client, RELATIONS_PAGE, {"id": HUB, "first": 5, "after": after}))
    first_again = data(await graphql(client, RELATIONS_PAGE, {"id": HUB, "first": 5}))
    before, now = (a["entity"]["relationsConnection"] for a in (second, again))
    assert now["edges"] == before["edges"]
    assert now["totalCount"] == before["totalCount"] + 1
    assert first_again != first_page  # the new relation did land on the first page


def _earlier_restatement(key: str) -> ArticleGraph:
    """A new article stating the relation `key` again, dated 1990: a new relation whose key
    sorts just before `key` (same type, subject and object; an earlier date)."""
    source = next(g for g in ARTICLES if any(r.key == key for r in g.relations))
    relation = next(r for r in source.relations if r.key == key)
    symmetric = relation_rules()[relation.type].symmetric
    moved = replace(
        relation,
        date="1990-01-01",
        key=relation_key(relation.type, relation.subject, relation.object, "1990-01-01", symmetric),
        evidence=tuple(replace(e, article_id="late-article") for e in relation.evidence),
    )
    assert moved.key < key
    return replace(source, article=replace(source.article, id="late-article"), relations=(moved,))


async def test_degree_and_total_count_agree_with_the_relations_they_count(
    corpus: GraphStore, client: httpx.AsyncClient
) -> None:
    query = """query($id: ID!) { entity(id: $id) {
      all: degree out: degree(direction: OUT) in: degree(direction: IN)
      met: degree(types: [MET_WITH]) metOut: degree(types: [MET_WITH], direction: OUT)
      alleged: relationsConnection(statuses: [alleged], first: 1) { totalCount }
    } }"""
    entity = data(await graphql(client, query, {"id": HUB}))["entity"]
    unique: dict[str, Relation] = {}
    for r in (r for g in ARTICLES for r in g.relations if HUB in (r.subject, r.object)):
        unique.setdefault(r.key, r)  # the first article to state it set its status
    symmetric = {t for t, rule in relation_rules().items() if rule.symmetric}
    assert entity["all"] == len(unique)
    assert entity["out"] == sum(
        1 for r in unique.values() if r.subject == HUB or r.type in symmetric
    )
    assert entity["in"] == sum(1 for r in unique.values() if r.object == HUB or r.type in symmetric)
    assert (
        entity["met"] == entity["metOut"] == sum(1 for r in unique.values() if r.type == "MET_WITH")
    )
    alleged = sum(1 for r in unique.values() if r.status == "alleged")
    assert entity["alleged"]["totalCount"] == alleged > 0


async def test_the_relations_list_is_capped_by_first(
    corpus: GraphStore, client: httpx.AsyncClient
) -> None:
    query = "query($id: ID!) { entity(id: $id) { relations(first: 3) { key } degree } }"
    entity = data(await graphql(client, query, {"id": HUB}))["entity"]
    assert len(entity["relations"]) == 3 < entity["degree"]


SEARCH_PAGE = """query($text: String!, $first: Int!, $after: String) {
  searchConnection(text: $text, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id name } }
  }
}"""


async def test_search_pages_walk_every_match_once_best_first(
    corpus: GraphStore, client: httpx.AsyncClient
) -> None:
    names = {e.id: e.name for g in ARTICLES for e in g.entities}
    # A two-letter prefix matches many names, most with equal scores: ties broken by id.
    words = Counter(w[:2] for name in names.values() for w in name.split() if not w.isdigit())
    word = words.most_common(1)[0][0]
    nodes, totals = await _walk(client, SEARCH_PAGE, ["searchConnection"], 3, text=word)
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)) == totals[0] > 3
    one_page = data(await graphql(client, SEARCH_PAGE, {"text": word, "first": 100}))
    assert ids == [e["node"]["id"] for e in one_page["searchConnection"]["edges"]]


TIMELINE_PAGE = """query($entity: ID!, $other: ID, $first: Int!, $after: String) {
  timelineConnection(entity: $entity, other: $other, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { key date subject { id } object { id } } }
  }
}"""


async def test_timeline_pages_walk_dated_relations_oldest_first(
    corpus: GraphStore, client: httpx.AsyncClient
) -> None:
    nodes, totals = await _walk(client, TIMELINE_PAGE, ["timelineConnection"], 4, entity=HUB)
    dates = [n["date"] for n in nodes]
    assert dates == sorted(dates)
    assert len(dates) == totals[0] > 4
    assert len({n["key"] for n in nodes}) == len(nodes)


@pytest.mark.parametrize(
    ("node", "fields"),
    [("node { key }", ["key"]), ("node { subject { id } object { id } }", ["subject", "object"])],
    ids=["without date", "without date or key"],
)
async def test_timeline_pages_walk_alike_whatever_the_nodes_select(
    corpus: GraphStore, client: httpx.AsyncClient, node: str, fields: list[str]
) -> None:
    # The cursor holds each relation's date and key, whether or not the query selects them.
    narrow = TIMELINE_PAGE.replace("node { key date subject { id } object { id } }", node)
    nodes, totals = await _walk(client, narrow, ["timelineConnection"], 4, entity=HUB)
    whole, _ = await _walk(client, TIMELINE_PAGE, ["timelineConnection"], 4, entity=HUB)
    assert nodes == [{field: n[field] for field in fields} for n in whole]
    assert len(nodes) == totals[0] > 4


async def test_a_timeline_between_two_entities_holds_only_their_relations(
    corpus: GraphStore, client: httpx.AsyncClient
) -> None:
    pairs = Counter(
        frozenset((r.subject, r.object)) for g in ARTICLES for r in g.relations if r.date
    )
    pair, _ = pairs.most_common(1)[0]
    one, other = sorted(pair)
    nodes, totals = await _walk(
        client, TIMELINE_PAGE, ["timelineConnection"], 1, entity=one, other=other
    )
    assert len(nodes) == totals[0] > 0
    assert all({n["subject"]["id"], n["object"]["id"]} == {one, other} for n in nodes)


@pytest.mark.parametrize(
    ("field", "cursor"),
    [("relations", "not-a-cursor"), ("relations", "WyJzZWFyY2giLDEuMCwieCJd"), ("search", "e30")],
)
async def test_a_cursor_this_field_did_not_give_is_refused(
    corpus: GraphStore, client: httpx.AsyncClient, field: str, cursor: str
) -> None:
    query, variables = (
        (RELATIONS_PAGE, {"id": HUB}) if field == "relations" else (SEARCH_PAGE, {"text": "x"})
    )
    body = await graphql(client, query, {**variables, "first": 2, "after": cursor})
    [error] = body["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is not a cursor of this field" in error["message"]


async def test_a_page_above_the_cap_is_refused(
    corpus: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(client, RELATIONS_PAGE, {"id": HUB, "first": 101})
    [error] = body["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first must be between 1 and 100" in error["message"]
