"""Every benchmark in one run: a dedicated Neo4j, the load, the API, latency and throughput.

    python -m bench.run --sizes 10000          # make bench-quick
    python -m bench.run --sizes 1000,100000    # make bench (--with-1m adds 1,000,000)

It runs its own Neo4j (Bolt 27687, HTTP 27474, home .kg/neo4j-bench). Before each size it
stops it, deletes the files of its `neo4j` database and starts it again: an empty graph
whatever the last run left (emptying 100k entities with Cypher runs out of transaction
memory), and the heap and page cache asked for apply. It then loads the synthetic corpus
with kg's writer (bench.bench_load.run), loads it again with `kg load --bulk` into a fresh
database (bench.bench_load.bulk; it must give the same counts), starts `kg serve --workers 2`
on port 28000 against that graph with its answer cache off, measures query latency
(bench.bench_queries) and, at the largest size, throughput (bench.bench_api), then
throughput again with the answer cache on (kg's default). Neo4j is stopped at
the end, also on failure. The tables are printed and written to docs/benchmarks.md and
docs/benchmarks.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench import bench_api, bench_load, bench_queries, report
from kg import neo4j_server
from kg.config import Settings
from kg.store import create_driver

ROOT = Path(__file__).resolve().parent.parent


BULK_MAX_ENTITIES = 200_000


def bench_settings(args: argparse.Namespace) -> Settings:
    """Settings for the bench's own Neo4j, whatever the shell's NEO4J_* say."""
    return Settings(
        _env_file=None,
        neo4j_uri=f"bolt://127.0.0.1:{args.bolt_port}",
        neo4j_user="neo4j",
        neo4j_password=SecretStr(args.password),
        neo4j_database="neo4j",
        neo4j_http_port=args.http_port,
        neo4j_home=Path(args.home),
        neo4j_heap=args.heap,
        neo4j_pagecache=args.pagecache,
        query_timeout_s=60.0,
    )


DISK_GB_PER_100K = 4.0  # a 100k run's bench home peaked at 2.4 GB (docs/performance.md)


def check_free_space(home: Path, largest: int, free_bytes: int | None = None) -> None:
    """Stop before anything is written when the disk that holds `home` has too little room
    for `largest` entities: a disk that fills in the middle of a load makes Neo4j panic
    (TransactionCommitFailed, "running out of disk space" in its debug log only)."""
    need_gb = max(1.0, largest / 100_000 * DISK_GB_PER_100K)
    where = home.expanduser().resolve()
    while not where.exists():
        where = where.parent
    free = shutil.disk_usage(where).free if free_bytes is None else free_bytes
    if free < need_gb * 2**30:
        raise SystemExit(
            f"the benchmark needs about {need_gb:.0f} GB free on the disk of {where} for "
            f"{largest:,} entities, and {free / 2**30:.1f} GB are free"
        )


def fresh_start(settings: Settings) -> int:
    """Stop the bench Neo4j, delete its database's files (never `system`), start it; its pid."""
    home = settings.neo4j_home.expanduser().resolve()
    if home in {ROOT / ".kg" / "neo4j", ROOT / ".kg" / "neo4j-test"}:
        raise SystemExit(f"refusing to wipe {home}: it is not a bench home")
    if settings.neo4j_database == "system":
        raise SystemExit("refusing to wipe the system database")
    neo4j_server.stop(settings)
    for folder in ("databases", "transactions"):
        shutil.rmtree(home / "data" / folder / settings.neo4j_database, ignore_errors=True)
    return neo4j_server.start(settings).pid or 0


@contextlib.contextmanager
def serving(
    settings: Settings, port: int, log_path: Path, answer_cache: bool
) -> Iterator[subprocess.Popen[bytes]]:
    """`kg serve --workers 2` against the bench Neo4j until /health answers; stopped after.
    Without `answer_cache`, every answer is computed (KG_ANSWER_CACHE_MB=0)."""
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
        "KG_API_HOST": "127.0.0.1",
        "KG_API_PORT": str(port),
        "KG_REQUIRE_KEY_FOR_QUERIES": "false",
        "KG_GRAPHQL_FEDERATION": "false",
        "KG_MAX_PAGE_SIZE": "100",
    }
    if not answer_cache:
        env["KG_ANSWER_CACHE_MB"] = "0"
    else:
        env.pop("KG_ANSWER_CACHE_MB", None)  # the default
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "kg", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own CLI, no shell
            [*command, "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/health", process, log_path)
        yield process
    finally:
        _stop(process)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310
            if answer.status == 200:
                return
        time.sleep(0.5)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
    raise RuntimeError(f"the API did not come up at {url}:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the API's process group (the supervisor and its workers), then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


async def _neo4j_version(settings: Settings) -> str:
    driver = create_driver(settings)
    try:
        result = await driver.execute_query(
            "CALL dbms.components() YIELD versions RETURN versions[0] AS v",
            database_=settings.neo4j_database,
        )
        return str(result.records[0]["v"])
    finally:
        await driver.close()


async def _load(size: int, naive_articles: int, settings: Settings) -> dict[str, Any]:
    """bench.bench_load.run, whether it is a coroutine function or a plain one."""
    result: Any = bench_load.run(size, naive_articles, settings)
    if inspect.isawaitable(result):
        result = await result
    return dict(result)


def one_size(
    args: argparse.Namespace, settings: Settings, size: int, largest: bool, neo4j_pid: int
) -> dict[str, Any]:
    """Load, serve, measure one size of the corpus."""
    print(f"== {size:,} entities: loading", flush=True)
    started = time.perf_counter()
    out: dict[str, Any] = {"load": asyncio.run(_load(size, args.naive_articles, settings))}
    print(f"   loaded in {time.perf_counter() - started:.0f} s: {out['load']}", flush=True)
    # The same corpus again, by `kg load --bulk` into a fresh database: the queries then run
    # on the imported graph, which must hold what the writer wrote.
    if size > BULK_MAX_ENTITIES:
        # The bulk import holds the whole graph in memory: about 2.2 GB at 100k entities, so
        # 1M would need more than this machine's 23.5 GiB beside Neo4j.
        print(f"   bulk import left out above {BULK_MAX_ENTITIES:,} entities", flush=True)
        return _measured(args, settings, size, largest, neo4j_pid, out)
    print(f"== {size:,} entities: bulk import into a fresh database", flush=True)
    fresh_start(settings)
    bulk = asyncio.run(bench_load.bulk(size, settings))
    print(f"   {bulk}", flush=True)
    for name in ("articles", "relationships_in_graph"):
        if bulk[f"bulk_{name}"] != out["load"][name]:
            raise SystemExit(
                f"the bulk import holds {bulk[f'bulk_{name}']} {name}, the writer wrote "
                f"{out['load'][name]}: not the same graph"
            )
    out["load"].update(bulk)
    neo4j_pid = neo4j_server.status(settings).pid or neo4j_pid
    return _measured(args, settings, size, largest, neo4j_pid, out)


def _measured(
    args: argparse.Namespace,
    settings: Settings,
    size: int,
    largest: bool,
    neo4j_pid: int,
    out: dict[str, Any],
) -> dict[str, Any]:
    """Serve the loaded graph and measure latency (and, at the largest size, throughput).

    Latency is measured with the answer cache off: each question is asked again and again,
    and the ratio to raw Cypher is about computing answers. Throughput is measured both ways.
    """
    url = f"http://127.0.0.1:{args.api_port}/graphql"
    log_path = ROOT / ".kg" / "bench" / f"api-{size}.log"
    throughput = largest and args.api_seconds > 0
    watch: dict[str, int] = {}
    with serving(settings, args.api_port, log_path, answer_cache=False) as api:
        print(f"== {size:,} entities: query latency (answer cache off)", flush=True)
        cpu = bench_api.CpuWatch({"api": api.pid, "neo4j": neo4j_pid}, own="bench")
        latency = asyncio.run(bench_queries.run(url, settings, args.n, args.warmup))
        out.update(latency, latency_cpu_s=cpu.used())
        print(bench_queries.table(latency), flush=True)
        if throughput:
            watch = {"api": api.pid, "neo4j": neo4j_pid}
            print(f"== {size:,} entities: API throughput, answer cache off", flush=True)
            computed = _throughput(args, settings, url, "raw", watch, "computed")
    if throughput:
        with serving(settings, args.api_port, log_path, answer_cache=True) as api:
            watch = {"api": api.pid, "neo4j": neo4j_pid}
            print(f"== {size:,} entities: API throughput, answer cache on", flush=True)
            cached = {
                client: _throughput(args, settings, url, client, watch, "cache")
                for client in ("raw", "httpx")
            }
        out["api"] = {**cached["raw"], "httpx_client": cached["httpx"], "computed": computed}
    # Kept as it comes, so that a later failure does not lose what was measured.
    (ROOT / ".kg" / "bench" / f"results-{size}.json").write_text(json.dumps(out, indent=2))
    return out


def _throughput(
    args: argparse.Namespace,
    settings: Settings,
    url: str,
    client: str,
    watch: dict[str, int],
    answers: str,
) -> dict[str, Any]:
    """One throughput run; `answers` says how the API answered (from the cache, or computed)."""
    figures: dict[str, Any] = asyncio.run(
        bench_api.run(url, settings, args.api_clients, args.api_seconds, client, watch)
    )
    figures["answers"] = answers
    print(json.dumps(figures), flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated entity counts")
    parser.add_argument("--with-1m", action="store_true", help="add 1,000,000 entities")
    parser.add_argument("--n", type=int, default=200, help="measurements per query and side")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--naive-articles",
        type=int,
        default=bench_load.BATCH_SIZE,
        help="the sample both writers write: one full batch of the batched writer by default",
    )
    parser.add_argument("--api-clients", type=int, default=32)
    parser.add_argument("--api-seconds", type=float, default=20.0, help="0 leaves it out")
    parser.add_argument("--api-port", type=int, default=28000)
    parser.add_argument("--bolt-port", type=int, default=27687)
    parser.add_argument("--http-port", type=int, default=27474)
    parser.add_argument(
        "--home", default=str(ROOT / ".kg" / "neo4j-bench"), help="its database is wiped"
    )
    parser.add_argument("--password", default="kg-bench-password")
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where the docs go")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if args.with_1m:
        sizes = sorted({*sizes, 1_000_000})
    settings = bench_settings(args)
    check_free_space(settings.neo4j_home, sizes[-1])
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    git_at_start = report.git_state()
    results: dict[int, dict[str, Any]] = {}
    version = ""
    try:
        for size in sizes:
            print(f"== Neo4j: a fresh database in {settings.neo4j_home}", flush=True)
            pid = fresh_start(settings)
            version = version or asyncio.run(_neo4j_version(settings))
            results[size] = one_size(args, settings, size, size == sizes[-1], pid)
    finally:
        print("== Neo4j: stopping", flush=True)
        neo4j_server.stop(settings)
    meta = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "wall_s": round(time.perf_counter() - started, 1),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "machine": report.machine(version, args.heap, args.pagecache),
        "git_at_start": git_at_start,
    }
    doc = report.build(results, meta)
    text = report.markdown(doc)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (args.out / "benchmarks.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {args.out / 'benchmarks.md'} and {args.out / 'benchmarks.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
