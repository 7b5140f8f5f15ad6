"""Faults injected into a real Neo4j: outages, a killed loader, deadlocks (slow; no mocks).

The module runs its own Neo4j with the project's runner (`kg.neo4j_server`), on its own home
under pytest's temp folder and its own ports (Bolt 17920, HTTP 17921), and stops it at the end.
It never touches the shared test server (17687) or the development one (7687).

The corpus is the seed article, the six articles of tests/corpus and three editions of each of
them (the same text under another title, so another article id): 28 articles. Each is written
in its own transaction, which takes a few hundred milliseconds on a real server, so a load lasts
long enough to be interrupted half-way, and editions share relations (many sources each).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from neo4j import AsyncDriver, AsyncManagedTransaction
from neo4j.exceptions import TransientError

from kg import neo4j_server
from kg.api.app import create_app
from kg.config import Settings
from kg.errors import StoreError, StoreUnavailable
from kg.store import GraphStore, create_driver
from loaders.extract import AutoExtractor, CuratedExtractor
from loaders.gazetteer import default_gazetteer
from loaders.pipeline import article_files, build_article_graph
from loaders.rules import RulesExtractor
from tests.conftest import own_neo4j_settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ORIGINALS = [
    ROOT / "data" / "articles",
    ROOT / "tests" / "corpus" / "dev" / "articles",
    ROOT / "tests" / "corpus" / "heldout" / "articles",
]
EDITIONS = 3  # per original article: 7 originals + 7 * 3 editions = 28 articles
BOLT_PORT, HTTP_PORT = 17920, 17921
PASSWORD = "kg-fault-password"
RETRY_S = 2.0  # the driver's retry time here: a request fails fast while Neo4j is down
LOADER_EXIT_S = 60.0  # a loader whose Neo4j went away must have exited by then
WRITTEN_BEFORE_FAULT = 5  # articles committed before the fault is injected
DEADLOCK = "Neo.TransientError.Transaction.DeadlockDetected"
ARTICLES_QUERY = "{ articles(first: 3) { id } }"


def _settings(home: Path) -> Settings:
    """Settings for this module's Neo4j only; the environment and any .env are ignored."""
    return own_neo4j_settings(home, BOLT_PORT, HTTP_PORT, PASSWORD).model_copy(
        update={"neo4j_retry_s": RETRY_S}
    )


@pytest.fixture(scope="module")
def fault_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """This module's own Neo4j, running; stopped at the end whatever the tests did to it."""
    settings = _settings(tmp_path_factory.mktemp("faults-neo4j") / "home")
    try:
        neo4j_server.start(settings)
        yield settings
    finally:
        neo4j_server.stop(settings)


@pytest.fixture
async def neo4j_up(fault_settings: Settings) -> Settings:
    """Neo4j running (a test before may have stopped it) and the graph empty."""
    await asyncio.to_thread(neo4j_server.start, fault_settings)
    async with opened_store(fault_settings) as store:
        await store.apply_schema()
        await _empty(store)
    return fault_settings


@asynccontextmanager
async def opened_store(settings: Settings) -> AsyncIterator[GraphStore]:
    """A store on a driver of its own, closed afterwards."""
    driver = create_driver(settings)
    try:
        yield GraphStore(
            driver, settings.neo4j_database, settings.query_timeout_s, settings.neo4j_retry_s
        )
    finally:
        await driver.close()


async def _empty(store: GraphStore) -> None:
    driver: AsyncDriver = store._driver  # the store owns no "delete everything"; tests do
    async with driver.session(database=store._database) as session:
        await (
            await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS")
        ).consume()


def _edition(path: Path, number: int) -> bytes:
    """The article under another title ("Edition N: ..."): same body, another article id.

    The number goes first because an article id keeps only the first 80 characters of the
    title's slug: a suffix would be cut off and the editions would share the original's id.
    """
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        data["title"] = f"Edition {number}: {data['title']}"
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    text = path.read_text(encoding="utf-8")
    title, rest = text.split("\n", 1)
    return f"Edition {number}: {title}\n{rest}".encode()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of articles: the originals first, then edition 1 of each, and so on."""
    folder = tmp_path_factory.mktemp("faults-corpus")
    originals = article_files(ORIGINALS)
    assert len(originals) == 7
    for path in originals:
        (folder / f"000_{path.name}").write_bytes(path.read_bytes())
        for number in range(1, EDITIONS + 1):
            (folder / f"{number:03d}_{path.name}").write_bytes(_edition(path, number))
    return folder


def _loader_env(settings: Settings) -> dict[str, str]:
    """The shell's environment without any Neo4j or kg settings, then this module's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_"))}
    env.update(
        NEO4J_URI=settings.neo4j_uri,
        NEO4J_USER=settings.neo4j_user,
        NEO4J_PASSWORD=settings.neo4j_password.get_secret_value(),
        NEO4J_DATABASE=settings.neo4j_database,
        KG_NEO4J_RETRY_TIME=str(RETRY_S),
        KG_DATA_DIR=str(settings.data_dir),
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Loader:
    """`kg load CORPUS` running as its own process; its output goes to files."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    @classmethod
    def start(cls, settings: Settings, corpus: Path, logs: Path) -> Loader:
        logs.mkdir(parents=True, exist_ok=True)
        stdout, stderr = logs / "stdout.txt", logs / "stderr.txt"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
                # One article per transaction, so that the stop lands between commits of a
                # load still running (the default batch would write this corpus at once).
                [sys.executable, "-m", "kg", "load", "--batch-size", "1", str(corpus)],
                cwd=logs,  # no .env of the developer's is read
                env=_loader_env(settings),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        return cls(process, stdout, stderr)

    async def wait(self, within_s: float) -> int:
        """The exit code; fails the test if the process is still running after `within_s`."""
        deadline = time.monotonic() + within_s
        while (code := self.process.poll()) is None:
            if time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"kg load still running after {within_s:.0f}s:\n{self.output()}")
            await asyncio.sleep(0.1)
        return code

    def written(self) -> list[str]:
        """The article ids the loader reported as written (one line per committed article)."""
        lines = self.stdout.read_text(encoding="utf-8").splitlines()
        return [line.split(":", 1)[0] for line in lines if ": " in line and "entities" in line]

    def output(self) -> str:
        out = self.stdout.read_text(encoding="utf-8", errors="replace")
        err = self.stderr.read_text(encoding="utf-8", errors="replace")
        return f"--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-3000:]}"


async def _load_all(settings: Settings, corpus: Path, logs: Path) -> Loader:
    """A whole `kg load` to the end; it must succeed."""
    loader = Loader.start(settings, corpus, logs)
    code = await loader.wait(within_s=300)
    assert code == 0, loader.output()
    return loader


async def _dump(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    async with opened_store(settings) as store:
        return await store.dump()


async def _article_count(driver: AsyncDriver) -> int:
    records, _, _ = await driver.execute_query("MATCH (a:Article) RETURN count(a) AS n")
    return int(records[0]["n"])


async def _when_written(settings: Settings, loader: Loader, at_least: int) -> int:
    """Poll the Article count on a driver of our own until the loader has written `at_least`."""
    driver = create_driver(settings)
    try:
        deadline = time.monotonic() + 120
        while (count := await _article_count(driver)) < at_least:
            if loader.process.poll() is not None:
                pytest.fail(f"kg load ended before writing {at_least} articles:\n{loader.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"kg load wrote only {count} articles in 120s:\n{loader.output()}")
            await asyncio.sleep(0.02)
        return count
    finally:
        await driver.close()


@dataclass(frozen=True)
class ArticleFacts:
    """What one article contributes to the graph once its transaction has committed."""

    sentences: int
    mentions: int
    relation_keys: tuple[str, ...]
    evidence: dict[str, int]  # relation key -> pieces of evidence from this article


@pytest.fixture(scope="module")
def expected_facts(corpus: Path) -> dict[str, ArticleFacts]:
    """Every article's contribution, by article id, in load order (from the pipeline itself)."""
    extractor = AutoExtractor(
        CuratedExtractor(ROOT / "data" / "annotations"), RulesExtractor(default_gazetteer())
    )
    facts: dict[str, ArticleFacts] = {}
    for path in article_files([corpus]):
        graph, _ = build_article_graph(path.read_bytes(), str(path), extractor)
        evidence: Counter[str] = Counter()
        for relation in graph.relations:
            evidence[relation.key] += len(relation.evidence)
        facts[graph.article.id] = ArticleFacts(
            sentences=len(graph.article.sentences),
            mentions=len(set(graph.mentions)),
            relation_keys=tuple(sorted({r.key for r in graph.relations})),
            evidence=dict(evidence),
        )
    assert len(facts) == 7 * (EDITIONS + 1), "every edition must have an article id of its own"
    return facts


async def _stored_facts(settings: Settings) -> dict[str, ArticleFacts]:
    """Each Article in the graph, with what the graph holds of it."""
    async with opened_store(settings) as store:
        driver: AsyncDriver = store._driver
        articles, _, _ = await driver.execute_query(
            "MATCH (a:Article)"
            " OPTIONAL MATCH (a)-[:HAS_SENTENCE]->(s:Sentence)"
            " WITH a, count(s) AS sentences"
            " OPTIONAL MATCH (a)-[:HAS_SENTENCE]->(:Sentence)-[m:MENTIONS]->(:Entity)"
            " RETURN a.id AS id, sentences, count(m) AS mentions, a.relation_keys AS keys"
        )
        evidence_rows, _, _ = await driver.execute_query(
            "MATCH (:Entity)-[r]->(:Entity) UNWIND r.evidence_articles AS article"
            " RETURN article, r.key AS key, count(*) AS n"
        )
        source_rows, _, _ = await driver.execute_query(
            "MATCH (:Entity)-[r]->(:Entity) UNWIND r.sources AS article"
            " RETURN article, collect(r.key) AS keys"
        )
    evidence: dict[str, dict[str, int]] = {}
    for row in evidence_rows:
        evidence.setdefault(row["article"], {})[row["key"]] = row["n"]
    sourced = {row["article"]: sorted(row["keys"]) for row in source_rows}
    stored: dict[str, ArticleFacts] = {}
    for row in articles:
        keys = tuple(sorted(row["keys"] or ()))
        assert list(keys) == sourced.get(row["id"], []), f"{row['id']}: sources disagree"
        stored[row["id"]] = ArticleFacts(
            row["sentences"], row["mentions"], keys, evidence.get(row["id"], {})
        )
    return stored


async def _assert_whole_articles(
    settings: Settings, expected: dict[str, ArticleFacts]
) -> list[str]:
    """Every article in the graph is complete, and they are the first ones in load order."""
    stored = await _stored_facts(settings)
    order = list(expected)
    present = [article_id for article_id in order if article_id in stored]
    assert set(present) == set(stored), "the graph holds articles that were not loaded"
    assert present == order[: len(present)], "articles were written out of order or skipped"
    for article_id in present:
        assert stored[article_id] == expected[article_id], f"{article_id} is partly written"
    return present


# -- 1. Transactions and idempotency under faults ------------------------------------------------


@pytest.fixture(scope="module")
async def reference_dump(
    fault_settings: Settings, corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, Any]]]:
    """The canonical dump of the whole corpus loaded once into an empty graph."""
    await asyncio.to_thread(neo4j_server.start, fault_settings)
    async with opened_store(fault_settings) as store:
        await store.apply_schema()
        await _empty(store)
    await _load_all(fault_settings, corpus, tmp_path_factory.mktemp("reference-load"))
    dump = await _dump(fault_settings)
    articles = [n for n in dump["nodes"] if "Article" in n["labels"]]
    assert len(articles) == 7 * (EDITIONS + 1)
    print(
        f"\nreference dump: {len(dump['nodes'])} nodes ({len(articles)} articles),"
        f" {len(dump['relationships'])} relationships"
    )
    return dump


async def test_load_interrupted_by_neo4j_stop_fails_cleanly_and_rerun_equals_clean_load(
    neo4j_up: Settings,
    corpus: Path,
    tmp_path: Path,
    reference_dump: dict[str, list[dict[str, Any]]],
    expected_facts: dict[str, ArticleFacts],
) -> None:
    settings = neo4j_up
    loader = Loader.start(settings, corpus, tmp_path / "interrupted")
    seen = await _when_written(settings, loader, WRITTEN_BEFORE_FAULT)

    stopped_at = time.monotonic()
    assert await asyncio.to_thread(neo4j_server.stop, settings)
    code = await loader.wait(within_s=LOADER_EXIT_S)
    exit_after = time.monotonic() - stopped_at
    stderr = loader.stderr.read_text(encoding="utf-8")
    assert code == 2, loader.output()
    assert "error:" in stderr
    # Which error it names depends on the moment of the stop: the one test below pins it.
    assert "while writing article" in stderr, loader.output()
    assert "Traceback" not in stderr

    await asyncio.to_thread(neo4j_server.start, settings)
    present = await _assert_whole_articles(settings, expected_facts)
    reported = loader.written()
    # The loader prints an article after its commit; one commit may be lost with its answer.
    assert reported == present[: len(reported)]
    assert len(reported) <= len(present) <= len(reported) + 1
    assert WRITTEN_BEFORE_FAULT <= len(present) < len(expected_facts), "not stopped mid-load"
    print(
        f"\nstop: {seen} articles seen before the stop, {len(present)} in the graph after it"
        f" ({len(reported)} reported), loader exited with 2 after {exit_after:.1f}s"
    )

    await _load_all(settings, corpus, tmp_path / "rerun")
    assert await _dump(settings) == reference_dump


async def test_load_killed_midway_leaves_whole_articles_and_rerun_equals_clean_load(
    neo4j_up: Settings,
    corpus: Path,
    tmp_path: Path,
    reference_dump: dict[str, list[dict[str, Any]]],
    expected_facts: dict[str, ArticleFacts],
) -> None:
    settings = neo4j_up
    loader = Loader.start(settings, corpus, tmp_path / "killed")
    seen = await _when_written(settings, loader, WRITTEN_BEFORE_FAULT)
    loader.process.send_signal(signal.SIGKILL)
    assert await loader.wait(within_s=10) == -signal.SIGKILL

    present = await _assert_whole_articles(settings, expected_facts)
    assert WRITTEN_BEFORE_FAULT <= len(present) < len(expected_facts), "not killed mid-load"
    print(f"\nkill: {seen} articles seen before SIGKILL, {len(present)} in the graph after it")

    await _load_all(settings, corpus, tmp_path / "rerun")
    assert await _dump(settings) == reference_dump


async def test_write_caught_by_neo4j_shutdown_is_reported_as_store_unavailable(
    neo4j_up: Settings, corpus: Path
) -> None:
    """A write in flight when Neo4j is stopped must fail as StoreUnavailable (Neo4j is going
    away), which the CLI says as "Neo4j is unavailable" and the API as SERVICE_UNAVAILABLE.

    Another session holds the lock on the article's node, so the write is in flight for sure
    when the stop begins. Neo4j then answers it with DatabaseUnavailable (a transient error,
    retried until the retry time is up) or LockClientStopped (its transaction was terminated).
    """
    settings = neo4j_up
    seed = corpus / "000_000_9e847efd11a92494.txt"
    extractor = CuratedExtractor(settings.annotations_dir)
    graph, _ = build_article_graph(seed.read_bytes(), str(seed), extractor)
    holder = create_driver(settings)
    try:
        async with (
            opened_store(settings) as store,
            holder.session(database=settings.neo4j_database) as session,
        ):
            tx = await session.begin_transaction()
            lock = "MERGE (a:Article {id: $id}) SET a.held = true"
            await (await tx.run(lock, id=graph.article.id)).consume()
            write = asyncio.create_task(store.write_article_graph(graph))
            await asyncio.sleep(1.0)  # the write now waits for the lock
            assert not write.done()
            stopping = asyncio.create_task(asyncio.to_thread(neo4j_server.stop, settings))
            with pytest.raises(StoreError) as caught:
                await asyncio.wait_for(write, timeout=LOADER_EXIT_S)
            assert await stopping
    finally:
        await holder.close()
    print(f"\nwrite during shutdown: {type(caught.value).__name__}: {caught.value}")
    assert isinstance(caught.value, StoreUnavailable), (
        f"{type(caught.value).__name__}: {caught.value}"
    )


# -- 2. Neo4j outages ----------------------------------------------------------------------------


async def _graphql(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_outage_gives_service_unavailable_and_the_same_app_answers_after_restart(
    neo4j_up: Settings, corpus: Path
) -> None:
    settings = neo4j_up
    seed = corpus / "000_000_9e847efd11a92494.txt"
    extractor = CuratedExtractor(settings.annotations_dir)
    async with opened_store(settings) as store:
        graph, used = build_article_graph(seed.read_bytes(), str(seed), extractor)
        assert used == "curated"
        await store.write_article_graph(graph)
    answer = {"data": {"articles": [{"id": graph.article.id}]}}

    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kg.test") as c,
    ):
        assert (await c.get("/health")).status_code == 200
        assert await _graphql(c, ARTICLES_QUERY) == answer

        assert await asyncio.to_thread(neo4j_server.stop, settings)
        started = time.monotonic()
        health = await c.get("/health")
        health_s = time.monotonic() - started
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"

        started = time.monotonic()
        body = await _graphql(c, ARTICLES_QUERY)
        query_s = time.monotonic() - started
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert body["errors"][0]["message"] == "The graph database is unavailable; retry later."
        assert health_s < 5
        assert query_s < RETRY_S + 8

        await asyncio.to_thread(neo4j_server.start, settings)
        restarted = time.monotonic()
        while (body := await _graphql(c, ARTICLES_QUERY)) != answer:
            assert time.monotonic() - restarted < 30, f"no answer 30s after restart: {body}"
            await asyncio.sleep(0.5)
        back_s = time.monotonic() - restarted
        assert (await c.get("/health")).status_code == 200
    print(
        f"\noutage: /health 503 after {health_s:.2f}s, SERVICE_UNAVAILABLE after {query_s:.2f}s,"
        f" answered again {back_s:.2f}s after Bolt was back"
    )


async def test_a_read_asked_while_neo4j_restarts_is_answered_once_it_is_back(
    neo4j_up: Settings, corpus: Path
) -> None:
    settings = neo4j_up
    seed = corpus / "000_000_9e847efd11a92494.txt"
    async with opened_store(settings) as store:
        graph, _ = build_article_graph(
            seed.read_bytes(), str(seed), CuratedExtractor(settings.annotations_dir)
        )
        await store.write_article_graph(graph)
    assert await asyncio.to_thread(neo4j_server.stop, settings)
    driver = create_driver(settings)
    try:
        # Reads are auto-commit transactions the store runs again itself (GraphStore._read).
        patient = GraphStore(driver, settings.neo4j_database, read_retry_s=120.0)
        asked = time.monotonic()
        read = asyncio.create_task(patient.articles_by_id([graph.article.id]))
        await asyncio.sleep(1.0)
        assert not read.done()  # still retrying: Neo4j is down
        await asyncio.to_thread(neo4j_server.start, settings)
        found = await asyncio.wait_for(read, timeout=60)
        waited_s = time.monotonic() - asked
    finally:
        await driver.close()
    assert list(found) == [graph.article.id]
    assert found[graph.article.id].title == graph.article.title
    print(f"\nthe read was answered {waited_s:.1f}s after it was asked, across the restart")


async def _deadlock_pair(
    driver: AsyncDriver,
    settings: Settings,
    write: Any,
) -> tuple[list[BaseException | None], Counter[str]]:
    """Two transactions that lock A then B and B then A, forced to interleave into a deadlock.

    `write(session, work)` runs one unit of work in a session; each attempt is counted.
    """
    attempts: Counter[str] = Counter()
    holds = {"ab": asyncio.Event(), "ba": asyncio.Event()}

    def unit(name: str, first: str, then: str, other: str) -> Any:
        async def work(tx: AsyncManagedTransaction) -> None:
            attempts[name] += 1
            lock = "MATCH (n:FaultLock {id: $id}) SET n.writes = n.writes + 1"
            await (await tx.run(lock, id=first)).consume()
            holds[name].set()
            await asyncio.wait_for(holds[other].wait(), timeout=10)  # both hold one lock now
            await (await tx.run(lock, id=then)).consume()

        return work

    async def run(name: str, first: str, then: str, other: str) -> None:
        async with driver.session(database=settings.neo4j_database) as session:
            await write(session, unit(name, first, then, other))

    outcomes = await asyncio.gather(
        run("ab", "A", "B", "ba"), run("ba", "B", "A", "ab"), return_exceptions=True
    )
    return list(outcomes), attempts


async def _lock_nodes(driver: AsyncDriver) -> dict[str, int]:
    records, _, _ = await driver.execute_query(
        "MATCH (n:FaultLock) RETURN n.id AS id, n.writes AS writes"
    )
    return {r["id"]: r["writes"] for r in records}


async def test_deadlock_in_managed_transactions_is_retried_until_both_commit(
    neo4j_up: Settings,
) -> None:
    settings = neo4j_up.model_copy(update={"neo4j_retry_s": 15.0})
    driver = create_driver(settings)  # kg's own driver configuration
    try:
        await driver.execute_query(
            "UNWIND ['A', 'B'] AS id CREATE (:FaultLock {id: id, writes: 0})"
        )

        async def managed(session: Any, work: Any) -> None:
            await session.execute_write(work)

        outcomes, attempts = await _deadlock_pair(driver, settings, managed)
        assert outcomes == [None, None]  # both committed, no error reached the caller
        assert sorted(attempts.values()) == [1, 2]  # the deadlock victim ran a second time
        assert await _lock_nodes(driver) == {"A": 2, "B": 2}  # its first attempt left nothing
    finally:
        await driver.close()
    print(f"\ndeadlock, managed: attempts {dict(attempts)}")


async def test_deadlock_in_an_unmanaged_transaction_reaches_the_caller_as_transient(
    neo4j_up: Settings,
) -> None:
    """The contrast: without a managed transaction nothing retries the victim."""
    settings = neo4j_up
    driver = create_driver(settings)
    try:
        await driver.execute_query(
            "UNWIND ['A', 'B'] AS id CREATE (:FaultLock {id: id, writes: 0})"
        )

        async def unmanaged(session: Any, work: Any) -> None:
            tx = await session.begin_transaction()
            try:
                await work(tx)
                await tx.commit()
            finally:
                await tx.close()

        outcomes, attempts = await _deadlock_pair(driver, settings, unmanaged)
        errors = [o for o in outcomes if o is not None]
        assert len(errors) == 1, outcomes
        assert isinstance(errors[0], TransientError)
        assert errors[0].code == DEADLOCK
        assert errors[0].is_retryable()
        assert attempts == {"ab": 1, "ba": 1}
        assert await _lock_nodes(driver) == {"A": 1, "B": 1}  # only the survivor's writes
    finally:
        await driver.close()
