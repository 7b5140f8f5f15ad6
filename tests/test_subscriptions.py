"""Change notifications: the articleLoaded subscription over graphql-transport-ws, against a real
uvicorn server (`python -m kg serve`), and the in-process event bus behind it."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from strawberry.types import ExecutionResult
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from kg import domain
from kg.api.events import ArticleLoadedEvent, EventBus, SubscriberTooSlow
from kg.api.schema import build_schema
from kg.config import Settings
from kg.store import GraphStore
from tests.conftest import FIXTURES, ROOT
from tests.test_ingest import MUTATION
from tests.test_store import MET, SECOND_ID, second_document

SIGNED = "SIGNED|vladimir-putin|russia-north-korea-strategic-partnership-treaty|2024-06"
SUBSCRIPTION = """subscription { articleLoaded {
  article { id title }
  relations { key type subject { id } object { id } sources { id } } } }"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    """A real API process on a free port, over the test Neo4j; its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "KG_API_KEYS": "test-key-1",
        "KG_API_HOST": "127.0.0.1",
        "KG_GRAPHQL_FEDERATION": "false",
    }
    command = [sys.executable, "-m", "kg", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"the API exited with {process.returncode}:\n{output}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the API did not answer /health within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield client


async def _subscribe(url: str, query: str, operation_id: str = "1") -> ClientConnection:
    """Open a graphql-transport-ws connection, acknowledge it, start one subscription."""
    ws_url = url.replace("http://", "ws://") + "/graphql"
    websocket = await connect(ws_url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    assert websocket.subprotocol == "graphql-transport-ws"
    await websocket.send(json.dumps({"type": "connection_init", "payload": {}}))
    ack = json.loads(await asyncio.wait_for(websocket.recv(), 10))
    assert ack["type"] == "connection_ack", ack
    message = {"id": operation_id, "type": "subscribe", "payload": {"query": query}}
    await websocket.send(json.dumps(message))
    return websocket


async def _next_message(websocket: ClientConnection, seconds: float) -> dict[str, Any] | None:
    """The next message other than a ping (answered), or None after `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                message: dict[str, Any] = json.loads(await websocket.recv())
                if message["type"] == "ping":
                    await websocket.send(json.dumps({"type": "pong"}))
                    continue
                return message
    except TimeoutError:
        return None


async def _ingest_second(http: httpx.AsyncClient) -> dict[str, Any]:
    text = (FIXTURES / "second_article.json").read_text(encoding="utf-8")
    variables = {"input": {"text": text, "annotation": second_document()}}
    response = await http.post(
        "/graphql",
        json={"query": MUTATION, "variables": variables},
        headers={"X-API-Key": "test-key-1"},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["ingestArticle"]
    assert result["__typename"] == "IngestArticleSuccess", result
    return result


async def _ingest_until_heard(
    http: httpx.AsyncClient, websockets: list[ClientConnection]
) -> list[dict[str, Any]]:
    """Ingest, and again (it is idempotent) until every subscriber has heard of it.

    The server registers a subscription shortly after `subscribe` arrives, with no message to
    say so; an ingest that wins that race is, rightly, not heard.
    """
    heard: list[dict[str, Any] | None] = [None] * len(websockets)
    for _ in range(10):
        await _ingest_second(http)
        for index, websocket in enumerate(websockets):
            if heard[index] is None:
                heard[index] = await _next_message(websocket, 2.0)
        if all(heard):
            return [message for message in heard if message is not None]
    pytest.fail(f"the subscribers did not all hear the article: {heard}")


async def test_a_subscriber_hears_each_article_loaded_with_its_relations(
    seeded: GraphStore, server: str, http: httpx.AsyncClient
) -> None:
    websocket = await _subscribe(server, SUBSCRIPTION)
    try:
        (message,) = await _ingest_until_heard(http, [websocket])
        assert message["type"] == "next", message
        assert message["id"] == "1"
        assert "errors" not in message["payload"], message
        event = message["payload"]["data"]["articleLoaded"]
        assert event["article"] == {
            "id": SECOND_ID,
            "title": "Russian minister wraps up Pyongyang visit",
        }
        relations = {r["key"]: r for r in event["relations"]}
        assert set(relations) == {MET, SIGNED}
        assert relations[MET]["type"] == "MET_WITH"
        assert {relations[MET]["subject"]["id"], relations[MET]["object"]["id"]} == {
            "alexander-kozlov",
            "kim-jong-un",
        }
        # MET_WITH was in the seed already: the second article added its evidence.
        assert SECOND_ID in {s["id"] for s in relations[MET]["sources"]}
        assert relations[SIGNED]["subject"]["id"] == "vladimir-putin"

        # The client ends the subscription; the server says nothing more on it.
        await websocket.send(json.dumps({"id": "1", "type": "complete"}))
        await _ingest_second(http)
        assert await _next_message(websocket, 1.0) is None
    finally:
        await websocket.close()


async def test_every_subscriber_hears_the_same_event(
    seeded: GraphStore, server: str, http: httpx.AsyncClient
) -> None:
    first = await _subscribe(server, SUBSCRIPTION)
    second = await _subscribe(server, "subscription { articleLoaded { article { id } } }", "7")
    try:
        one, two = await _ingest_until_heard(http, [first, second])
        assert one["payload"]["data"]["articleLoaded"]["article"]["id"] == SECOND_ID
        assert two == {
            "id": "7",
            "type": "next",
            "payload": {"data": {"articleLoaded": {"article": {"id": SECOND_ID}}}},
        }
    finally:
        await first.close()
        await second.close()


async def test_a_refused_ingest_publishes_nothing(
    seeded: GraphStore, server: str, http: httpx.AsyncClient
) -> None:
    websocket = await _subscribe(server, SUBSCRIPTION)
    try:
        await asyncio.sleep(0.5)  # let the subscription register: a miss would pass wrongly
        refused = await http.post(
            "/graphql",
            json={"query": MUTATION, "variables": {"input": {"text": "   ", "name": "blank"}}},
            headers={"X-API-Key": "test-key-1"},
        )
        assert refused.json()["data"]["ingestArticle"]["__typename"] == "InvalidInput"
        unauthorized = await http.post(
            "/graphql", json={"query": MUTATION, "variables": {"input": {"text": "Title\n\nx"}}}
        )
        assert unauthorized.json()["data"]["ingestArticle"]["__typename"] == "NotAuthorized"
        assert await _next_message(websocket, 1.0) is None
    finally:
        await websocket.close()


async def test_the_websocket_speaks_only_graphql_transport_ws(server: str) -> None:
    ws_url = server.replace("http://", "ws://") + "/graphql"
    async with connect(ws_url, subprotocols=["graphql-ws"]) as websocket:  # type: ignore[list-item]
        assert websocket.subprotocol is None  # the legacy protocol is not offered
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(websocket.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4406  # "Subprotocol not acceptable"


# -- the in-process bus ---------------------------------------------------------------------


def _event(number: int) -> ArticleLoadedEvent:
    article = domain.Article(
        id=f"article-{number}", title=f"Article {number}", text="", content_sha256="", sentences=()
    )
    return ArticleLoadedEvent(article, ())


async def test_the_bus_fans_out_and_forgets_a_subscriber_that_left() -> None:
    bus = EventBus(queue_size=4)
    async with bus.subscribe() as one, bus.subscribe() as two:
        assert bus.subscribers == 2
        bus.publish(_event(1))
        assert (await anext(one)).article.id == "article-1"
        assert (await anext(two)).article.id == "article-1"
    assert bus.subscribers == 0
    bus.publish(_event(2))  # nobody listens: nothing to do


async def test_a_slow_subscriber_gets_what_was_queued_then_an_error() -> None:
    bus = EventBus(queue_size=2)
    async with bus.subscribe() as slow, bus.subscribe() as fast:
        for number in range(3):
            bus.publish(_event(number))
            assert (await anext(fast)).article.id == f"article-{number}"
        assert bus.subscribers == 1  # the slow one was cut off at the third event
        assert [(await anext(slow)).article.id for _ in range(2)] == ["article-0", "article-1"]
        with pytest.raises(SubscriberTooSlow) as refused:
            await anext(slow)
        assert refused.value.extensions == {"code": "SUBSCRIBER_TOO_SLOW"}


async def test_closing_the_bus_ends_every_subscription() -> None:
    bus = EventBus(queue_size=2)
    async with bus.subscribe() as waiting, bus.subscribe() as full:
        bus.publish(_event(1))
        bus.publish(_event(2))
        reader = asyncio.ensure_future(anext(waiting))
        assert (await reader).article.id == "article-1"
        assert (await anext(waiting)).article.id == "article-2"
        pending = asyncio.ensure_future(anext(waiting))
        await asyncio.sleep(0)
        bus.close()
        with pytest.raises(StopAsyncIteration):
            await pending
        assert [e.article.id async for e in full] == ["article-1", "article-2"]


async def test_the_subscription_ends_a_slow_subscriber_with_a_coded_error() -> None:
    """Through the schema: the queued events, then one result carrying SUBSCRIBER_TOO_SLOW."""
    bus = EventBus(queue_size=1)
    app = SimpleNamespace(state=SimpleNamespace(events=bus))
    context = SimpleNamespace(request=SimpleNamespace(scope={"app": app}), store=None)
    query = "subscription { articleLoaded { article { id } relations { key } } }"
    results = await build_schema().subscribe(query, context_value=context)
    assert not isinstance(results, ExecutionResult)
    stream = aiter(results)
    first = asyncio.ensure_future(anext(stream))
    for _ in range(500):  # the subscription registers once the stream is first read
        if bus.subscribers:
            break
        await asyncio.sleep(0.01)
    bus.publish(_event(1))
    assert (await first).data == {
        "articleLoaded": {"article": {"id": "article-1"}, "relations": []}
    }
    for number in (2, 3):  # nobody reads: the third finds the queue full
        bus.publish(_event(number))
    assert (await anext(stream)).data == {
        "articleLoaded": {"article": {"id": "article-2"}, "relations": []}
    }
    last = await anext(stream)
    assert last.data is None
    assert last.errors is not None
    assert [e.extensions for e in last.errors] == [{"code": "SUBSCRIBER_TOO_SLOW"}]
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    assert bus.subscribers == 0
