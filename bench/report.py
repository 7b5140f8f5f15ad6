"""The benchmark report: docs/benchmarks.json (figures, targets) and docs/benchmarks.md (tables).

`build(results, meta)` turns the per-size results of bench/run.py into the JSON document;
`markdown(doc)` renders it. Nothing here measures anything.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from bench.bench_queries import table as latency_table

GROWTH_QUERIES = ("entity", "search", "timeline")
ROOT = Path(__file__).resolve().parent.parent


def machine(neo4j_version: str, heap: str, pagecache: str) -> dict[str, Any]:
    """CPU model, cores, memory, Python, Neo4j and the commit the figures were taken at."""
    model, memory_gib = "unknown", 0.0
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.splitlines()
                if "model name" in line
            ),
            platform.processor() or "unknown",
        )
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": memory_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "neo4j": neo4j_version,
        "neo4j_heap": heap,
        "neo4j_pagecache": pagecache,
        **git_state(),
    }


def git_state() -> dict[str, Any]:
    """The commit, and the tracked files changed and not committed."""

    def git(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.rstrip("\n")

    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if line[:2] != "??"]
    return {"git_commit": git("rev-parse", "--short", "HEAD"), "git_uncommitted": changed}


def _target(description: str, value: Any, met: bool | None) -> dict[str, Any]:
    return {"target": description, "value": value, "met": met}


def build(results: dict[int, dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON document from {size: {"load", "targets", "queries", "api"?}} and run facts."""
    sizes = sorted(results)
    smallest, largest = results[sizes[0]], results[sizes[-1]]
    growth: dict[str, dict[str, Any]] = {}
    for name, figures in largest["queries"].items():
        first = smallest["queries"][name]
        several = len(sizes) > 1
        growth[name] = {
            "p50_ratio": round(figures["graphql_p50_ms"] / first["graphql_p50_ms"], 2)
            if several
            else None,
            "p95_ratio": round(figures["graphql_p95_ms"] / first["graphql_p95_ms"], 2)
            if several
            else None,
            "items": [first["items"], figures["items"]],
            "sizes": [sizes[0], sizes[-1]],
        }
    load = largest["load"]
    api = _per_request(largest.get("api") or {})
    if "computed" in api:
        api["computed"] = _per_request(api["computed"])
    ratios = {name: q["ratio_p50"] for name, q in largest["queries"].items()}
    growth95 = {name: growth[name]["p95_ratio"] for name in GROWTH_QUERIES if name in growth}
    load_100k = results.get(100_000, {}).get("load", {})
    at_100k = load_100k.get("bulk_import_s")
    rate = api.get("requests_per_s")
    computed_rate = (api.get("computed") or {}).get("requests_per_s")
    targets = {
        "graphql_p50_within_1_5x_raw": _target(
            f"GraphQL p50 at most 1.5x raw Cypher p50, every query, at {sizes[-1]} entities",
            ratios,
            all(r <= 1.5 for r in ratios.values()),
        ),
        "batched_at_least_20x_naive": _target(
            "batched writer at least 20x the naive one (relations/s)",
            load.get("batched_vs_naive"),
            load["batched_vs_naive"] >= 20 if "batched_vs_naive" in load else None,
        ),
        "load_100k_under_120_s": _target(
            "the 100k-entity corpus loads in under 120 s: `kg load --bulk` into an empty "
            "database (kg's transactional writer alongside)",
            {"bulk": at_100k, "writer": load_100k.get("full_load_s")} if load_100k else None,
            None if at_100k is None else at_100k < 120,
        ),
        "p95_growth_at_most_3x": _target(
            "GraphQL p95 at the largest size at most 3x that at the smallest: "
            + ", ".join(GROWTH_QUERIES)
            + (f" ({sizes[0]} to {sizes[-1]} entities)" if len(sizes) > 1 else " (needs 2 sizes)"),
            growth95,
            None if len(sizes) < 2 else all(v <= 3 for v in growth95.values()),
        ),
        "api_at_least_500_req_s": _target(
            "entity query at least 500 requests/s with `kg serve --workers 2` (as served by "
            "default: repeated answers from the answer cache, checked against the graph's "
            "revision on every request; every answer computed alongside)",
            None if rate is None else {"answer cache": rate, "computed": computed_rate},
            None if rate is None else rate >= 500,
        ),
    }
    return {
        **meta,
        "sizes": sizes,
        "queries": largest["queries"],
        "load": {
            "batched_vs_naive": load.get("batched_vs_naive"),
            "relations_per_s": load.get("relations_per_s"),
            "bulk_import_s": load.get("bulk_import_s"),
            "bulk_relations_per_s": load.get("bulk_relations_per_s"),
            "per_size": {str(size): results[size]["load"] for size in sizes},
        },
        "growth": growth,
        "api": api,
        "targets": targets,
        "per_size": {
            str(size): {
                "targets": results[size]["targets"],
                "queries": results[size]["queries"],
                "cpu_s": results[size].get("latency_cpu_s", {}),
            }
            for size in sizes
        },
    }


def _per_request(api: dict[str, Any]) -> dict[str, Any]:
    """CPU ms per answered request, by party, and the rate the machine's cores would allow
    if they did nothing else: CPU time per request hardly depends on other load."""
    if not api.get("requests"):
        return api
    cores = len(os.sched_getaffinity(0))
    parties = ("load generator", "api", "neo4j")
    per = {k: round(api["cpu_s"][k] * 1000 / api["requests"], 1) for k in parties}
    ceiling = round(cores * 1000 / sum(per.values()), 1) if sum(per.values()) else None
    return {**api, "cpu_ms_per_request": per, "requests_per_s_if_alone": ceiling}


def _met(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items())
    return "n/a" if value is None else str(value)


def _cpu(used: dict[str, Any]) -> str:
    parties = ", ".join(f"{k} {v}" for k, v in used.items() if k != "available")
    return f"{parties} (of {used.get('available', '?')} available)"


def markdown(doc: dict[str, Any]) -> str:
    """docs/benchmarks.md from the JSON document."""
    m, sizes = doc["machine"], doc["sizes"]
    out = [
        "# Benchmarks",
        "",
        f"Generated by `{doc['command']}` on {doc['date']} in {doc['wall_s']:.0f} s; do not edit "
        "by hand (`make bench-quick` or `make bench` rewrites it, and docs/benchmarks.json).",
        "",
        f"- Machine: {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB; {m['os']}; "
        f"Python {m['python']}.",
        f"- Neo4j {m['neo4j']} Community (heap {m['neo4j_heap']}, page cache "
        f"{m['neo4j_pagecache']}), the API (`kg serve --workers 2`) and the bench all share "
        "this machine.",
        f"- Commit {m['git_commit']}"
        + (
            ", with uncommitted changes to "
            + ", ".join(f"`{f}`" for f in m["git_uncommitted"])
            + "."
            if m["git_uncommitted"]
            else "."
        ),
        *_code_changed(doc),
        f"- 1-minute load average {doc['load_average'][0]} before the run started anything "
        f"(other work on the machine), {doc['load_average'][1]} at its end. The CPU seconds "
        "below say how much of the machine other processes took while measuring.",
        "",
        "## Targets",
        "",
        "| target | value | |",
        "|---|---|---|",
        *(
            f"| {t['target']} | {_value(t['value'])} | {_met(t['met'])} |"
            for t in doc["targets"].values()
        ),
        "",
        "## Load",
        "",
        "`bench.bench_load.run`: the synthetic corpus (bench/synthetic.py) written into an emptied "
        "database, batched writer against the naive one on the first articles "
        "(`naive_sample_articles` in the JSON; by default one full batch of the batched writer, "
        "500 articles: 500 transactions of the naive writer against one; the batched side "
        "is the median of five writes of the sample after four unmeasured ones, "
        "`batched_sample_s` in the JSON). Then "
        "the whole "
        "corpus again by `kg load --bulk` (kg.bulk: the graph built in memory, neo4j-admin "
        "import, restart, after-import.cypher) into a fresh database, timed from the first "
        "generated article to a serving database with kg's constraints and indexes; the "
        "queries below run on that graph, whose counts must equal the writer's.",
        "",
        "| entities | articles | relations | naive rel/s | batched rel/s (same sample) "
        "| batched vs naive | full load s | rel/s (full load) | loader peak RSS MB "
        "| bulk import s | rel/s (bulk) | bulk peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, load in doc["load"]["per_size"].items():
        cells = [size, load.get("articles"), load.get("relations_written")]
        cells += [load.get("naive_relations_per_s"), load.get("batched_sample_relations_per_s")]
        cells += [load.get("batched_vs_naive"), load.get("full_load_s")]
        cells += [load.get("relations_per_s"), load.get("loader_peak_rss_mb")]
        cells += [load.get("bulk_import_s"), load.get("bulk_relations_per_s")]
        cells += [load.get("bulk_peak_rss_mb")]
        out.append("| " + " | ".join(_value(c) for c in cells) + " |")
    out += ["", "Bulk import, seconds per step:", ""]
    for size, load in doc["load"]["per_size"].items():
        steps = load.get("bulk_steps_s") or {}
        listed = ", ".join(f"{name.removesuffix('_s')} {s}" for name, s in steps.items())
        out.append(f"- {int(size):,} entities: {listed}")
    out += ["", "## Query latency", "", *_method(doc), ""]
    for size, per in doc["per_size"].items():
        t = per["targets"]
        out += [
            f"### {int(size):,} entities",
            "",
            f"Ids: hub `{t['hub']}` (degree {t['hub_degree']}, types "
            f"{', '.join(t['hub_types'])}, from {t['date_from']} to {t['date_to']}), "
            f"search `{t['search_word']}`, median Person "
            f"`{t['mid']}` (degree {t['mid_degree']}), path to `{t['path_to']}` "
            f"({t['path_length']} hops), timeline `{t['timeline_entity']}` with "
            f"`{t['timeline_other']}`. Times in ms.",
            "",
            latency_table(per),
            "",
            *_cpu_line(per),
        ]
    out += ["## Growth", ""]
    if len(sizes) < 2:
        out += ["One size only: run `make bench` (1,000 and 100,000 entities) for growth.", ""]
    else:
        out += [
            f"GraphQL latency at {sizes[-1]:,} entities divided by that at {sizes[0]:,}; the "
            "items column says how the answers themselves grew (the hub gains relations).",
            "",
            "| query | p50 ratio | p95 ratio | items |",
            "|---|---:|---:|---|",
            *(
                f"| {name} | {g['p50_ratio']} | {g['p95_ratio']} | "
                f"{g['items'][0]} → {g['items'][1]} |"
                for name, g in doc["growth"].items()
            ),
            "",
        ]
    out += _api_section(doc["api"], sizes[-1])
    return "\n".join(out).rstrip() + "\n"


def _method(doc: dict[str, Any]) -> list[str]:
    n = next(iter(doc["queries"].values()))["n"]
    return [
        "Five questions (bench/query_set.py), each sent as GraphQL over loopback HTTP to the API "
        "(one keep-alive connection of bench/http1.py, a client that writes HTTP/1.1 bytes: "
        "httpx would add about 2 ms of its own per request) and run as one hand-written Cypher "
        "statement with "
        "the async driver (*raw*), the statement an engineer who knows the graph would write: "
        "relationship types in the pattern, both ends bound where both are known, only the "
        "properties asked for. Before timing, both answers of each question are compared and "
        f"must hold the same items. Then both sides are warmed up and {n} measurements per "
        "query and side are interleaved; times include decoding the answer.",
    ]


def _code_changed(doc: dict[str, Any]) -> list[str]:
    """A warning when the commit or the uncommitted files differed at the start of the run."""
    start, m = doc.get("git_at_start"), doc["machine"]
    if not start:
        return []
    differ = set(start["git_uncommitted"]) ^ set(m["git_uncommitted"])
    if start["git_commit"] == m["git_commit"] and all(f.endswith(".md") for f in differ):
        return []  # the same code (prose may have changed)
    files = ", ".join(f"`{f}`" for f in start["git_uncommitted"]) or "none"
    return [
        f"- **The code changed during the run**: at its start the commit was "
        f"{start['git_commit']}, uncommitted changes to: {files}. A size measured after the "
        "change ran the newer API."
    ]


def _cpu_line(per: dict[str, Any]) -> list[str]:
    """How much of the machine each party, and everything else, used while measuring."""
    if not per.get("cpu_s"):
        return []
    return [f"CPU seconds during these measurements: {_cpu(per['cpu_s'])}.", ""]


def _api_section(api: dict[str, Any], size: int) -> list[str]:
    if not api:
        return ["## API throughput", "", "Not measured in this run.", ""]
    rows = [
        api,
        *([api["httpx_client"]] if "httpx_client" in api else []),
        *([api["computed"]] if "computed" in api else []),
    ]

    def spread(row: dict[str, Any]) -> str:
        counts = row.get("per_connection_min_median_max") or []
        return " / ".join(map(str, counts)) if row["client"] == "raw" and counts else "n/a"

    def answers(row: dict[str, Any]) -> str:
        return {"cache": "answer cache", "computed": "computed each time"}.get(
            row.get("answers", ""), "computed each time"
        )

    lines = [
        "## API throughput",
        "",
        "The entity question (the hub's relations of its two main types in its busiest year) "
        f"at {size:,} entities, against `kg serve --workers 2`, {api['clients']} concurrent "
        "keep-alive connections (opened 20 ms apart before the clock starts) for "
        f"{api['seconds']} s. The load generator runs on the same 2 cores as the API and "
        "Neo4j, so it is kept lean: the `raw` client writes HTTP/1.1 bytes on asyncio streams "
        "and checks each answer without decoding its JSON. The figure taken against the target "
        "is the raw client's; the httpx client is run too, to show what a heavier client costs. "
        "CPU seconds are per party over the run (the API: its supervisor and both workers). "
        "Each connection stays with the worker that accepted it: an uneven split between the "
        "two workers shows as a wide spread of requests per connection and a p99 far above "
        "the p50 (opened all at once, one worker took nearly all of them).",
        "",
        "By default kg answers a query asked again from its answer cache while the graph's "
        "revision is unchanged (kg/api/answers.py): every request still waits for a read of "
        "the revision begun after it arrived, one read shared by the requests waiting "
        "together. The benchmark asks the same question again and again, so with the cache "
        "on nearly every answer comes from it; the run with the cache off "
        "(`KG_ANSWER_CACHE_MB=0`) computes every answer, which is what a question asked for "
        "the first time since the graph last changed costs.",
        "",
        "| answers | client | requests/s | p50 ms | p99 ms | failures | requests per connection "
        "(min / median / max) | CPU seconds used |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {answers(row)} | {row['client']} | {row['requests_per_s']} | {row['p50_ms']} "
            f"| {row['p99_ms']} | {row['failures']} | {spread(row)} | {_cpu(row['cpu_s'])} |"
        )
    for row in (api, api.get("computed") or {}):
        if "cpu_ms_per_request" in row:
            per = row["cpu_ms_per_request"]
            lines += [
                "",
                f"CPU per request ({answers(row)}, raw client): API {per['api']} ms, Neo4j "
                f"{per['neo4j']} ms, load generator {per['load generator']} ms. With nothing "
                "else running, the machine's cores would allow about "
                f"{row['requests_per_s_if_alone']} requests/s at that cost.",
            ]
    return [*lines, ""]
