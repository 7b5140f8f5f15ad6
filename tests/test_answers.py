"""The answer cache: a query asked again while the graph is unchanged is answered from memory,
and a commit by anyone (kg's loader, a mutation, a Cypher statement from elsewhere) is seen by
the next request."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import orjson
import pytest
from neo4j import AsyncDriver
from strawberry.types import ExecutionResult

from kg.api.answers import AnswerCache, CacheKey, GraphRevision, cache_key, is_query
from kg.config import Settings
from kg.store import GraphStore
from loaders.extract import CuratedExtractor
from loaders.pipeline import load_article
from tests.conftest import FIXTURES, graphql, serving
from tests.test_ingest import MUTATION
from tests.test_store import SECOND_ID, second_document

KIM = '{ entity(id: "kim-jong-un") { name relations(types: [MET_WITH]) { key } } }'
SECOND = f'{{ article(id: "{SECOND_ID}") {{ id title }} }}'


def _store_of(client: httpx.AsyncClient) -> GraphStore:
    store: GraphStore = client._transport.app.state.store  # type: ignore[attr-defined]
    return store


async def _answered(client: httpx.AsyncClient, source: str) -> float:
    """kg_graphql_answers_total{source=...} from the app's /metrics."""
    text = (await client.get("/metrics")).text
    found = re.search(rf'^kg_graphql_answers_total\{{source="{source}"\}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


async def _data(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = await graphql(client, query, variables)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]  # type: ignore[assignment]
    return data


async def test_a_query_asked_a_third_time_is_answered_without_reading_the_graph(
    seeded: GraphStore, settings: Settings
) -> None:
    async with serving(settings) as client:
        first = await _data(client, KIM)
        await _data(client, KIM)  # asked before: the answer is kept
        before = _store_of(client).statements
        again = await _data(client, KIM)
        assert _store_of(client).statements == before
        assert again == first
        assert first["entity"]["relations"]
        assert await _answered(client, "cache") == 1
        assert await _answered(client, "executed") == 2


async def test_a_query_asked_once_is_executed_without_reading_the_revision(
    seeded: GraphStore, settings: Settings
) -> None:
    async with serving(settings) as client:
        await _data(client, KIM)
        metrics = (await client.get("/metrics")).text
        assert re.search(r"^kg_graph_revision_reads_total 0\.0$", metrics, re.M)


async def test_a_cypher_write_from_elsewhere_is_seen_by_the_next_request(
    seeded: GraphStore, settings: Settings, driver: AsyncDriver
) -> None:
    async with serving(settings) as client:
        for _ in range(2):  # the second answer is kept
            assert (await _data(client, KIM))["entity"]["name"] == "Kim Jong Un"
        # As someone in Neo4j Browser would: a commit kg knows nothing of.
        await driver.execute_query(
            "MATCH (e:Entity {id: 'kim-jong-un'}) SET e.name = 'Kim Jong-un'",
            database_=settings.neo4j_database,
        )
        assert (await _data(client, KIM))["entity"]["name"] == "Kim Jong-un"


async def test_an_article_loaded_between_two_requests_is_in_the_second_answer(
    seeded: GraphStore, settings: Settings, extractor: CuratedExtractor
) -> None:
    async with serving(settings) as client:
        for _ in range(2):  # the second answer is kept
            assert (await _data(client, SECOND))["article"] is None
        raw = (FIXTURES / "second_article.json").read_bytes()
        await load_article(seeded, raw, "second_article.json", extractor, second_document())
        assert (await _data(client, SECOND))["article"]["id"] == SECOND_ID


async def test_the_same_document_with_other_variables_is_another_answer(
    seeded: GraphStore, settings: Settings
) -> None:
    query = "query($id: ID!) { entity(id: $id) { id } }"
    async with serving(settings) as client:
        for _ in range(2):  # the second answers are kept
            kim = await _data(client, query, id="kim-jong-un")
            kozlov = await _data(client, query, id="alexander-kozlov")
        assert (kim["entity"]["id"], kozlov["entity"]["id"]) == ("kim-jong-un", "alexander-kozlov")
        assert await _answered(client, "cache") == 0


async def test_a_mutation_is_executed_every_time(store: GraphStore, settings: Settings) -> None:
    variables = {"input": {"text": "Not an article."}}
    async with serving(settings) as client:
        for _ in range(3):
            body = await graphql(client, MUTATION, variables, {"X-API-Key": "test-key-1"})
            assert body["data"]["ingestArticle"]["__typename"] == "InvalidInput"  # type: ignore[index]
        assert await _answered(client, "cache") == 0
        assert await _answered(client, "executed") == 3


async def test_an_answer_with_errors_is_executed_every_time(
    seeded: GraphStore, settings: Settings
) -> None:
    async with serving(settings) as client:
        for _ in range(3):
            body = await graphql(client, '{ entity(id: "kim-jong-un") { nonsense } }')
            assert body["errors"]
        assert await _answered(client, "cache") == 0


async def test_with_no_memory_for_answers_every_request_reads_the_graph(
    seeded: GraphStore, settings: Settings
) -> None:
    async with serving(settings, answer_cache_mb=0.0) as client:
        for _ in range(2):
            await _data(client, KIM)
        before = _store_of(client).statements
        await _data(client, KIM)
        assert _store_of(client).statements == before + 1
        assert await _answered(client, "cache") == 0


async def test_requests_waiting_together_share_one_revision_read(
    store: GraphStore,
) -> None:
    revision = GraphRevision(store.revision)
    await revision.current()  # the first read runs alone
    answers = await asyncio.gather(*(revision.current() for _ in range(20)))
    assert len(set(answers)) == 1
    assert revision.reads <= 3  # one each for the first caller, and for those waiting after it


async def test_a_request_never_joins_a_revision_read_begun_before_it(
    store: GraphStore, driver: AsyncDriver, settings: Settings
) -> None:
    held = asyncio.Event()
    release = asyncio.Event()

    async def read() -> str:
        current = await store.revision()
        if not held.is_set():  # the first read is held after Neo4j answered it
            held.set()
            await release.wait()
        return current

    revision = GraphRevision(read)
    early = asyncio.create_task(revision.current())
    await held.wait()
    await driver.execute_query("CREATE (:Scratch)", database_=settings.neo4j_database)
    late = asyncio.create_task(revision.current())  # asked after the write committed
    await asyncio.sleep(0)
    release.set()
    assert await early != await late
    assert await late == await store.revision()


def _answer(size: int) -> ExecutionResult:
    return ExecutionResult(data={"text": "x" * size}, errors=None)


def _key(document: str, variables: dict[str, object] | None = None) -> CacheKey:
    key = cache_key(document, None, variables)
    assert key is not None
    return key


def test_the_least_recently_used_answers_leave_first_when_memory_runs_out() -> None:
    cache = AnswerCache(max_bytes=10_000)
    keys = [_key(f"{{ a{i} }}") for i in range(12)]
    assert cache.get(keys[0], "r1") is None  # the revision is now r1
    for key in keys:
        cache.put(key, "r1", _answer(1000))
        assert cache.get(keys[0], "r1") is not None  # used again and again: kept
    assert cache.bytes <= 10_000
    assert cache.get(keys[1], "r1") is None
    assert cache.get(keys[-1], "r1") is not None


def test_a_new_revision_empties_the_cache() -> None:
    cache = AnswerCache(max_bytes=10_000)
    key = _key("{ a }", {"x": 1})
    cache.get(key, "r1")
    cache.put(key, "r1", _answer(10))
    assert cache.get(key, "r1") is not None
    assert cache.get(key, "r2") is None
    assert len(cache) == 0


def test_an_answer_computed_before_the_newest_revision_is_not_kept() -> None:
    cache = AnswerCache(max_bytes=10_000)
    key = _key("{ a }")
    cache.get(key, "r2")
    cache.put(key, "r1", _answer(10))  # r1 was read before r2: the answer may be stale
    assert cache.get(key, "r2") is None


def test_an_answer_larger_than_an_eighth_of_the_memory_is_not_kept() -> None:
    cache = AnswerCache(max_bytes=10_000)
    key = _key("{ a }")
    cache.get(key, "r1")
    cache.put(key, "r1", _answer(2000))
    assert cache.get(key, "r1") is None


def test_a_request_is_worth_keeping_from_its_second_time() -> None:
    cache = AnswerCache(max_bytes=10_000)
    key = _key("{ a }")
    assert not cache.asked_before(key)
    assert cache.asked_before(key)
    assert not cache.asked_before(_key("{ a }", {"x": 1}))


def test_an_answer_is_kept_as_its_json() -> None:
    cache = AnswerCache(max_bytes=10_000)
    key = _key("{ a }")
    cache.get(key, "r1")
    cache.put(key, "r1", _answer(100))
    kept = cache.get(key, "r1")
    assert kept is not None
    assert orjson.loads(orjson.dumps({"data": kept.data})) == {"data": {"text": "x" * 100}}
    assert cache.bytes == len(orjson.dumps({"text": "x" * 100})) + len("{ a }") + len(b"{}")


def test_variables_in_another_order_are_the_same_request() -> None:
    assert cache_key("q", None, {"a": 1, "b": 2}) == cache_key("q", None, {"b": 2, "a": 1})


@pytest.mark.parametrize(
    ("document", "operation", "expected"),
    [
        ("{ a }", None, True),
        ("mutation { a }", None, False),
        ("query Q { a } mutation M { b }", "M", False),
        ("query Q { a } mutation M { b }", "Q", True),
        ("subscription { a }", None, False),
        ("{ a", None, False),
    ],
)
def test_only_query_operations_are_kept(
    document: str, operation: str | None, expected: bool
) -> None:
    assert is_query(document, operation) is expected
