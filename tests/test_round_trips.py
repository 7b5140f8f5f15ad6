"""Round trips are bounded by the query's shape, never by the data: each nested query costs
the same number of Cypher statements on a graph of 6 articles as on one of 60 with hubs of
hundreds of relations (DataLoaders batch each level into one statement; counts come from the
degree store)."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from bench.synthetic import generate
from kg.store import GraphStore
from tests.conftest import graphql

ARTICLES = list(generate(120))
SMALL = ARTICLES[:6]
_COUNTS = Counter(e for g in ARTICLES for r in g.relations for e in (r.subject, r.object))
HUB = max({e.id for g in SMALL for e in g.entities}, key=lambda i: (_COUNTS[i], i))
FACT = SMALL[0].relations[0]
ARTICLE = SMALL[0].article.id
WORD = next(e.name.split()[0] for e in SMALL[0].entities)

QUERIES = {
    "entity, relations, their ends and the ends' relations": f"""{{ entity(id: "{HUB}") {{
        name relations {{ type subject {{ name relations {{ key object {{ name }} }} }}
                          object {{ name relations(types: [MET_WITH]) {{ key }} }} }} }} }}""",
    "search results with their relations and sources": f"""{{ search(text: "{WORD}") {{
        id relations {{ key sources {{ title }} attributedTo {{ name }} }} }} }}""",
    "timeline with the relations of each subject": f"""{{ timeline(entity: "{HUB}") {{
        date subject {{ relations {{ key }} }} object {{ name }} }} }}""",
    "path with its relations' evidence articles": f"""{{ path(from: "{FACT.subject}",
        to: "{FACT.object}") {{ ... on Path {{ entities {{ name degree }}
        relations {{ evidence {{ article {{ title }} }} }} }} }} }}""",
    "article with sentences, their relations, and the subjects' relations": f"""{{
        article(id: "{ARTICLE}") {{ title sentences {{ text relations {{ key
        subject {{ relations {{ key }} }} }} }} relations {{ key }} }} }}""",
    "relation pages with counts and the degree of each end": f"""{{ entity(id: "{HUB}") {{
        relationsConnection(first: 50) {{ totalCount pageInfo {{ endCursor }}
        nodes {{ subject {{ degree relationsConnection(first: 5) {{ totalCount
        nodes {{ key }} }} }} object {{ degree(direction: IN) }} }} }} }} }}""",
    "search and timeline pages with their totals": f"""{{
        searchConnection(text: "{WORD}", first: 20) {{ totalCount nodes {{ degree }} }}
        timelineConnection(entity: "{HUB}", first: 50) {{ totalCount
        nodes {{ subject {{ name }} }} }} }}""",
}


async def _statements(store: GraphStore, client: httpx.AsyncClient, query: str) -> int:
    app_store: GraphStore = client._transport.app.state.store  # type: ignore[attr-defined]
    before = app_store.statements
    body = await graphql(client, query)
    assert "errors" not in body, body["errors"]
    answer = body["data"]
    assert isinstance(answer, dict)
    assert all(answer.values()), body  # every root field answered, none null or empty
    return app_store.statements - before


@pytest.mark.parametrize("query", list(QUERIES.values()), ids=list(QUERIES))
async def test_statements_per_query_do_not_grow_with_the_data(
    store: GraphStore, client: httpx.AsyncClient, query: str
) -> None:
    await store.write_article_graphs(SMALL)
    small = await _statements(store, client, query)
    await store.write_article_graphs(ARTICLES[len(SMALL) :])
    large = await _statements(store, client, query)
    assert _COUNTS[HUB] > 100  # the large graph has a real hub, the small one does not
    assert large == small <= 7, (small, large)


ROOT_WITH_ITS_FIRST_LEVEL = {
    "an entity with its relations and their evidence": f"""{{ entity(id: "{HUB}") {{
        name relations(types: [MET_WITH], statuses: [reported], direction: BOTH,
        from: "2000", to: "2100-12", first: 20) {{ type subject {{ id }}
        evidence {{ text }} }} }} }}""",
    "an entity with its relations filtered by variables": (
        """query Q($id: ID!, $types: [RelationType!], $from: String) {
        entity(id: $id) { name relations(types: $types, from: $from, direction: BOTH) {
        key object { name } } } }"""
    ),
    "an entity with its neighbours": f"""{{ entity(id: "{HUB}") {{ name
        neighbors(depth: 2, first: 10) {{ distance entity {{ id name }} }} }} }}""",
    "a path with its ends' names": f"""{{ path(from: "{FACT.subject}", to: "{FACT.object}")
        {{ ... on Path {{ length entities {{ name }} relations {{ type }} }} }} }}""",
}


@pytest.mark.parametrize(
    "query", list(ROOT_WITH_ITS_FIRST_LEVEL.values()), ids=list(ROOT_WITH_ITS_FIRST_LEVEL)
)
async def test_a_root_field_and_the_level_it_plans_are_one_statement(
    store: GraphStore, client: httpx.AsyncClient, query: str
) -> None:
    await store.write_article_graphs(ARTICLES)
    app_store: GraphStore = client._transport.app.state.store  # type: ignore[attr-defined]
    before = app_store.statements
    variables = {"id": HUB, "types": ["MET_WITH", "SANCTIONED"], "from": "2020"}
    body = await graphql(client, query, variables if "$" in query else None)
    assert "errors" not in body, body["errors"]
    answer = body["data"]
    assert isinstance(answer, dict)
    assert all(answer.values()), body
    assert app_store.statements - before == 1


@pytest.mark.parametrize(
    ("field", "selection", "size"),
    [
        ("relations", "relations(direction: BOTH, first: 30) { key evidence { text } }", 30),
        ("neighbors", "neighbors(depth: 2, first: 40) { distance entity { id name } }", 40),
    ],
    ids=["relations", "neighbours"],
)
async def test_a_field_read_with_its_entity_answers_as_the_field_read_alone(
    store: GraphStore, client: httpx.AsyncClient, field: str, selection: str, size: int
) -> None:
    await store.write_article_graphs(ARTICLES)
    planned = f'{{ entity(id: "{HUB}") {{ {selection} }} }}'
    # Inside a fragment the root does not plan the field: the field reads its own answer.
    hub_type = next(e.type for g in ARTICLES for e in g.entities if e.id == HUB)
    alone = f'{{ entity(id: "{HUB}") {{ ... on {hub_type} {{ {selection} }} }} }}'
    assert await _statements(store, client, planned) == 1
    assert await _statements(store, client, alone) == 2
    planned_answer = await graphql(client, planned)
    assert planned_answer["data"] == (await graphql(client, alone))["data"]
    assert len(planned_answer["data"]["entity"][field]) == size  # type: ignore[index]


async def test_a_root_field_asked_twice_is_answered_merged(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    await store.write_article_graphs(SMALL)
    body = await graphql(
        client,
        f"""{{ entity(id: "{HUB}") {{ name }}
        entity(id: "{HUB}") {{ relations(first: 2) {{ key }} neighbors(depth: 0) {{ distance }} }}
        }}""",
    )
    assert body["errors"][0]["message"] == "depth must be between 1 and 3, not 0"  # type: ignore[index]
    body = await graphql(
        client,
        f"""{{ entity(id: "{HUB}") {{ name }}
        entity(id: "{HUB}") {{ relations(first: 2) {{ key }} }} }}""",
    )
    assert "errors" not in body, body
    entity = body["data"]["entity"]  # type: ignore[index]
    assert entity["name"]
    assert len(entity["relations"]) == 2
