"""API throughput: the entity query of bench/query_set.py under concurrent clients, on loopback.

`--clients` keep-alive connections, opened one after another (20 ms apart, not measured),
send the same request one after another for `--seconds` (a request in flight at the deadline
is finished and counted). The load generator shares the
machine with the API and Neo4j, so it is kept lean: the default client (`raw`) writes the
HTTP/1.1 request bytes itself on asyncio streams and checks each answer without decoding its
JSON (status 200, a `data.entity` object, no `errors`); `--client httpx` uses httpx with a
pool of the same size, for comparison. The CPU time each party used during the run (this
process, the process trees whose pids are given, and every other process together) is
reported, so one can see how much of the machine the client and others took. A request
fails on any other answer, a broken connection or a timeout; failed requests are not counted
in requests/s.

    python -m bench.bench_api http://127.0.0.1:28000/graphql [--clients 32] [--seconds 20]
        [--client raw|httpx]       # Neo4j from NEO4J_URI / NEO4J_PASSWORD, to pick the ids
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.http1 import Http1Connection
from bench.load_api import percentile, require_loopback
from bench.query_set import build_queries, pick_targets
from kg.config import Settings
from kg.store import create_driver

_GOOD_START = b'{"data":{"entity":{'


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    per_connection: list[int] = field(default_factory=list)  # successful requests of each client
    failures: int = 0
    failure_sample: str = ""

    def fail(self, why: str) -> None:
        self.failures += 1
        self.failure_sample = self.failure_sample or why


def _ok(status: int, body: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    if not body.startswith(_GOOD_START) or b'"errors"' in body:
        return f"no data or errors: {body[:200]!r}"
    return None


class Window:
    """The clock the clients share: each connects in turn (not measured), then all send for
    `seconds`. Connecting one after another lets both server workers accept some connections;
    opened all at once, one worker tends to take nearly all of them."""

    def __init__(self, clients: int, seconds: float, stagger_s: float) -> None:
        self._waiting, self.seconds, self.stagger_s = clients, seconds, stagger_s
        self.go = asyncio.Event()
        self.started = self.deadline = 0.0

    async def ready(self) -> None:
        """Wait until every client is connected; the last one starts the clock."""
        self._waiting -= 1
        if self._waiting == 0:
            self.started = time.perf_counter()
            self.deadline = self.started + self.seconds
            self.go.set()
        await self.go.wait()


class _RawConnection:
    """One keep-alive connection that sends the same request again and again."""

    def __init__(self, url: str, payload: bytes, request_timeout_s: float) -> None:
        self._http = Http1Connection(url, request_timeout_s)
        self._payload = payload

    async def send(self) -> str | None:
        """One request; None when it was answered well, else why not."""
        try:
            status, body = await self._http.post(self._payload)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            return f"no answer ({type(exc).__name__}: {exc})"
        return _ok(status, body)

    def close(self) -> None:
        self._http.close()


async def _raw_client(
    index: int, url: str, payload: bytes, window: Window, timeout_s: float, tally: Tally
) -> None:
    connection = _RawConnection(url, payload, timeout_s)
    await asyncio.sleep(index * window.stagger_s)
    await connection.send()  # connects; not measured
    await window.ready()
    answered = 0
    while time.perf_counter() < window.deadline:
        started = time.perf_counter()
        why = await connection.send()
        if why is None:
            tally.latencies.append(time.perf_counter() - started)
            answered += 1
        else:
            tally.fail(why)
    connection.close()
    tally.per_connection.append(answered)


async def _httpx_client(
    index: int, http: httpx.AsyncClient, url: str, payload: bytes, window: Window, tally: Tally
) -> None:
    headers = {"Content-Type": "application/json"}

    async def send() -> str | None:
        try:
            response = await http.post(url, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            return f"no answer ({type(exc).__name__})"
        return _ok(response.status_code, response.content)

    await asyncio.sleep(index * window.stagger_s)
    await send()  # grows the pool by a connection; not measured
    await window.ready()
    while time.perf_counter() < window.deadline:
        started = time.perf_counter()
        why = await send()
        if why is None:
            tally.latencies.append(time.perf_counter() - started)
        else:
            tally.fail(why)


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process and its live descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, seconds)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo += [child for child, (parent, _) in stats.items() if parent == pid]
    return total


def machine_busy_s() -> float:
    """CPU time the whole machine has spent busy (all cores, not idle nor waiting), /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]  # user..steal, less idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


class CpuWatch:
    """CPU seconds used by each party (this process and process trees) and by everything else."""

    def __init__(self, trees: dict[str, int], own: str = "load generator") -> None:
        self._trees, self._own = trees, own
        self._began = time.perf_counter()
        self._start = self._now()

    def _now(self) -> dict[str, float]:
        now = {self._own: time.process_time(), "machine": machine_busy_s()}
        return {**now, **{name: cpu_seconds(pid) for name, pid in self._trees.items()}}

    def used(self) -> dict[str, float]:
        """Seconds since the watch began; `other processes`: the machine's busy time not ours."""
        now = self._now()
        used = {name: round(now[name] - self._start[name], 1) for name in now}
        ours = sum(v for k, v in used.items() if k != "machine")
        used["other processes"] = round(max(0.0, used.pop("machine") - ours), 1)
        used["available"] = round((time.perf_counter() - self._began) * (os.cpu_count() or 1), 1)
        return used


async def load(
    url: str,
    payload: bytes,
    clients: int = 32,
    seconds: float = 20.0,
    client: str = "raw",
    watch: dict[str, int] | None = None,
    request_timeout_s: float = 30.0,
    stagger_s: float = 0.02,
) -> dict[str, Any]:
    """Send `payload` from `clients` connections for `seconds`; the figures as a dict."""
    require_loopback(url)
    tally, window = Tally(), Window(clients, seconds, stagger_s)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with (
        httpx.AsyncClient(timeout=request_timeout_s, limits=limits) as http,
        asyncio.TaskGroup() as group,
    ):
        for index in range(clients):
            if client == "httpx":
                group.create_task(_httpx_client(index, http, url, payload, window, tally))
            else:
                group.create_task(
                    _raw_client(index, url, payload, window, request_timeout_s, tally)
                )
        await window.go.wait()
        cpu, load_before = CpuWatch(watch or {}), os.getloadavg()[0]
    elapsed = time.perf_counter() - window.started
    ordered = sorted(v * 1000 for v in tally.latencies)
    return {
        "client": client,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(ordered),
        "requests_per_s": round(len(ordered) / elapsed, 1),
        "p50_ms": round(percentile(ordered, 50), 1),
        "p99_ms": round(percentile(ordered, 99), 1),
        "max_ms": round(ordered[-1] if ordered else 0.0, 1),
        "failures": tally.failures,
        # raw client: how evenly the connections were served (the workers each accept some)
        "per_connection_min_median_max": _spread(tally.per_connection),
        "failure_sample": tally.failure_sample,
        "cpu_s": cpu.used(),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def _spread(counts: list[int]) -> list[int]:
    ordered = sorted(counts)
    return [ordered[0], ordered[len(ordered) // 2], ordered[-1]] if ordered else []


async def entity_payload(settings: Settings) -> bytes:
    """The request body of the entity question, with ids picked from the graph."""
    driver = create_driver(settings)
    try:
        targets = await pick_targets(driver, settings.neo4j_database)
    finally:
        await driver.close()
    query = build_queries(targets)[0]
    return json.dumps({"query": query.graphql, "variables": query.variables}).encode()


async def run(
    url: str,
    settings: Settings,
    clients: int = 32,
    seconds: float = 20.0,
    client: str = "raw",
    watch: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Pick the entity question's ids, check one answer, then load the API with it."""
    payload = await entity_payload(settings)
    async with httpx.AsyncClient(timeout=60.0) as http:
        response = await http.post(
            url, content=payload, headers={"Content-Type": "application/json"}
        )
    why = _ok(response.status_code, response.content)
    if why is not None:
        raise RuntimeError(f"the entity query does not answer with data: {why}")
    return await load(url, payload, clients, seconds, client, watch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the GraphQL endpoint, e.g. http://127.0.0.1:28000/graphql")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--watch", type=int, nargs="*", default=[], help="pids to report CPU of")
    args = parser.parse_args()
    watch = {f"pid {pid}": pid for pid in args.watch}
    result = asyncio.run(run(args.url, Settings(), args.clients, args.seconds, args.client, watch))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
