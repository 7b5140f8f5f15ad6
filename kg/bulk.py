"""Bulk load: articles into an empty database through Neo4j's offline importer.

For a first load of many articles, `neo4j-admin database import full` builds the store files
directly, without a transaction per batch: the articles' graph is built in memory
(store.bulk.GraphBuilder, the graph the writer would leave), written as the importer's CSV
(store.admin_csv.write_csv), imported while the local server is stopped, and finished by
after-import.cypher (kg's constraints and indexes, the empty lists CSV cannot carry). Only an
empty database is replaced, so nothing stored can be lost; later articles go through the
writer (`kg load`).
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg import neo4j_server
from kg.config import Settings
from kg.domain import ArticleGraph
from kg.errors import KgError, Neo4jServerError
from kg.store import GraphStore, create_driver
from kg.store.admin_csv import after_import_statements, write_csv
from kg.store.bulk import GraphBuilder


class NotEmpty(KgError):
    """The database holds a graph already: a bulk import would replace it."""


@dataclass(frozen=True)
class BulkImport:
    """What a bulk import did, and where its time went (seconds per step)."""

    articles: int
    nodes: int
    relationships: int
    seconds: dict[str, float]


async def database_counts(settings: Settings) -> dict[str, int]:
    """GraphStore.counts of the settings' database, through a driver of its own: a bulk
    import stops and restarts the server, so no driver outlives it."""
    driver = create_driver(settings)
    try:
        return await GraphStore(driver, settings.neo4j_database).counts()
    finally:
        await driver.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: the build makes millions of small dicts and lists
    that all live until the CSV is written, and the collector walked them again and again
    (at 20k entities the build took 8.9 s with it, 3.7 s without)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(graphs: Iterable[ArticleGraph]) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """The articles' graph in GraphStore.dump()'s shape, and how many articles gave it."""
    builder, articles = GraphBuilder(), 0
    for graph in graphs:
        builder.add(graph)
        articles += 1
    return builder.dump(), articles


def _csv_parts() -> int:
    """How many processes write the CSV: one a core, at most four (each part walks its share
    of the built graph, and a forked process copies what it touches)."""
    return max(1, min(4, os.cpu_count() or 1))


async def bulk_import(settings: Settings, graphs: Iterable[ArticleGraph]) -> BulkImport:
    """Load the articles into the local server's empty database with neo4j-admin, leaving the
    server running; the graph is the one `kg load` would write. A clash between articles is
    an InvalidDocument, and the server is started again with its database as it was."""
    clock = {"start": time.perf_counter()}

    def lap(name: str) -> None:
        now = time.perf_counter()
        clock[name], clock["start"] = round(now - clock["start"], 2), now

    if not neo4j_server.is_local(settings):
        raise KgError(
            f"a bulk import works on the files of the local Neo4j that kg runs, and "
            f"NEO4J_URI={settings.neo4j_uri} names another server: load it with `kg load` "
            "(without --bulk)"
        )
    home = settings.neo4j_home.expanduser().resolve()
    if not neo4j_server.status(settings).running:
        # NEO4J_URI may reach another server on this machine (Docker, say): its files are
        # not ours to replace.
        raise KgError(
            f"a bulk import works on the files of the Neo4j that kg runs itself, and the one "
            f"of {home} is not running: start it with `kg neo4j start`, or load with `kg load` "
            "(without --bulk)"
        )
    counts = await database_counts(settings)
    if counts:
        held = ", ".join(f"{n:,} {name}" for name, n in sorted(counts.items()))
        raise NotEmpty(
            f"the database {settings.neo4j_database!r} is not empty ({held}): a bulk import "
            "replaces the whole database, so it only loads into an empty one; load into a "
            "graph that has data with `kg load` (without --bulk)"
        )
    (home / "import").mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="kg-bulk-", dir=home / "import"))
    # The server stops on one core while the graph is built on the other; if the build
    # fails (a clash between articles), it is started again, its database as it was: empty.
    # Then the CSV is written in parts side by side, one a core, in forked processes: the
    # stopping thread is gone by then, so that no thread of ours is caught in a fork.
    pool = ThreadPoolExecutor(1)
    stopping = pool.submit(neo4j_server.stop, settings)
    try:
        with _collector_paused():
            dump, articles = _build(graphs)
            lap("build_s")
            stopping.result()
            pool.shutdown()
            lap("stop_s")
            export = write_csv(dump, folder, _csv_parts())
            nodes, relationships = len(dump["nodes"]), len(dump["relationships"])
            del dump
    except BaseException:
        pool.shutdown()
        stopping.result()
        neo4j_server.start(settings)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    lap("csv_s")
    try:
        options = ("--overwrite-destination=true", f"--report-file={folder / 'import.report'}")
        try:
            neo4j_server.import_database(
                settings, export.command(settings.neo4j_database, *options)[1:]
            )
        except Neo4jServerError:
            # Whatever the importer left is dropped: the database comes back empty, as it was.
            for part in ("databases", "transactions"):
                shutil.rmtree(home / "data" / part / settings.neo4j_database, ignore_errors=True)
            raise
        finally:
            lap("import_s")
            neo4j_server.start(settings)
            lap("start_s")
        # A driver of its own: the server restarted, and the one that counted before holds
        # connections to the process that is gone.
        driver = create_driver(settings)
        try:
            store = GraphStore(driver, settings.neo4j_database, settings.query_timeout_s)
            await store.finish_import(after_import_statements(export.after_import))
        finally:
            await driver.close()
        lap("after_import_s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    del clock["start"]
    return BulkImport(articles, nodes, relationships, clock)
