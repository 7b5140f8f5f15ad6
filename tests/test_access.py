"""Who may do what: keys for mutations (and optionally queries), CORS, introspection, masking."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kg.api.app import create_app
from kg.config import Settings
from kg.store import GraphStore
from tests.conftest import graphql, serving

# Refused before anything is written: proves the key was accepted without loading an article.
MUTATION = """mutation { ingestArticle(input: {text: "x", annotation: [1]}) {
  __typename ... on InvalidInput { message } ... on NotAuthorized { message } } }"""
ORIGIN = "https://news.example"


async def mutate(client: httpx.AsyncClient, key: str | None) -> str:
    body = await graphql(client, MUTATION, headers={"X-API-Key": key} if key else None)
    assert "errors" not in body, body["errors"]
    typename: str = body["data"]["ingestArticle"]["__typename"]  # type: ignore[index]
    return typename


@pytest.mark.parametrize("key", ["test-key-1", "test-key-2"])
async def test_each_configured_key_may_mutate(client: httpx.AsyncClient, key: str) -> None:
    assert await mutate(client, key) == "InvalidInput"


@pytest.mark.parametrize("key", [None, "", "test-key-3", "test-key-1 ", "TEST-KEY-1"])
async def test_a_missing_or_wrong_key_is_not_authorized(
    client: httpx.AsyncClient, key: str | None
) -> None:
    assert await mutate(client, key) == "NotAuthorized"


async def test_mutations_are_off_when_no_key_is_configured(settings: Settings) -> None:
    async with serving(settings, api_keys=[]) as http:
        assert await mutate(http, "test-key-1") == "NotAuthorized"
        assert await mutate(http, "") == "NotAuthorized"


async def test_queries_need_no_key_by_default(client: httpx.AsyncClient) -> None:
    body = await graphql(client, '{ entity(id: "nobody") { name } }')
    assert body == {"data": {"entity": None}}


async def test_queries_without_a_key_are_401_when_keys_are_required(settings: Settings) -> None:
    async with serving(settings, require_key_for_queries=True) as http:
        missing = await http.post("/graphql", json={"query": "{ articles { id } }"})
        wrong = await http.post(
            "/graphql", json={"query": "{ articles { id } }"}, headers={"X-API-Key": "guess"}
        )
        by_get = await http.get("/graphql", params={"query": "{ articles { id } }"})
    for response in (missing, wrong, by_get):
        assert response.status_code == 401
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_queries_with_a_key_are_served_when_keys_are_required(
    settings: Settings, store: GraphStore
) -> None:
    async with serving(settings, require_key_for_queries=True) as http:
        body = await graphql(
            http, '{ entity(id: "nobody") { name } }', headers={"X-API-Key": "test-key-2"}
        )
    assert body == {"data": {"entity": None}}


async def test_the_graphiql_page_needs_no_key_when_keys_are_required(settings: Settings) -> None:
    async with serving(settings, require_key_for_queries=True) as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_requiring_keys_for_queries_without_any_key_is_refused_at_start(
    settings: Settings,
) -> None:
    with pytest.raises(ValueError, match="KG_API_KEYS"):
        create_app(settings.model_copy(update={"require_key_for_queries": True, "api_keys": []}))


async def test_no_cors_headers_by_default(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": ORIGIN}
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_an_allowed_origin_gets_cors_headers(settings: Settings) -> None:
    async with serving(settings, cors_origins=[ORIGIN]) as http:
        response = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": ORIGIN}
        )
        preflight = await http.options(
            "/graphql",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-api-key",
            },
        )
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.status_code == 200
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()


async def test_an_origin_not_listed_gets_no_cors_headers(settings: Settings) -> None:
    async with serving(settings, cors_origins=[ORIGIN]) as http:
        response = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.test"}
        )
        preflight = await http.options(
            "/graphql",
            headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"},
        )
    assert "access-control-allow-origin" not in response.headers
    assert preflight.status_code == 400


def test_cors_origins_and_keys_are_comma_separated_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KG_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("KG_API_KEYS", "k1,k2")
    read = Settings(_env_file=None)
    assert read.cors_origins == ["https://a.example", "https://b.example"]
    assert [key.get_secret_value() for key in read.api_keys] == ["k1", "k2"]


async def test_introspection_is_on_by_default(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "{ __schema { queryType { name } } }")
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_introspection_can_be_switched_off(settings: Settings) -> None:
    async with serving(settings, introspection=False) as http:
        schema = await graphql(http, "{ __schema { types { name } } }")
        named = await graphql(http, '{ __type(name: "Person") { name } }')
        typename = await graphql(http, "{ __typename }")
    for body in (schema, named):
        assert body.get("data") is None
        found: list[dict[str, Any]] = body["errors"]  # type: ignore[assignment]
        codes = {error["extensions"]["code"] for error in found}
        assert codes == {"INTROSPECTION_DISABLED"}
    assert typename == {"data": {"__typename": "Query"}}


async def test_graphiql_can_be_switched_off(settings: Settings) -> None:
    async with serving(settings, graphiql=False) as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 404


async def test_a_database_failure_is_masked(settings: Settings) -> None:
    # A database that does not exist: Neo4j answers every read with an error.
    async with serving(settings, neo4j_database="nosuchdb") as http:
        response = await http.post(
            "/graphql", json={"query": '{ entity(id: "kim-jong-un") { name } }'}
        )
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["message"] == "The graph database could not answer."
    assert error["extensions"] == {"code": "STORE_ERROR"}
    for leak in ("nosuchdb", "Neo.", "MATCH", "Traceback", "neo4j"):
        assert leak not in response.text
