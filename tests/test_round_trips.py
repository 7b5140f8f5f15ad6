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
