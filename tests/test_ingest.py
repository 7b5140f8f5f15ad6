"""The ingestArticle mutation: guarded by an API key, all or nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx

from kg.store import GraphStore
from tests.conftest import FIXTURES, SEED, SEED_ID, graphql
from tests.test_store import SECOND_ID, second_document

MUTATION = """mutation($input: IngestArticleInput!) { ingestArticle(input: $input) {
  __typename
  ... on IngestArticleSuccess { article { id title } extractor entities relations sentences }
  ... on InvalidInput { message problems }
  ... on NotAuthorized { message } } }"""


async def ingest(
    client: httpx.AsyncClient, variables: dict[str, Any], key: str | None = "test-key-2"
) -> dict[str, Any]:
    headers = {"X-API-Key": key} if key else {}
    body = await graphql(client, MUTATION, {"input": variables}, headers)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["ingestArticle"]  # type: ignore[index]
    return result


async def test_ingesting_without_a_key_is_not_authorized_and_writes_nothing(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    result = await ingest(client, {"text": SEED.read_text(encoding="utf-8")}, key=None)
    assert result["__typename"] == "NotAuthorized"
    assert await store.counts() == {}


async def test_ingesting_with_a_wrong_key_is_not_authorized(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    result = await ingest(client, {"text": SEED.read_text(encoding="utf-8")}, key="guess")
    assert result["__typename"] == "NotAuthorized"


async def test_ingesting_the_seed_uses_its_curated_annotation(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    result = await ingest(client, {"text": SEED.read_text(encoding="utf-8")})
    assert result["__typename"] == "IngestArticleSuccess"
    assert result["article"]["id"] == SEED_ID
    assert (result["extractor"], result["entities"], result["relations"]) == ("curated", 22, 35)


async def test_ingesting_a_json_article_with_its_annotation(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    text = (FIXTURES / "second_article.json").read_text(encoding="utf-8")
    result = await ingest(client, {"text": text, "annotation": second_document()})
    assert result["__typename"] == "IngestArticleSuccess"
    assert result["article"]["id"] == SECOND_ID
    assert result["extractor"] == "given"


async def test_an_annotation_with_a_dangling_id_is_refused_and_nothing_written(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    before = await seeded.dump()
    document = second_document()
    document["relations"][1]["subject"] = "nobody"
    text = (FIXTURES / "second_article.json").read_text(encoding="utf-8")
    result = await ingest(client, {"text": text, "annotation": document, "name": "wire.json"})
    assert result["__typename"] == "InvalidInput"
    assert result["problems"] == ["relations/1: subject 'nobody' is not an entity of this document"]
    assert await seeded.dump() == before


async def test_an_empty_article_is_refused_with_its_name(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    result = await ingest(client, {"text": "   ", "name": "blank.txt"})
    assert result == {
        "__typename": "InvalidInput",
        "message": "blank.txt: the article is empty",
        "problems": ["blank.txt: the article is empty"],
    }
    assert json.dumps(await store.counts()) == "{}"
