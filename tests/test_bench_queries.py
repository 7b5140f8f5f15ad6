"""The benchmark's hand-written Cypher answers the same questions as the API's GraphQL.

On the seed graph, with the ids the benchmark would pick and with ids chosen for what the
synthetic corpus lacks: a partial date (2024-06) and a date range overlapping the window only
in part, an undated relation beside a dated one, relations seen from their object. A raw query
that drifted from the API's meaning (date overlap, direction, undated relations, depth) answers
other items and fails here, rather than in a benchmark that would compare two questions.
No timing is asserted.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from neo4j import AsyncDriver

from bench.bench_queries import check_same
from bench.query_set import BenchQuery, Targets, build_queries, pick_targets
from kg.config import Settings
from kg.store import GraphStore

TREATY = "russia-north-korea-strategic-partnership-treaty"
EDGE_CASES = Targets(
    hub=TREATY,  # SIGNED twice in 2024-06, RATIFIED 2024-11-11/2024-11-17 and once undated
    hub_degree=6,
    hub_types=("SIGNED", "RATIFIED"),
    date_from="2024-06-15",  # overlaps 2024-06 and the range, contains neither
    date_to="2024-11-12",
    search_word="korea",
    mid="pyongyang",
    mid_degree=3,
    path_to="the-moscow-times",
    path_length=3,
    timeline_entity=TREATY,  # with north-korea: one dated relation, one undated
    timeline_other="north-korea",
)


@pytest.mark.parametrize("picked", [True, False], ids=["picked-from-graph", "edge-cases"])
async def test_each_question_gets_the_same_items_from_graphql_and_cypher(
    seeded: GraphStore,
    client: httpx.AsyncClient,
    driver: AsyncDriver,
    settings: Settings,
    picked: bool,
) -> None:
    targets = await pick_targets(driver, settings.neo4j_database) if picked else EDGE_CASES
    queries = build_queries(targets)
    assert [q.name for q in queries] == ["entity", "search", "neighbors", "path", "timeline"]

    async def ask(query: BenchQuery) -> dict[str, Any]:
        response = await client.post(
            "/graphql", json={"query": query.graphql, "variables": query.variables}
        )
        body = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body
        return body["data"]  # type: ignore[no-any-return]

    # check_same raises unless both sides hold the same items, and at least one.
    items = {q.name: await check_same(ask, driver, settings.neo4j_database, q) for q in queries}
    if not picked:  # the edge cases are there: both SIGNED and the ranged RATIFIED; one dated
        assert (items["entity"], items["timeline"]) == (3, 1)
