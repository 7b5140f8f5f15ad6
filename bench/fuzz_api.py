"""Fuzz the running GraphQL API with requests that schemathesis generates from its schema.

    python -m bench.fuzz_api http://127.0.0.1:8000/graphql [--requests 1000] [--seed 0]

The schema is read by introspection (`schemathesis.graphql.from_url`). Every root field
(`Query.*`, and `Mutation.ingestArticle`) gets its share of the requests; about a quarter are
schemathesis' negative cases (wrong argument types, missing arguments: the API must refuse
them with a GraphQL error, not crash). The draws are deterministic for a given `--seed`
(hypothesis with `@seed`, no example database) and de-duplicated, and `ID` arguments are
drawn partly from the ids the graph really holds, so the generated queries reach into
relations, neighbours and paths instead of stopping at "no such entity".

Every generated query is POSTed once, with no X-API-Key: mutations must answer
`NotAuthorized`. The run fails (exit 1) when any answer is a 5xx, when a request gets no
answer at all (connection error, timeout), when an error carries the code INTERNAL or
STORE_ERROR (an unexpected exception the API hid behind a 200), or when a mutation without a
key was answered by anything but NotAuthorized. Each offending query is printed.

Only loopback URLs are accepted; the number of requests and the time are bounded.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench._docs import write_section

# Error codes that mean the server failed, not the request (see kg/api/schema.py ErrorCodes).
SERVER_ERROR_CODES = frozenset({"INTERNAL", "STORE_ERROR"})
NEGATIVE_SHARE = 0.25
MAX_ROUNDS = 12  # draws per operation are repeated with the next seed at most this often
MIN_BATCH = 10
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

IDS_QUERY = """
{
  articles(first: 100) {
    id
    relations { subject { id } object { id } place { id } attributedTo { id } }
  }
}
"""
# Strings that reach the date parser and the full-text search, beside random text.
INTERESTING_STRINGS = [
    "2024",
    "2024-06",
    "2024-06-01",
    "2024-11-11/2024-11-17",
    "2024-13-45",
    "0000-00",
    "9999",
    "Kozl",
    "korea",
    "Kim Jong Un",
    '"unterminated',
    "a OR b AND NOT c",
    "name:* ~ ^2 [x TO y]",
    "*",
    "\\",
    "' OR 1=1 //",
    "MATCH (n) DETACH DELETE n",
]


@dataclass(frozen=True)
class GeneratedQuery:
    label: str  # e.g. "Query.path"
    mode: str  # "positive" or "negative"
    query: str

    @property
    def is_mutation(self) -> bool:
        return self.label.startswith("Mutation.")


@dataclass
class Problem:
    reason: str
    generated: GeneratedQuery
    status: int | None
    answer: str


@dataclass
class FuzzReport:
    url: str
    requests: int = 0
    status_counts: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    by_mode: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.status_counts.items() if status.startswith("5"))

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        statuses = dict(sorted(self.status_counts.items()))
        codes = dict(sorted(self.error_codes.items()))
        return (
            f"fuzz: {self.requests} requests, {self.server_errors} 5xx, "
            f"status counts {statuses}, GraphQL error codes {codes}, "
            f"{len(self.problems)} problems, {self.seconds:.1f} s"
        )


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"refusing {url}: only loopback URLs (127.0.0.1) may be fuzzed")


def known_ids(client: httpx.Client, url: str) -> list[str]:
    """The article and entity ids the graph holds (to draw ID arguments from)."""
    response = client.post(url, json={"query": IDS_QUERY})
    response.raise_for_status()
    ids: set[str] = set()
    for article in (response.json().get("data") or {}).get("articles") or []:
        ids.add(article["id"])
        for relation in article["relations"]:
            for key in ("subject", "object", "place"):
                if relation.get(key):
                    ids.add(relation[key]["id"])
            ids.update(entity["id"] for entity in relation.get("attributedTo") or [])
    return sorted(ids)


def _register_scalars(ids: list[str]) -> None:
    """Strategies for the JSON scalar and, partly, for IDs and Strings."""
    import schemathesis
    from hypothesis import strategies as st
    from schemathesis.graphql import nodes

    text = st.text(max_size=30)
    schemathesis.graphql.scalar(
        "JSON",
        st.one_of(
            text.map(nodes.String),
            st.integers().map(nodes.Int),
            st.just(nodes.Null),
            st.builds(lambda: nodes.Object([])),
        ),
    )
    id_values = st.one_of(st.sampled_from(ids), text) if ids else text
    schemathesis.graphql.scalar("ID", id_values.map(nodes.String))
    schemathesis.graphql.scalar(
        "String", st.one_of(text, st.sampled_from(INTERESTING_STRINGS)).map(nodes.String)
    )


def _draw(strategy: Any, count: int, seed: int) -> list[Any]:
    """Up to `count` examples of a hypothesis strategy, the same ones for the same seed."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    drawn: list[Any] = []

    @given(example=strategy)
    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    def collect(example: Any) -> None:
        drawn.append(example)

    collect()
    return drawn


def generate_queries(url: str, count: int, seed: int, ids: list[str]) -> list[GeneratedQuery]:
    """At least `count` distinct queries over every root field, deterministic for `seed`."""
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.core.result import Err

    require_loopback(url)
    _register_scalars(ids)
    schema = schemathesis.graphql.from_url(url, timeout=30)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise RuntimeError(f"schemathesis cannot use the schema: {result.err()}")
        operations.append(result.ok())
    per_operation = math.ceil(count / len(operations))
    negative = math.ceil(per_operation * NEGATIVE_SHARE)
    plan = [
        (GenerationMode.POSITIVE, per_operation - negative),
        (GenerationMode.NEGATIVE, negative),
    ]
    seen: set[str] = set()
    queries: list[GeneratedQuery] = []
    for operation in operations:
        for mode, wanted in plan:
            found: list[GeneratedQuery] = []
            for round_ in range(MAX_ROUNDS):
                if len(found) >= wanted:
                    break
                strategy = operation.as_strategy(mode)
                # Hypothesis starts every run with the simplest example: draw a few spare.
                batch = max(wanted - len(found), MIN_BATCH)
                for case in _draw(strategy, batch, seed * 1000 + round_):
                    body = case.body
                    if len(found) < wanted and isinstance(body, str) and body not in seen:
                        seen.add(body)
                        found.append(GeneratedQuery(operation.label, mode.value, body))
            queries.extend(found)
    return queries


def _error_codes(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return []
    errors = payload.get("errors") or []
    return [str((error.get("extensions") or {}).get("code", "NONE")) for error in errors]


def _mutation_was_refused(payload: Any) -> bool:
    """Without a key the answer is NotAuthorized: only `message` may have been selected."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not data:
        return True  # refused before execution (a GraphQL error) or null
    answer = data.get("ingestArticle")
    return not isinstance(answer, dict) or set(answer) <= {"message"}


def run_fuzz(
    url: str, requests: int = 1000, seed: int = 0, timeout: float = 30.0, budget_s: float = 900.0
) -> FuzzReport:
    """Generate at least `requests` queries, POST each once, and check every answer."""
    require_loopback(url)
    report = FuzzReport(url=url)
    started = time.monotonic()
    with httpx.Client(timeout=timeout) as client:
        ids = known_ids(client, url)
        queries = generate_queries(url, requests, seed, ids)
        for generated in queries:
            if time.monotonic() - started > budget_s:
                break
            report.requests += 1
            report.by_operation[generated.label] += 1
            report.by_mode[generated.mode] += 1
            headers = {"Content-Type": "application/json"}
            try:
                response = client.post(url, json={"query": generated.query}, headers=headers)
            except httpx.HTTPError as exc:
                report.status_counts["no answer"] += 1
                report.problems.append(Problem(f"no answer: {exc!r}", generated, None, ""))
                continue
            status = response.status_code
            report.status_counts[str(status)] += 1
            try:
                payload: Any = response.json()
            except json.JSONDecodeError:
                payload = None
            codes = _error_codes(payload)
            report.error_codes.update(codes)
            text = response.text[:500]
            if status >= 500:
                report.problems.append(Problem(f"HTTP {status}", generated, status, text))
            elif SERVER_ERROR_CODES.intersection(codes):
                reason = f"error code {sorted(SERVER_ERROR_CODES.intersection(codes))}"
                report.problems.append(Problem(reason, generated, status, text))
            elif generated.is_mutation and not _mutation_was_refused(payload):
                report.problems.append(
                    Problem("mutation without a key not refused", generated, status, text)
                )
    report.seconds = time.monotonic() - started
    return report


def format_markdown(report: FuzzReport, seed: int) -> str:
    """The body of the `## Fuzzing` section of docs/load-test.md."""
    operations = ", ".join(f"`{k}` {v}" for k, v in sorted(report.by_operation.items()))
    modes = ", ".join(f"{k} {v}" for k, v in sorted(report.by_mode.items()))
    lines = [
        f"Written by `python -m bench.fuzz_api --docs` on {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"against `{report.url}` (seed {seed}, no X-API-Key):",
        "",
        "```text",
        report.summary(),
        "```",
        "",
        f"- Requests per root field: {operations}.",
        f"- Generation modes: {modes}.",
        f"- Problems (5xx, no answer, INTERNAL/STORE_ERROR, a mutation not refused): "
        f"{len(report.problems)}.",
    ]
    for problem in report.problems[:10]:
        lines.append(f"  - {problem.reason}, `{problem.generated.label}`")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the GraphQL endpoint, e.g. http://127.0.0.1:8000/graphql")
    parser.add_argument("--requests", type=int, default=1000, help="at least this many")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument("--docs", help="write a '## Fuzzing' section into this markdown file")
    args = parser.parse_args(argv)
    try:
        report = run_fuzz(args.url, args.requests, args.seed, args.timeout)
    except (ValueError, RuntimeError, httpx.HTTPError) as exc:
        print(f"fuzz: {exc}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"PROBLEM ({problem.reason}) {problem.generated.label} [{problem.generated.mode}]")
        print(problem.generated.query)
        print(f"  answer: {problem.answer}")
    print(report.summary())
    if args.docs:
        write_section(Path(args.docs), "Fuzzing", format_markdown(report, args.seed))
    if report.requests < args.requests:
        print(f"only {report.requests} requests were sent (wanted {args.requests})")
        return 1
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
