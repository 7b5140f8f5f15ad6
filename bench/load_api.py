"""A bounded load run against the running GraphQL API, on loopback.

    python -m bench.load_api http://127.0.0.1:8000/graphql [--clients 50] [--seconds 60]
        [--server-workers 1] [--docs docs/load-test.md]

`--clients` concurrent clients (asyncio tasks, each with its own httpx connection) send the
queries of README section 1 one after another, each client starting at another point of the
mix, until `--seconds` have passed (a request in flight at the deadline is finished and
counted). Every latency is recorded; the table (per query and overall: requests, requests/s,
failures, p50, p95, p99, max) is printed and, with `--docs`, written into the `## Load run`
section of that markdown file with the date and the machine. A request fails when the answer
is not 200, carries GraphQL errors or has no data, or when no answer comes (timeout,
connection error). Exit 1 on any failed request.

Before the clock starts every query is sent once and must answer with data (a graph without
the seed article would make the figures meaningless).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench._docs import write_section

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_CLIENTS = 500
MAX_SECONDS = 600.0
SEED_ARTICLE = "2024-11-19-kim-jong-un-meets-with-russias-natural-resources-minister-in-pyongyang"

# README section 1: the examples, as they are written there.
QUERIES: dict[str, str] = {
    "entity: who met Kim (relations, evidence)": """
{
  entity(id: "kim-jong-un") {
    name
    relations(types: [MET_WITH]) {
      subject { name } object { name } date dateText place { name } status
      attributedTo { name } topics evidence { text start end sentenceIndex }
    }
  }
}""",
    "entity: what Kozlov heads (nested relations)": """
{
  entity(id: "alexander-kozlov") {
    name
    description
    heads: relations(types: [HEADS], direction: OUT) {
      object { id name type relations(types: [PART_OF], direction: OUT) { object { name } } }
      role
    }
    office: relations(types: [OFFICIAL_OF], direction: OUT) { object { name } role }
  }
}""",
    "path: Putin to Kozlov": """
{
  path(from: "vladimir-putin", to: "alexander-kozlov") {
    __typename
    ... on Path {
      length
      entities { id name }
      relations {
        type subject { name } object { name } date evidence { text start end article { id } }
      }
    }
    ... on NoPath { message }
    ... on EntityNotFound { id message }
  }
}""",
    "relations: alleged or speculated": """
{
  relations(statuses: [alleged, speculated]) {
    type status subject { name } object { name } claim attributedTo { name } evidence { text }
  }
}""",
    "search: Kozl, korea (Country)": """
{
  search(text: "Kozl") { id name type }
  countries: search(text: "korea", types: [Country]) { id name aliases }
}""",
    "timeline: the treaty": """
{
  timeline(entity: "russia-north-korea-strategic-partnership-treaty") {
    date dateText type subject { name }
  }
}""",
    "article: sentences and their relations": f"""
{{
  article(id: "{SEED_ARTICLE}") {{
    title source published contentSha256
    sentences(includeBoilerplate: false) {{ index start end text relations {{ key status }} }}
  }}
}}""",
}


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds, of every request
    failures: int = 0


@dataclass
class LoadResult:
    url: str
    clients: int
    seconds: float  # asked for
    elapsed: float  # from the start to the last answer
    per_query: dict[str, Stats]
    failure_samples: list[str] = field(default_factory=list)
    failure_kinds: Counter[str] = field(default_factory=Counter)
    load_average: tuple[float, float] | None = None  # 1-minute, before and after the run

    @property
    def requests(self) -> int:
        return sum(len(s.latencies) for s in self.per_query.values())

    @property
    def failures(self) -> int:
        return sum(s.failures for s in self.per_query.values())


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"refusing {url}: only loopback URLs (127.0.0.1) may be loaded")


def failure_of(response: httpx.Response) -> str | None:
    """Why an answer counts as failed, or None when it is a good answer."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    try:
        payload: Any = response.json()
    except ValueError:
        return "not JSON"
    if not isinstance(payload, dict):
        return "not a JSON object"
    if payload.get("errors"):
        codes = {
            str((error.get("extensions") or {}).get("code", "NONE")) for error in payload["errors"]
        }
        return f"GraphQL errors {sorted(codes)}"
    data = payload.get("data")
    if not isinstance(data, dict) or any(value is None for value in data.values()):
        return "no data"
    return None


async def _client(
    index: int,
    url: str,
    deadline: float,
    request_timeout_s: float,
    result: LoadResult,
) -> None:
    names = list(QUERIES)
    position = index % len(names)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(timeout=request_timeout_s, limits=limits) as http:
        while time.perf_counter() < deadline:
            name = names[position]
            position = (position + 1) % len(names)
            stats = result.per_query[name]
            started = time.perf_counter()
            try:
                response = await http.post(url, json={"query": QUERIES[name]})
                why = failure_of(response)
                answer = response.text[:300]
            except httpx.HTTPError as exc:
                why, answer = f"no answer ({type(exc).__name__})", repr(exc)
            stats.latencies.append(time.perf_counter() - started)
            if why is not None:
                stats.failures += 1
                result.failure_kinds[why] += 1
                if len(result.failure_samples) < 5:
                    result.failure_samples.append(f"{name}: {why}: {answer}")


async def warm_up(url: str, request_timeout_s: float) -> None:
    """Every query once; each must answer with data."""
    async with httpx.AsyncClient(timeout=request_timeout_s) as http:
        for name, query in QUERIES.items():
            response = await http.post(url, json={"query": query})
            why = failure_of(response)
            if why is not None:
                raise RuntimeError(
                    f"warm-up: {name!r} failed ({why}); is the seed article loaded?\n"
                    f"{response.text[:500]}"
                )


async def run_load(
    url: str, clients: int = 50, seconds: float = 60.0, request_timeout_s: float = 30.0
) -> LoadResult:
    """`clients` concurrent clients for `seconds`; every latency is kept."""
    require_loopback(url)
    if not 1 <= clients <= MAX_CLIENTS or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"clients must be 1..{MAX_CLIENTS} and seconds 0..{MAX_SECONDS}")
    await warm_up(url, request_timeout_s)
    result = LoadResult(url, clients, seconds, 0.0, {name: Stats() for name in QUERIES})
    started = time.perf_counter()
    deadline = started + seconds
    async with asyncio.TaskGroup() as group:
        for index in range(clients):
            group.create_task(_client(index, url, deadline, request_timeout_s, result))
    result.elapsed = time.perf_counter() - started
    return result


def _row(name: str, latencies: list[float], failures: int, elapsed: float) -> str:
    ordered = sorted(latencies)
    ms = [percentile(ordered, p) * 1000 for p in (50, 95, 99)] + [
        (ordered[-1] if ordered else 0.0) * 1000
    ]
    rate = len(ordered) / elapsed if elapsed else 0.0
    cells = [name, str(len(ordered)), f"{rate:.1f}", str(failures), *(f"{v:.1f}" for v in ms)]
    return "| " + " | ".join(cells) + " |"


def table(result: LoadResult) -> str:
    lines = [
        "| query | requests | requests/s | failures | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, stats in result.per_query.items():
        lines.append(_row(name, stats.latencies, stats.failures, result.elapsed))
    every = [v for stats in result.per_query.values() for v in stats.latencies]
    lines.append(_row("**all**", every, result.failures, result.elapsed))
    return "\n".join(lines)


def machine() -> str:
    """CPUs, memory and CPU model of this machine, from /proc."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory, model = "unknown", platform.processor() or "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpus} CPUs (nproc), {memory} memory (MemTotal), {model}"


def report_markdown(result: LoadResult, server_workers: int) -> str:
    """The body of the `## Load run` section."""
    every = sorted(v for stats in result.per_query.values() for v in stats.latencies)
    overall = (
        f"{result.requests} requests in {result.elapsed:.1f} s "
        f"({result.requests / result.elapsed:.1f} requests/s), {result.failures} failed, "
        f"p50 {percentile(every, 50) * 1000:.1f} ms, p99 {percentile(every, 99) * 1000:.1f} ms"
    )
    lines = [
        f"Written by `python -m bench.load_api --docs` on {time.strftime('%Y-%m-%d %H:%M %Z')}.",
        "",
        f"- Target: `{result.url}` (loopback), uvicorn workers: {server_workers}.",
        f"- Machine: {machine()}; Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}. The API, its Neo4j and the load "
        "generator share this machine"
        + (
            f" (1-minute load average {result.load_average[0]:.2f} before the run, "
            f"{result.load_average[1]:.2f} after)."
            if result.load_average
            else "."
        ),
        f"- Load: {result.clients} concurrent clients (one keep-alive connection each) for "
        f"{result.seconds:g} s, each sending the {len(QUERIES)} queries of README section 1 "
        "in turn, without pause.",
        f"- Result: {overall}.",
        "",
        table(result),
    ]
    if result.failure_kinds:
        kinds = ", ".join(f"{k}: {n}" for k, n in result.failure_kinds.most_common())
        lines += ["", f"Failures: {kinds}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the GraphQL endpoint, e.g. http://127.0.0.1:8000/graphql")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument(
        "--server-workers", type=int, default=1, help="the server's uvicorn workers (recorded)"
    )
    parser.add_argument("--docs", help="write a '## Load run' section into this markdown file")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    try:
        result = asyncio.run(run_load(args.url, args.clients, args.seconds, args.timeout))
    except (ValueError, RuntimeError) as exc:
        print(f"load: {exc}", file=sys.stderr)
        return 2
    result.load_average = (load_before, os.getloadavg()[0])
    body = report_markdown(result, args.server_workers)
    print(body)
    for sample in result.failure_samples:
        print(f"FAILED {sample}")
    if args.docs:
        write_section(Path(args.docs), "Load run", body)
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
