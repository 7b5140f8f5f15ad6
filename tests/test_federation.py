"""kg as an Apollo Federation 2 subgraph (KG_GRAPHQL_FEDERATION=true), and the Relay node(id).

Nothing external is composed: the subgraph's SDL is checked as a gateway would read it, and
`_entities` resolves representations against the real seeded graph.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kg.api.app import create_app
from kg.api.schema import build_schema
from kg.config import Settings
from kg.ontology import entity_types
from kg.store import GraphStore
from tests.conftest import SEED_ID, graphql

ENTITIES = """query($representations: [_Any!]!) { _entities(representations: $representations) {
  __typename ... on Person { id name wikidata } ... on Country { id name } } }"""


@pytest.fixture
async def federated(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app with the federated schema, its lifespan running."""
    application = create_app(settings.model_copy(update={"graphql_federation": True}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://kg.test") as http:
            yield http


async def data(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = await graphql(client, query, variables)
    assert "errors" not in body, body
    answer: dict[str, Any] = body["data"]  # type: ignore[assignment]
    return answer


def test_federation_is_off_by_default() -> None:
    assert Settings.model_construct().graphql_federation is False
    assert Settings(_env_file=None, KG_GRAPHQL_FEDERATION="true").graphql_federation  # type: ignore[call-arg]


def test_the_plain_schema_has_no_federation() -> None:
    sdl = str(build_schema())
    assert "_service" not in sdl
    assert "_entities" not in sdl
    assert "@key" not in sdl
    assert "@link" not in sdl


async def test_service_sdl_keys_every_entity_type_by_id(
    seeded: GraphStore, federated: httpx.AsyncClient
) -> None:
    sdl = (await data(federated, "{ _service { sdl } }"))["_service"]["sdl"]
    assert 'schema @link(url: "https://specs.apollo.dev/federation/v2.0"' in sdl
    for label in entity_types():
        assert f'type {label} implements Entity & Node @key(fields: "id") {{' in sdl, label
    assert "union _Entity = Country | GovernmentBody |" in sdl
    # Only entities are keyed: articles, relations, sentences are kg's own value types.
    assert "type Article implements Node {" in sdl
    assert sdl.count("@key(") == len(entity_types())


async def test_entities_resolve_representations_from_the_graph(
    seeded: GraphStore, federated: httpx.AsyncClient
) -> None:
    representations = [
        {"__typename": "Person", "id": "kim-jong-un"},
        {"__typename": "Country", "id": "russia"},
        {"__typename": "Person", "id": "nobody"},
        {"__typename": "Country", "id": "kim-jong-un"},  # a Person's id: not a Country
    ]
    seeded.statements = 0
    answer = await data(federated, ENTITIES, representations=representations)
    assert answer["_entities"] == [
        {"__typename": "Person", "id": "kim-jong-un", "name": "Kim Jong Un", "wikidata": "Q56226"},
        {"__typename": "Country", "id": "russia", "name": "Russia"},
        None,
        None,
    ]


async def test_the_federated_schema_still_answers_ordinary_queries(
    seeded: GraphStore, federated: httpx.AsyncClient
) -> None:
    query = '{ entity(id: "alexander-kozlov") { __typename name relations(types: [HEADS]) '
    query += "{ object { __typename name } } } }"
    answer = await data(federated, query)
    assert answer["entity"]["__typename"] == "Person"
    heads = {r["object"]["name"]: r["object"]["__typename"] for r in answer["entity"]["relations"]}
    assert heads["Ministry of Natural Resources and Ecology"] == "GovernmentBody"


async def test_the_default_app_has_no_service_field(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(client, "{ _service { sdl } }")
    assert body["data"] is None
    errors: list[dict[str, Any]] = body["errors"]  # type: ignore[assignment]
    assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# -- node(id): the Relay refetch ------------------------------------------------------------

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Entity { name } ... on Article { title } } }"""


async def test_node_fetches_an_entity_by_its_id(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    answer = await data(client, NODE, id="kim-jong-un")
    assert answer["node"] == {"__typename": "Person", "id": "kim-jong-un", "name": "Kim Jong Un"}


async def test_node_fetches_an_article_by_its_id(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    answer = await data(client, NODE, id=SEED_ID)
    assert answer["node"]["__typename"] == "Article"
    assert answer["node"]["id"] == SEED_ID
    assert answer["node"]["title"].startswith("Kim Jong Un Meets With Russia")


async def test_node_takes_a_typed_id_and_the_type_must_match(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    assert (await data(client, NODE, id="Person:kim-jong-un"))["node"]["name"] == "Kim Jong Un"
    assert (await data(client, NODE, id=f"Article:{SEED_ID}"))["node"]["id"] == SEED_ID
    assert (await data(client, NODE, id="Country:kim-jong-un"))["node"] is None
    assert (await data(client, NODE, id="Article:kim-jong-un"))["node"] is None
    assert (await data(client, NODE, id="nobody"))["node"] is None


async def test_node_refuses_an_unknown_type(seeded: GraphStore, client: httpx.AsyncClient) -> None:
    body = await graphql(client, NODE, {"id": "Planet:earth"})
    errors: list[dict[str, Any]] = body["errors"]  # type: ignore[assignment]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "'Planet' is not a node type" in errors[0]["message"]


async def test_every_entity_id_in_an_answer_refetches_the_same_node(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    found = await data(client, '{ search(text: "Russia", first: 5) { __typename id name } }')
    assert found["search"]
    for item in found["search"]:
        refetched = await data(client, NODE, id=item["id"])
        assert refetched["node"] == item
