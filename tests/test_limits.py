"""Hostile or expensive requests are refused with a coded error, never a 500 or a hung worker."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from neo4j import AsyncDriver

from kg.config import Settings
from kg.errors import QueryTimeout, StoreError
from kg.store import GraphStore
from tests.conftest import graphql, serving


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of an answer that ran nothing."""
    assert body.get("data") is None, body
    [error] = body["errors"]
    result: dict[str, Any] = error
    return result


def errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors of an answer that has some."""
    found: list[dict[str, Any]] = body["errors"]
    return found


def nested(depth: int) -> str:
    """A query whose fields nest `depth` deep: entity, relations, subject, relations, ..."""
    hops = ["relations(types: [MET_WITH])", "subject"] * depth
    objects = ['entity(id: "kim-jong-un")', *hops[: depth - 2]]
    leaf = "id" if objects[-1] == "subject" else "key"
    return "{ " + " { ".join(objects) + " { " + leaf + " }" * len(objects) + " }"


async def test_a_query_deeper_than_the_limit_is_refused_with_a_code(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    error = only_error(await graphql(client, nested(13)))
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert "13 deep; the limit is 12" in error["message"]
    assert seeded.statements == 0


async def test_a_query_at_the_depth_limit_runs(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(client, nested(12))
    assert "errors" not in body, body["errors"]
    assert body["data"]["entity"]["relations"]  # type: ignore[index]


async def test_fragments_count_toward_the_depth(settings: Settings, store: GraphStore) -> None:
    query = """{ entity(id: "kim-jong-un") { ...Rel } }
      fragment Rel on Entity { relations { subject { ...Name } } }
      fragment Name on Entity { ... on Person { relations { key } } }"""
    async with serving(settings, max_query_depth=4) as http:
        error = only_error(await graphql(http, query))
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"


async def test_the_depth_limit_is_a_setting(settings: Settings, store: GraphStore) -> None:
    async with serving(settings, max_query_depth=2) as http:
        shallow = await graphql(http, '{ entity(id: "kim-jong-un") { name } }')
        deep = await graphql(http, '{ entity(id: "kim-jong-un") { relations { key } } }')
    assert shallow == {"data": {"entity": None}}
    assert only_error(deep)["extensions"]["code"] == "QUERY_TOO_DEEP"


async def test_too_many_aliases_are_refused_with_a_code(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    aliased = " ".join(f'e{i}: entity(id: "kim-jong-un") {{ name }}' for i in range(31))
    error = only_error(await graphql(client, f"{{ {aliased} }}"))
    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert "31 aliases; the limit is 30" in error["message"]
    assert seeded.statements == 0


async def test_aliases_in_a_fragment_count_wherever_it_is_spread(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    spreads = " ".join(f'e{i}: entity(id: "x{i}") {{ ...Names }}' for i in range(7))
    query = f"{{ {spreads} }} fragment Names on Entity {{ a: name b: name c: name d: name }}"
    error = only_error(await graphql(client, query))
    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert "35 aliases" in error["message"]


async def test_fragments_that_multiply_are_refused_quickly(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    # Each fragment spreads the next twice: 2**40 aliased fields if expanded.
    fragments = " ".join(
        f"fragment F{i} on Entity {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)
    )
    query = f'{{ entity(id: "x") {{ ...F0 }} }} {fragments} fragment F40 on Entity {{ a: id }}'
    started = time.monotonic()
    error = only_error(await graphql(client, query))
    assert time.monotonic() - started < 5
    assert error["extensions"]["code"] in {"TOO_MANY_ALIASES", "QUERY_TOO_DEEP"}


async def test_a_document_of_too_many_tokens_is_refused_with_a_code(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    fields = " ".join(["id"] * 2100)
    error = only_error(await graphql(client, f"{{ articles {{ {fields} }} }}"))
    assert error["extensions"]["code"] == "TOO_MANY_TOKENS"
    assert "more than 2000 tokens" in error["message"]


async def test_a_syntax_error_keeps_the_validation_code(client: httpx.AsyncClient) -> None:
    error = only_error(await graphql(client, "{ articles { id "))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_page_over_the_cap_is_refused_with_a_code(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(client, "{ articles(first: 101) { id } }")
    [error] = errors(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_path_longer_than_six_is_refused_with_a_code(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    query = '{ path(from: "vladimir-putin", to: "alexander-kozlov", maxLength: 7) { __typename } }'
    body = await graphql(client, query)
    [error] = errors(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "maxLength must be between 1 and 6" in error["message"]


async def test_neighbours_deeper_than_three_are_refused_with_a_code(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    query = '{ entity(id: "kim-jong-un") { neighbors(depth: 4) { distance } } }'
    body = await graphql(client, query)
    [error] = errors(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "depth must be between 1 and 3" in error["message"]


async def test_a_query_over_the_timeout_answers_query_timeout_promptly(
    settings: Settings, driver: AsyncDriver, store: GraphStore
) -> None:
    # An article that claims a million relation keys: finding its relations means a million
    # index lookups, far more than a few seconds of work. Neo4j checks timeouts every 2 s
    # (db.transaction.monitor.check.interval), so the read must outlast that to be ended.
    async with driver.session(database=settings.neo4j_database) as session:
        await (
            await session.run(
                "CREATE (:Article {id: 'heavy', title: 'Heavy', text: '', content_sha256: '',"
                " relation_keys: [i IN range(1, 1000000) | 'MET_WITH|a|b|' + i]})"
            )
        ).consume()
    query = '{ article(id: "heavy") { title relations { key } } }'
    async with serving(settings, query_timeout_s=0.001) as http:
        started = time.monotonic()
        body = await graphql(http, query)
        elapsed = time.monotonic() - started
    assert elapsed < 10
    [error] = errors(body)
    assert error["extensions"]["code"] == "QUERY_TIMEOUT"
    assert "Neo" not in error["message"]


async def test_the_store_reports_a_timed_out_read_as_query_timeout(
    driver: AsyncDriver, settings: Settings, store: GraphStore
) -> None:
    hurried = GraphStore(driver, settings.neo4j_database, query_timeout_s=0.001)
    started = time.monotonic()
    with pytest.raises(QueryTimeout):  # a minute of counting, ended within a few seconds
        await hurried._read("UNWIND range(1, 2000000000) AS x RETURN count(x) AS n")
    assert time.monotonic() - started < 10


async def test_reads_cannot_write(seeded: GraphStore) -> None:
    before = await seeded.dump()
    with pytest.raises(StoreError, match=r"Neo\.ClientError"):
        await seeded._read("CREATE (:Intruder {id: 'x'})")
    assert await seeded.dump() == before


async def test_input_never_becomes_cypher(seeded: GraphStore, client: httpx.AsyncClient) -> None:
    before = await seeded.dump()
    hostile = "x'}) DETACH DELETE n //"
    body = await graphql(
        client,
        "query($id: ID!, $text: String!) { entity(id: $id) { name } search(text: $text) { id } }",
        {"id": hostile, "text": hostile},
    )
    assert "errors" not in body, body["errors"]
    assert body["data"]["entity"] is None  # type: ignore[index]
    assert await seeded.dump() == before


async def test_a_body_over_the_limit_is_413_with_a_code(
    settings: Settings, store: GraphStore
) -> None:
    padding = " " * 3000
    async with serving(settings, max_body_bytes=2000) as http:
        response = await http.post("/graphql", json={"query": "{ articles { id } }" + padding})
    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_a_chunked_body_over_the_limit_is_cut_off(
    settings: Settings, store: GraphStore
) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ articles { id } }'
        for _ in range(100):
            sent.append(1)
            yield b" " * 1000
        yield b'"}'

    async with serving(settings, max_body_bytes=2000) as http:
        response = await http.post(
            "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert len(sent) < 100  # the server stopped reading early


async def test_a_body_within_the_limit_is_served(settings: Settings, store: GraphStore) -> None:
    async with serving(settings, max_body_bytes=2000) as http:
        body = await graphql(http, "{ articles { id } }")
    assert "errors" not in body, body["errors"]
    assert isinstance(body["data"]["articles"], list)  # type: ignore[index]
