"""Query latency: five GraphQL queries over HTTP, side by side with hand-written Cypher.

Each question of bench/query_set.py is sent to the running API (`kg serve`) over loopback
HTTP (one keep-alive connection of bench/http1.py, a client that costs far less per request
than httpx) and run as one Cypher statement with the async neo4j
driver. Before the clock starts both answers of every question are compared and must hold the
same items (else it fails loudly); then both sides are warmed up and the measurements are
interleaved (question by question, the side that goes first alternating). Times include
decoding the answer: JSON by orjson, as the driver decodes records with its Rust extension
(stdlib json took 0.31 ms for a 100-relation answer of 22 kB, orjson 0.08 ms), and records
into dicts of their values.

    python -m bench.bench_queries http://127.0.0.1:28000/graphql [--n 200] [--warmup 20]
        [--json out.json]      # Neo4j from NEO4J_URI / NEO4J_PASSWORD
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
from neo4j import AsyncDriver, AsyncManagedTransaction

from bench.http1 import Http1Connection
from bench.load_api import percentile, require_loopback
from bench.query_set import BenchQuery, build_queries, pick_targets
from kg.config import Settings
from kg.store import create_driver

Call = Callable[[], Awaitable[int]]  # one request; returns the number of items answered


class Mismatch(RuntimeError):
    """GraphQL and Cypher do not answer the same: the comparison would not be fair."""


def _payload(query: BenchQuery) -> bytes:
    return json.dumps({"query": query.graphql, "variables": query.variables}).encode()


async def _graphql(http: Http1Connection, payload: bytes, name: str) -> dict[str, Any]:
    status, raw = await http.post(payload)
    body: dict[str, Any] = orjson.loads(raw)
    if status != 200 or body.get("errors") or not body.get("data"):
        raise RuntimeError(f"{name}: GraphQL failed: HTTP {status}: {raw[:500]!r}")
    return body["data"]  # type: ignore[no-any-return]


async def _cypher(driver: AsyncDriver, database: str, query: BenchQuery) -> list[dict[str, Any]]:
    async def work(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
        result = await tx.run(query.cypher, query.params)
        keys = result.keys()  # rows from the values: no deep transform as Result.data() does
        return [dict(zip(keys, values, strict=True)) for values in await result.values()]

    async with driver.session(database=database) as session:
        return await session.execute_read(work)


AskGraphQL = Callable[[BenchQuery], Awaitable[dict[str, Any]]]
"""Sends a question's GraphQL and answers its `data`."""


async def check_same(ask: AskGraphQL, driver: AsyncDriver, database: str, query: BenchQuery) -> int:
    """Both sides once; they must hold the same items, and some. Returns how many."""
    from_graphql = sorted(query.graphql_items(await ask(query)), key=repr)
    from_cypher = sorted(query.raw_items(await _cypher(driver, database, query)), key=repr)
    if len(from_graphql) != len(from_cypher):
        raise Mismatch(
            f"{query.name}: GraphQL answers {len(from_graphql)} items, Cypher "
            f"{len(from_cypher)}: the comparison would not be fair"
        )
    if from_graphql != from_cypher:
        diff = [pair for pair in zip(from_graphql, from_cypher, strict=True) if pair[0] != pair[1]]
        raise Mismatch(f"{query.name}: GraphQL and Cypher answer different items: {diff[:3]}")
    if not from_graphql:
        raise Mismatch(f"{query.name}: both answer nothing: nothing would be measured")
    return len(from_graphql)


def _summary(latencies: dict[str, list[float]], items: int) -> dict[str, Any]:
    ms = {side: sorted(v * 1000 for v in values) for side, values in latencies.items()}
    out: dict[str, Any] = {"items": items, "n": len(ms["graphql"])}
    for p in (50, 95):
        for side, ordered in ms.items():
            out[f"{side}_p{p}_ms"] = round(percentile(ordered, p), 2)
        out[f"ratio_p{p}"] = round(out[f"graphql_p{p}_ms"] / out[f"raw_p{p}_ms"], 2)
    return out


async def run(url: str, settings: Settings, n: int = 200, warmup: int = 20) -> dict[str, Any]:
    """Measure the five questions; returns {"targets": ..., "queries": {name: figures}}."""
    require_loopback(url)
    driver = create_driver(settings)
    database = settings.neo4j_database
    try:
        targets = await pick_targets(driver, database)
        queries = build_queries(targets)
        http = Http1Connection(url, timeout_s=60.0)
        try:

            async def ask(query: BenchQuery) -> dict[str, Any]:
                return await _graphql(http, _payload(query), query.name)

            items = {q.name: await check_same(ask, driver, database, q) for q in queries}
            sides = _sides(http, driver, database, queries)
            for _ in range(warmup):
                for per_query in sides.values():
                    for call in per_query.values():
                        await call()
            latencies: dict[str, dict[str, list[float]]] = {
                name: {side: [] for side in per_query} for name, per_query in sides.items()
            }
            for i in range(n):
                for query in queries:
                    order = list(sides[query.name].items())
                    shift = (i + len(query.name)) % len(order)
                    for side, call in order[shift:] + order[:shift]:
                        started = time.perf_counter()
                        await call()
                        latencies[query.name][side].append(time.perf_counter() - started)
        finally:
            http.close()
    finally:
        await driver.close()
    return {
        "targets": asdict(targets),
        "queries": {name: _summary(lat, items[name]) for name, lat in latencies.items()},
    }


def _sides(
    http: Http1Connection,
    driver: AsyncDriver,
    database: str,
    queries: list[BenchQuery],
) -> dict[str, dict[str, Call]]:
    def graphql(query: BenchQuery) -> Call:
        payload = _payload(query)

        async def call() -> int:
            return len(query.graphql_items(await _graphql(http, payload, query.name)))

        return call

    def raw(query: BenchQuery) -> Call:
        async def call() -> int:
            return len(query.raw_items(await _cypher(driver, database, query)))

        return call

    return {query.name: {"graphql": graphql(query), "raw": raw(query)} for query in queries}


def table(result: dict[str, Any]) -> str:
    """A markdown table of the figures, one row per question."""
    head = (
        "| query | items | GraphQL p50 | raw p50 | ratio p50 | GraphQL p95 | raw p95 | ratio p95 |"
    )
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    lines = [head, rule]
    for name, q in result["queries"].items():
        cells = [name, str(q["items"])]
        for p in (50, 95):
            cells += [f"{q[f'graphql_p{p}_ms']:.2f}", f"{q[f'raw_p{p}_ms']:.2f}"]
            cells.append(f"{q[f'ratio_p{p}']:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the GraphQL endpoint, e.g. http://127.0.0.1:28000/graphql")
    parser.add_argument("--n", type=int, default=200, help="measurements per query and side")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured rounds first")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, Settings(), args.n, args.warmup))
    print(json.dumps(result["targets"]))
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
