"""Operations: /metrics, request ids, JSON logs, /ready, and a graceful shutdown of `kg serve`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from neo4j import AsyncDriver
from prometheus_client.parser import text_string_to_metric_families

from kg.config import Settings
from kg.errors import StoreError
from kg.store import GraphStore
from tests.conftest import ROOT, SEED, graphql, serving

ARTICLES = "{ articles(first: 5) { id } }"


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, by name and labels."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_requests_latency_and_round_trips(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    before = await scrape(client)
    body = await graphql(client, ARTICLES)
    assert "errors" not in body, body
    after = await scrape(client)

    ok = {"method": "POST", "path": "/graphql", "status": "200"}
    assert (
        value(after, "kg_http_requests_total", **ok)
        == value(before, "kg_http_requests_total", **ok) + 1
    )
    count = "kg_http_request_seconds_count"
    assert value(after, count, path="/graphql") == value(before, count, path="/graphql") + 1
    assert value(after, "kg_http_request_seconds_bucket", path="/graphql", le="+Inf") >= 1
    assert value(after, "kg_neo4j_statements_total") > value(before, "kg_neo4j_statements_total")
    # The scrape itself is a request too, counted once it has been answered.
    scraped = {"method": "GET", "path": "/metrics", "status": "200"}
    assert value(after, "kg_http_requests_total", **scraped) >= 1


async def test_unknown_paths_share_one_label(client: httpx.AsyncClient) -> None:
    for path in ("/nothing-here", "/wp-admin/x", "/a/b/c"):
        assert (await client.get(path)).status_code == 404
    after = await scrape(client)
    assert value(after, "kg_http_requests_total", method="GET", path="other", status="404") == 3
    assert not [key for key in after if ("path", "/nothing-here") in key[1]]


async def test_errors_are_counted_by_code(settings: Settings, client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    await graphql(client, "{ noSuchField }")
    await graphql(client, '{ search(text: "x", first: 100000) { id } }')
    too_large = await client.post("/graphql", content=b"x" * (settings.max_body_bytes + 1))
    assert too_large.status_code == 413
    after = await scrape(client)
    for code in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "REQUEST_TOO_LARGE"):
        name = "kg_graphql_errors_total"
        assert value(after, name, code=code) == value(before, name, code=code) + 1, code


async def test_refused_queries_count_as_unauthenticated(settings: Settings) -> None:
    async with serving(settings, require_key_for_queries=True) as client:
        response = await client.post("/graphql", json={"query": ARTICLES})
        assert response.status_code == 401
        after = await scrape(client)
    assert value(after, "kg_graphql_errors_total", code="UNAUTHENTICATED") == 1
    assert value(after, "kg_http_requests_total", method="POST", path="/graphql", status="401")


async def test_articles_written_through_the_api_are_counted(
    store: GraphStore, client: httpx.AsyncClient
) -> None:
    mutation = """mutation($input: IngestArticleInput!) { ingestArticle(input: $input) {
      __typename ... on IngestArticleSuccess { relations } } }"""
    variables = {"input": {"text": SEED.read_text(encoding="utf-8"), "name": SEED.name}}
    body = await graphql(client, mutation, variables, {"X-API-Key": "test-key-1"})
    result = body["data"]["ingestArticle"]  # type: ignore[index]
    assert result["__typename"] == "IngestArticleSuccess"
    after = await scrape(client)
    assert value(after, "kg_articles_loaded_total") == 1
    assert value(after, "kg_relations_loaded_total") == result["relations"]


async def test_each_app_has_its_own_registry(settings: Settings, client: httpx.AsyncClient) -> None:
    await client.get("/health")
    async with serving(settings) as other:
        fresh = await scrape(other)
    assert value(fresh, "kg_http_requests_total", method="GET", path="/health", status="200") == 0


async def test_metrics_can_be_switched_off(settings: Settings) -> None:
    async with serving(settings, metrics=False) as client:
        assert (await client.get("/metrics")).status_code == 404


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "abc-123.x:y_z"})
    assert given.headers["x-request-id"] == "abc-123.x:y_z"
    made = await client.get("/health")
    assert len(made.headers["x-request-id"]) == 32
    int(made.headers["x-request-id"], 16)
    assert made.headers["x-request-id"] != (await client.get("/health")).headers["x-request-id"]
    # Anything that is not a plain token could forge log lines: it is replaced, not echoed.
    for hostile in ("a b", "x" * 129, 'id\\n{"level":"ERROR"}', ""):
        answer = await client.get("/health", headers={"X-Request-ID": hostile})
        assert answer.headers["x-request-id"] != hostile
        assert len(answer.headers["x-request-id"]) == 32


async def test_json_logs_carry_the_request_id(
    settings: Settings, seeded: GraphStore, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        async with serving(settings, log_format="json") as client:
            capsys.readouterr()
            await client.post(
                "/graphql", json={"query": ARTICLES}, headers={"X-Request-ID": "req-json-1"}
            )
            logging.getLogger("kg.test").warning("outside any request")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        _remove_kg_handlers()
    access = [e for e in lines if e["logger"] == "kg.access" and e["request_id"] == "req-json-1"]
    assert len(access) == 1, lines
    entry = access[0]
    assert entry["method"] == "POST"
    assert entry["path"] == "/graphql"
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    assert entry["level"] == "INFO"
    assert {"time", "message"} <= set(entry)
    outside = [e for e in lines if e["logger"] == "kg.test"]
    assert outside == [{**outside[0], "request_id": None, "level": "WARNING"}]


def _remove_kg_handlers() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "kg_handler", False)]:
        root.removeHandler(handler)


def test_log_settings_are_checked() -> None:
    chosen = Settings.model_validate({"KG_LOG_FORMAT": "JSON", "KG_LOG_LEVEL": "debug"})
    assert (chosen.log_format, chosen.log_level) == ("json", "DEBUG")
    with pytest.raises(ValueError, match=r"KG_LOG_FORMAT|log_format"):
        Settings.model_validate({"KG_LOG_FORMAT": "xml"})


async def test_ready_needs_the_constraints_and_indexes(
    seeded: GraphStore, driver: AsyncDriver, settings: Settings, client: httpx.AsyncClient
) -> None:
    ready = await client.get("/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    try:
        async with driver.session(database=settings.neo4j_database) as session:
            await (await session.run("DROP CONSTRAINT entity_id IF EXISTS")).consume()
            await (await session.run("DROP INDEX entity_names IF EXISTS")).consume()
        missing = await client.get("/ready")
        assert missing.status_code == 503
        assert missing.json()["missing"] == ["entity_id", "entity_names"]
        assert (await client.get("/health")).status_code == 200  # alive, but not ready
    finally:
        await _reapply_schema(seeded)
    assert (await client.get("/ready")).status_code == 200


async def _reapply_schema(store: GraphStore) -> None:
    """apply_schema, again if another test run on the same Neo4j deadlocks it."""
    for attempt in range(5):
        try:
            await store.apply_schema()
            return
        except StoreError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.5)


async def test_ready_says_503_when_neo4j_is_unreachable(settings: Settings) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with serving(settings, neo4j_uri=f"bolt://127.0.0.1:{port}") as client:
        answer = await client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["neo4j"] == "unreachable"


# ---- a real `kg serve` process ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(
    settings: Settings, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """`python -m kg serve` on a free loopback port, JSON logs into a file."""
    port = _free_port()
    log = tmp_path / "api.log"
    env = {**os.environ, "KG_LOG_FORMAT": "json", "KG_GRAPHIQL": "false"}
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "kg", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        yield process, base, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_sigterm_lets_the_request_in_flight_finish(
    seeded: GraphStore, server: tuple[subprocess.Popen[bytes], str, Path]
) -> None:
    process, base, log = server
    # The body arrives in two parts; SIGTERM is sent between them, so the request is in flight.
    query = json.dumps({"query": ARTICLES}).encode()
    first_part_sent, signalled = threading.Event(), threading.Event()

    def body() -> Iterator[bytes]:
        yield query[:10]
        first_part_sent.set()
        signalled.wait(timeout=10)
        time.sleep(0.5)  # uvicorn has begun to shut down by now
        yield query[10:]

    answers: list[httpx.Response | BaseException] = []

    def post() -> None:
        try:
            headers = {"Content-Type": "application/json", "X-Request-ID": "in-flight-1"}
            answers.append(
                httpx.post(f"{base}/graphql", content=body(), headers=headers, timeout=20)
            )
        except BaseException as exc:
            answers.append(exc)

    client = threading.Thread(target=post)
    client.start()
    assert first_part_sent.wait(timeout=10)
    time.sleep(0.5)  # the server has read the headers and is waiting for the rest of the body
    process.send_signal(signal.SIGTERM)
    signalled.set()
    client.join(timeout=20)
    code = process.wait(timeout=15)

    text = log.read_text(errors="replace")
    assert answers, text
    answer = answers[0]
    assert isinstance(answer, httpx.Response), (answer, text)
    assert answer.status_code == 200, text
    assert "articles" in answer.json()["data"], text  # another run may have emptied the graph
    # uvicorn shuts down cleanly, then re-raises the SIGTERM it caught, so that whoever started
    # the process sees the usual "ended by SIGTERM" status (143 in a shell).
    assert code in (0, -signal.SIGTERM), text
    entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    messages = [e["message"] for e in entries]
    assert "kg shut down; Neo4j driver closed" in messages, text
    served = [e for e in entries if e.get("request_id") == "in-flight-1"]
    assert served, text
    assert served[0]["status"] == 200, text
    # The request finished before the driver was closed.
    assert messages.index(served[0]["message"]) < messages.index(
        "kg shut down; Neo4j driver closed"
    )
