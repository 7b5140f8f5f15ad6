"""A real Neo4j server started, checked and stopped, on its own home and ports (no mocks).

One start/stop cycle is shared by the module; the tests run in file order and the last one
stops the server. The first run on a machine also fetches the jars with Maven.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from pydantic import SecretStr

from kg import neo4j_server
from kg.config import NEO4J_VERSION, Settings
from kg.errors import Neo4jServerError

BOLT_PORT, HTTP_PORT = 17900, 17901
PASSWORD = "test-server-password"


def _settings(home: Path, uri: str = f"bolt://127.0.0.1:{BOLT_PORT}") -> Settings:
    return Settings(
        neo4j_uri=uri,
        neo4j_http_port=HTTP_PORT,
        neo4j_home=home,
        neo4j_password=SecretStr(PASSWORD),
        neo4j_heap="512m",  # small: the test graph is empty
        neo4j_pagecache="128m",
        neo4j_start_timeout_s=90.0,
    )


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = _settings(tmp_path_factory.mktemp("neo4j") / "home")
    try:
        yield settings
    finally:
        neo4j_server.stop(settings)  # whatever the tests did, leave no server behind


@pytest.fixture(scope="module")
def started(settings: Settings) -> neo4j_server.ServerStatus:
    return neo4j_server.start(settings)


def test_start_serves_bolt_and_browser(
    settings: Settings, started: neo4j_server.ServerStatus
) -> None:
    assert started.running
    assert started.bolt_ready
    assert started.pid is not None
    assert started.version == NEO4J_VERSION
    assert started.home == settings.neo4j_home.resolve()
    assert started.http_url == f"http://127.0.0.1:{HTTP_PORT}/browser/"
    assert neo4j_server.status(settings) == started

    with GraphDatabase.driver(started.bolt_uri, auth=("neo4j", PASSWORD)) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS one")
    assert records[0]["one"] == 1

    with urllib.request.urlopen("http://127.0.0.1:17901/browser/", timeout=10) as response:
        assert response.status == 200


def test_start_again_returns_the_running_server(
    settings: Settings, started: neo4j_server.ServerStatus
) -> None:
    again = neo4j_server.start(settings)
    assert again.pid == started.pid
    assert again.bolt_ready


def test_port_taken_by_something_else_is_named(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        other = _settings(tmp_path / "home", f"bolt://127.0.0.1:{port}")
        with pytest.raises(
            Neo4jServerError, match=rf"Bolt port 127\.0\.0\.1:{port} is already in use"
        ):
            neo4j_server.start(other)


@pytest.mark.parametrize(
    "uri", ["bolt://neo4j.example.com:7687", "neo4j+s://abc123.databases.neo4j.io"]
)
def test_external_neo4j_is_not_started(tmp_path: Path, uri: str) -> None:
    with pytest.raises(Neo4jServerError, match="external Neo4j"):
        neo4j_server.start(_settings(tmp_path / "home", uri))
    assert not (tmp_path / "home").exists()


def test_stop_ends_the_server_and_frees_the_ports(
    settings: Settings, started: neo4j_server.ServerStatus
) -> None:
    assert neo4j_server.stop(settings) is True
    after = neo4j_server.status(settings)
    assert not after.running
    assert after.pid is None
    assert not after.bolt_ready
    assert _port_free(BOLT_PORT)
    assert _port_free(HTTP_PORT)
    assert not (settings.neo4j_home / "run" / "kg-neo4j.pid").exists()
    assert neo4j_server.stop(settings) is False


def _java_options(pid: int) -> list[str]:
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return [a.decode() for a in arguments if a.startswith(b"-XX:") and b"Archive" in a]


def test_a_first_start_writes_the_class_archive_at_its_stop_and_later_starts_map_it(
    settings: Settings, tmp_path: Path
) -> None:
    # A cache of its own (its lib the real one, linked) that has no archive yet.
    real = neo4j_server.provision(settings)
    root = tmp_path / "cache" / f"neo4j-{NEO4J_VERSION}"
    root.mkdir(parents=True)
    (root / "lib").symlink_to(real, target_is_directory=True)
    (root / "lib.complete").write_text("linked\n")
    own = settings.model_copy(update={"neo4j_cache": tmp_path / "cache"})

    first = neo4j_server.start(own)
    assert first.pid is not None
    [writing] = _java_options(first.pid)
    assert writing.startswith("-XX:ArchiveClassesAtExit=")
    assert not list(root.glob("*.jsa"))
    neo4j_server.stop(own)
    [archive] = root.glob("*.jsa")

    console = settings.neo4j_home / "logs" / "console.log"
    written = console.stat().st_size
    second = neo4j_server.start(own)
    try:
        assert second.pid is not None
        assert _java_options(second.pid) == [f"-XX:SharedArchiveFile={archive}"]
        with console.open("rb") as log:
            log.seek(written)
            assert b"[cds]" not in log.read()  # the JVM took it: no warning that it could not
        assert second.bolt_ready
    finally:
        neo4j_server.stop(own)
