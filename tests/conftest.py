"""Fixtures: a real Neo4j for the whole run, and a known graph at the start of every test.

The tests use their own Neo4j (ports 17687/17474, home .kg/neo4j-test) so they never touch the
graph that `make run` serves. If it is not running, the session starts it with the project's
runner and stops it at the end. The tests empty the database before each test, so they ignore
NEO4J_URI and friends from the shell (which may name a real graph); KG_TEST_NEO4J_URI,
KG_TEST_NEO4J_PASSWORD point them at another disposable server on purpose.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from neo4j import AsyncDriver
from pydantic import SecretStr

from kg import neo4j_server
from kg.api.app import create_app
from kg.config import Settings
from kg.store import GraphStore, create_driver
from loaders.extract import CuratedExtractor
from loaders.pipeline import load_article

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "000_9e847efd11a92494.txt"
SEED_ID = "2024-11-19-kim-jong-un-meets-with-russias-natural-resources-minister-in-pyongyang"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

TEST_ENV = {
    "NEO4J_URI": "bolt://127.0.0.1:17687",
    "NEO4J_PASSWORD": "kg-test-password",
    "KG_NEO4J_HTTP_PORT": "17474",
    "KG_NEO4J_HOME": str(ROOT / ".kg" / "neo4j-test"),
    "KG_NEO4J_HEAP": "1g",
    "KG_NEO4J_PAGECACHE": "512m",
    "KG_DATA_DIR": str(ROOT / "data"),
}


def own_neo4j_settings(home: Path, bolt_port: int, http_port: int, password: str) -> Settings:
    """Settings for a Neo4j of a test module's own (its home under pytest's temp folder), for
    what must not run on the shared test server: an import replaces the whole database."""
    return Settings(
        _env_file=None,
        neo4j_uri=f"bolt://127.0.0.1:{bolt_port}",
        neo4j_user="neo4j",
        neo4j_password=SecretStr(password),
        neo4j_database="neo4j",
        neo4j_home=home,
        neo4j_http_port=http_port,
        neo4j_heap="512m",
        neo4j_pagecache="128m",
        neo4j_start_timeout_s=180.0,
        data_dir=ROOT / "data",
        api_keys=[],
    )


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    """Settings for the test Neo4j; the server is started for the session when it is not up."""
    os.environ.update(TEST_ENV)
    for name in ("NEO4J_URI", "NEO4J_PASSWORD"):
        if f"KG_TEST_{name}" in os.environ:
            os.environ[name] = os.environ[f"KG_TEST_{name}"]
    os.environ.pop("NEO4J_USER", None)
    os.environ.pop("NEO4J_DATABASE", None)
    os.environ["KG_API_KEYS"] = "test-key-1,test-key-2"
    current = Settings(_env_file=None)  # type: ignore[call-arg]  # pydantic-settings init arg
    started = False
    local = neo4j_server.is_local(current)
    if local and not neo4j_server.status(current).bolt_ready:
        neo4j_server.start(current)
        started = True
    yield current
    if started:
        neo4j_server.stop(current)


@pytest.fixture(scope="session")
async def driver(settings: Settings) -> AsyncIterator[AsyncDriver]:
    """The session's one driver, as the API and the CLI each have one."""
    made = create_driver(settings)
    yield made
    await made.close()


@pytest.fixture
async def store(driver: AsyncDriver, settings: Settings) -> GraphStore:
    """An empty graph with the constraints and indexes applied."""
    async with driver.session(database=settings.neo4j_database) as session:
        await (
            await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS")
        ).consume()
    graph_store = GraphStore(driver, settings.neo4j_database)
    await graph_store.apply_schema()
    graph_store.statements = 0
    return graph_store


@pytest.fixture
def extractor(settings: Settings) -> CuratedExtractor:
    return CuratedExtractor(settings.annotations_dir)


@pytest.fixture
async def seeded(store: GraphStore, extractor: CuratedExtractor) -> GraphStore:
    """The graph holding exactly the seed article and its curated facts."""
    await load_article(store, SEED.read_bytes(), str(SEED), extractor)
    store.statements = 0
    return store


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The real application, with its lifespan (its own driver) running."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in-process (ASGI), no network stubbed out."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kg.test") as http:
        yield http


@asynccontextmanager
async def serving(settings: Settings, **update: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app built with these settings changed, its lifespan running."""
    application = create_app(settings.model_copy(update=update))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://kg.test") as http:
            yield http


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, object]:
    """POST a GraphQL request; return the whole JSON answer (data and errors)."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body
