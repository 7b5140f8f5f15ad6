"""Load throughput: kg's batched writer against a naive one-statement-per-row writer.

Both write the same synthetic articles (bench/synthetic.py) into an emptied database: the
naive writer one transaction per article, kg's writer --batch-size articles per transaction
(as `kg load` does). The sample is one full batch by default (500 articles), each writer's
own unit of work: 500 transactions against one. (A 200-article sample, a partial batch, gave
ratios from 17.7x to 28x between runs: one commit weighed on it.) Prints relations per
second for each (the batched side the median of five writes), their ratio, the time for
the whole size with the batched writer, and the loader's peak memory. Uses the Neo4j that
NEO4J_URI / NEO4J_PASSWORD name (`make bench` starts a dedicated one): it EMPTIES it.

    python -m bench.bench_load --entities 10000 [--naive-articles 500] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import statistics
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from neo4j import AsyncDriver

from bench.naive_writer import write_naively
from bench.synthetic import generate
from kg.bulk import bulk_import, database_counts
from kg.config import Settings
from kg.domain import ArticleGraph
from kg.store import GraphStore, article_batches, create_driver

BATCH_SIZE = 500  # articles per transaction: about 5,000 relations with their evidence
BATCHED_WARMUPS = 4  # unmeasured writes of the sample first: Neo4j's JIT still compiles after two
BATCHED_REPEATS = 5  # the batched side's time is the median of this many writes of the sample


async def _empty(driver: AsyncDriver, database: str) -> None:
    async with driver.session(database=database) as session:
        # Relationships first, then nodes: DETACH DELETE of 10,000 nodes at once takes the
        # hubs' thousands of relationships with it and runs out of transaction memory at 100k.
        for statement in (
            "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
            "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS",
        ):
            await (await session.run(statement)).consume()


async def _batched(store: GraphStore, graphs: Iterable[ArticleGraph], batch_size: int) -> int:
    """Write the articles `batch_size` to a transaction; the relations written."""
    written = 0
    for batch in article_batches(graphs, batch_size, key=lambda g: g.article.id):
        await store.write_article_graphs(batch)
        written += sum(len(g.relations) for g in batch)
    return written


async def _naive(driver: AsyncDriver, database: str, graphs: list[ArticleGraph]) -> float:
    started = time.perf_counter()
    for graph in graphs:
        await write_naively(driver, database, graph)
    return time.perf_counter() - started


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def run(
    entities: int, naive_articles: int, settings: Settings, batch_size: int = BATCH_SIZE
) -> dict[str, Any]:
    """Measure, then leave the database holding the whole corpus written by kg's writer."""
    sample = list(itertools.islice(generate(entities), naive_articles))
    sample_relations = sum(len(g.relations) for g in sample)
    driver = create_driver(settings)
    try:
        store = GraphStore(driver, settings.neo4j_database, 600.0)
        await _empty(driver, settings.neo4j_database)
        await store.apply_schema()
        # Each side is warmed on the sample (query plans for every relation type and label,
        # page cache) just before it is measured: Neo4j replans a statement whose statistics
        # changed (emptying does that) once the plan is 10 s old, and neither side should
        # pay Cypher planning inside its measurement.
        await _naive(driver, settings.neo4j_database, sample[:50])
        await _empty(driver, settings.neo4j_database)
        naive_s = await _naive(driver, settings.neo4j_database, sample)
        await _empty(driver, settings.neo4j_database)
        # On a fresh server the batched writes slow down for a while: 20.0, 4.2, 3.0, 2.3,
        # 2.6, 2.4 s, then 1.7 to 2.4 s (100k sample, docs/performance.md, ninth round).
        # Measured after two, the sample ran at 2,250 relations/s where the whole 100k load,
        # 200 batches into a growing graph, averaged 2,489: so four unmeasured writes.
        for _ in range(BATCHED_WARMUPS):
            await _batched(store, sample, batch_size)
            await _empty(driver, settings.neo4j_database)
        # The batched side is one transaction of a few seconds, so one pause of the machine
        # moves it by a large share (the ratio ran from 18.7x to 24.2x between runs of the
        # same code): the median of five. The naive side, 500 transactions, averages itself.
        batched_s = []
        for _ in range(BATCHED_REPEATS):
            started = time.perf_counter()
            await _batched(store, sample, batch_size)
            batched_s.append(time.perf_counter() - started)
            await _empty(driver, settings.neo4j_database)
        sample_s = statistics.median(batched_s)
        # The whole corpus is generated as it is written: the loader's memory is the writer's.
        started = time.perf_counter()
        relations = await _batched(store, generate(entities), batch_size)
        full_s = time.perf_counter() - started
        counts = await store.counts()
    finally:
        await driver.close()
    return {
        "entities": entities,
        "articles": counts.get("Article", 0),
        "batch_size": batch_size,
        "relations_written": relations,
        "relationships_in_graph": sum(v for k, v in counts.items() if k.isupper()),
        "naive_sample_articles": len(sample),
        "naive_relations_per_s": round(sample_relations / naive_s, 1),
        "batched_sample_relations_per_s": round(sample_relations / sample_s, 1),
        "batched_sample_s": [round(t, 3) for t in batched_s],
        "naive_sample_s": round(naive_s, 3),
        "batched_vs_naive": round(naive_s / sample_s, 2),
        "full_load_s": round(full_s, 2),
        "relations_per_s": round(relations / full_s, 1),
        "loader_peak_rss_mb": _peak_rss_mb(),
    }


async def bulk(entities: int, settings: Settings) -> dict[str, Any]:
    """`kg load --bulk` of the whole corpus into the (empty) database: the time from the
    first generated article to a serving database with kg's schema, and the counts."""
    relations = 0

    def counted() -> Iterator[ArticleGraph]:
        nonlocal relations
        for graph in generate(entities):
            relations += len(graph.relations)
            yield graph

    started = time.perf_counter()
    done = await bulk_import(settings, counted())
    elapsed = time.perf_counter() - started
    counts = await database_counts(settings)
    return {
        "bulk_import_s": round(elapsed, 2),
        "bulk_steps_s": done.seconds,
        "bulk_relations_per_s": round(relations / elapsed, 1),
        "bulk_articles": counts.get("Article", 0),
        "bulk_relationships_in_graph": sum(v for k, v in counts.items() if k.isupper()),
        "bulk_peak_rss_mb": _peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=10000)
    parser.add_argument("--naive-articles", type=int, default=BATCH_SIZE)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = asyncio.run(run(args.entities, args.naive_articles, Settings(), args.batch_size))
    for key, value in result.items():
        print(f"{key:32} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
