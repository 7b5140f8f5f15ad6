"""Operations: Prometheus metrics, a request id on every request and log line, JSON logs.

- `Metrics` holds one app's metrics in its own CollectorRegistry (never the process-global
  one), so several apps in one process, as in the tests, do not share or collide. GET /metrics
  answers `Metrics.exposition()`.
- `RequestMiddleware` (pure ASGI, the outermost layer) takes `X-Request-ID` from the request
  when it is a sane token, else makes a uuid4; it puts it on the answer and into every log
  record written while the request runs (a contextvar read by `RequestIdFilter`). It counts
  and times the request and writes one access line on the `kg.access` logger.
- `ErrorCounter` is a strawberry extension that counts the GraphQL errors of each result by
  `extensions.code`; `count_errors(schema, metrics)` puts it first among the schema's
  extensions, so that it sees the codes ErrorCodes gave (the first extension exits last).
- `configure_logging(settings)` installs one handler on the root logger: text for people,
  or one JSON object per line (KG_LOG_FORMAT=json). Calling it again replaces it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

import strawberry
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.schema.base import BaseSchema

from kg.config import Settings
from kg.domain import ArticleGraph, WriteSummary
from kg.store import GraphStore

REQUEST_ID_HEADER = "X-Request-ID"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Up to KG_QUERY_TIMEOUT (10 s by default) and a little beyond.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OTHER_PATH = "other"  # the path label of requests to no route: the label set stays small

_request_id: ContextVar[str | None] = ContextVar("kg_request_id", default=None)
# A client's id is used only when it is a plain token: nothing that could forge a log line.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def current_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    return _request_id.get()


class Metrics:
    """One app's metrics, in one registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "kg_http_requests",
            "HTTP requests answered, by method, route path and status.",
            ["method", "path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kg_http_request_seconds",
            "Time to answer an HTTP request, by route path.",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "kg_graphql_errors",
            "Errors answered, by extensions.code (GraphQL errors, 401 and 413 refusals).",
            ["code"],
            registry=self.registry,
        )
        self.answers = Counter(
            "kg_graphql_answers",
            "GraphQL operations answered over HTTP, by source: executed, or from the answer"
            " cache (kg.api.answers).",
            ["source"],
            registry=self.registry,
        )
        self.revision_reads = Counter(
            "kg_graph_revision_reads",
            "Reads of the graph's revision, each shared by the requests waiting when it began.",
            registry=self.registry,
        )
        self.articles = Counter(
            "kg_articles_loaded",
            "Articles this process wrote to the graph (the ingestArticle mutation).",
            registry=self.registry,
        )
        self.relations = Counter(
            "kg_relations_loaded",
            "Relations in the articles this process wrote.",
            registry=self.registry,
        )
        self._store: Callable[[], GraphStore | None] = lambda: None
        self.registry.register(_StoreCollector(lambda: self._store()))

    def watch_store(self, store: Callable[[], GraphStore | None]) -> None:
        """Read the Neo4j round trips from this store (looked up at each scrape)."""
        self._store = store

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


class _StoreCollector(Collector):
    """kg_neo4j_statements_total: the store's own count of round trips, read at scrape time."""

    def __init__(self, store: Callable[[], GraphStore | None]) -> None:
        self._store = store

    def collect(self) -> Iterable[Metric]:
        store = self._store()
        family = CounterMetricFamily(
            "kg_neo4j_statements",
            "Statements and write transactions this process sent to Neo4j (round trips).",
        )
        family.add_metric([], float(store.statements if store is not None else 0))
        yield family


class MeteredGraphStore(GraphStore):
    """The API's store: a GraphStore that also counts the articles it writes."""

    def __init__(self, *args: Any, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._metrics = metrics

    async def write_article_graphs(self, graphs: Sequence[ArticleGraph]) -> list[WriteSummary]:
        summaries = await super().write_article_graphs(graphs)
        self._metrics.articles.inc(len(summaries))
        self._metrics.relations.inc(sum(s.relations for s in summaries))
        return summaries


class ErrorCounter(SchemaExtension):
    """Count the errors of every GraphQL result by their `extensions.code`."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self._metrics = metrics

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            code = (error.extensions or {}).get("code", "INTERNAL")
            self._metrics.errors.labels(code=str(code)).inc()


def count_errors(schema: BaseSchema, metrics: Metrics) -> None:
    """Put an ErrorCounter first among the schema's extensions (so its end runs last)."""
    if not isinstance(schema, strawberry.Schema):
        raise TypeError(f"cannot count the errors of a {type(schema).__name__}")
    schema.extensions = (lambda: ErrorCounter(metrics), *schema.extensions)


class RequestMiddleware:
    """Request id, metrics and the access log line for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    @staticmethod
    def _path_label(scope: Scope) -> str:
        """The path of the route that answered (the router notes it in the scope), or "other"
        for requests that reached none (404, and bodies refused with 413 before routing)."""
        route = scope.get("route")
        if route is None:
            return OTHER_PATH
        template = getattr(route, "path", None)
        # A route of an included router knows only its path below the prefix (GraphQL's is "");
        # kg's routes have no path parameters, so the path asked for is as bounded.
        return template if isinstance(template, str) and template else str(scope["path"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        status = 500  # what the server answers if the app fails before it starts a response
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
                if status in _REFUSAL_CODES:
                    self.metrics.errors.labels(code=_REFUSAL_CODES[status]).inc()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method, path = scope["method"], self._path_label(scope)
            self.metrics.requests.labels(method=method, path=path, status=str(status)).inc()
            self.metrics.latency.labels(path=path).observe(elapsed)
            access_log.info(
                "%s %s %s %.1f ms",
                method,
                scope["path"],
                status,
                elapsed * 1000,
                extra={
                    "method": method,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            _request_id.reset(token)


# The errors kg answers before GraphQL runs, with their codes (see kg.api.app and limits).
_REFUSAL_CODES = {401: "UNAUTHENTICATED", 413: "REQUEST_TOO_LARGE"}

access_log = logging.getLogger("kg.access")


# ---- logging ------------------------------------------------------------------------------------

_ACCESS_FIELDS = ("method", "path", "status", "duration_ms")


class RequestIdFilter(logging.Filter):
    """Put the current request id (or None) on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and the access
    fields (method, path, status, duration_ms) when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for field in _ACCESS_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


# uvicorn's own loggers: their records go through our handler, and its access line gives way
# to kg.access (the same facts, plus the request id and the duration).
_UVICORN = ("uvicorn", "uvicorn.error")


def configure_logging(settings: Settings) -> logging.Handler:
    """Install kg's handler on the root logger (replacing one installed before); return it."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "kg_handler", False)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.kg_handler = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    json_logs = settings.log_format == "json"
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    level = logging.getLevelName(settings.log_level.upper())
    root.setLevel(level)
    # The driver's notifications ("the constraint already exists") are not news at INFO.
    logging.getLogger("neo4j").setLevel(max(level, logging.WARNING))
    for name in _UVICORN:
        logger = logging.getLogger(name)
        if json_logs:  # every line JSON: uvicorn's records go to our handler alone
            logger.handlers.clear()
            logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    return handler
