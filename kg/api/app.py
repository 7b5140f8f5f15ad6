"""The FastAPI application: GraphQL (with GraphiQL) at /graphql, /health, /ready and /metrics.

`create_app(settings)` builds it; the lifespan makes the process's one Neo4j driver and closes
it on shutdown. Nothing connects or reads settings at import time.

GraphQL is Strawberry's ASGI view on a plain Starlette route, not its FastAPI router: FastAPI's
routing and dependency solving around the router cost about 0.5 ms a request (docs/performance.md,
seventh round), as much as a short question's own Python. Its context comes from `get_context`
below; /health, /ready and /metrics stay FastAPI routes with their dependencies.

Around the GraphQL view: a body-size limit (HTTP 413, code REQUEST_TOO_LARGE), an optional
key for queries (HTTP 401, code UNAUTHENTICATED) and, when origins are listed, CORS for exactly
those origins. The limits on depth, aliases, tokens and introspection are in the schema.

Outermost, kg.api.observability's middleware gives every request an id (X-Request-ID), counts
and times it for /metrics and writes its access log line. /health is liveness (Neo4j answers);
/ready is readiness (Neo4j answers and kg's constraints and indexes are there and online).
On SIGTERM uvicorn stops accepting connections, lets the requests in flight finish, then runs
the lifespan's end, which closes the driver.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import orjson
from cross_web import AsyncHTTPRequestAdapter
from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.requests import HTTPConnection
from starlette.routing import Match, Route, WebSocketRoute
from starlette.types import Scope
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.schema.base import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from kg import __version__
from kg.api.answers import AnswerCache, GraphRevision, cache_key, is_query
from kg.api.context import Context, key_is_valid
from kg.api.events import EventBus
from kg.api.limits import BodyLimit
from kg.api.observability import (
    METRICS_CONTENT_TYPE,
    MeteredGraphStore,
    Metrics,
    RequestMiddleware,
    configure_logging,
    count_errors,
)
from kg.api.schema import build_schema
from kg.config import Settings
from kg.errors import StoreError, StoreUnavailable
from kg.store import GraphStore, create_driver

log = logging.getLogger("kg.api")


# `async def`, though they await nothing: FastAPI runs a plain `def` dependency in its thread
# pool, a hand-over to another thread and back on every request (docs/performance.md).
async def get_store(connection: HTTPConnection) -> GraphStore:
    store: GraphStore = connection.app.state.store
    return store


async def get_settings(connection: HTTPConnection) -> Settings:
    settings: Settings = connection.app.state.settings
    return settings


StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


class KgGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view, with kg's context and two changes.

    Answers are encoded by orjson: a 100-relation answer took json.dumps 0.54 ms and orjson
    0.04 ms (docs/performance.md). The same JSON, but for non-ASCII text, which is written
    as UTF-8 rather than as \\u escapes.

    With an AnswerCache, a query asked again while the graph is at the same revision is
    answered from memory (kg.api.answers).
    """

    def __init__(
        self,
        schema: BaseSchema,
        *,
        answers: AnswerCache | None = None,
        metrics: Metrics | None = None,
        **options: Any,
    ) -> None:
        super().__init__(schema, **options)
        self._answers = answers
        self._metrics = metrics or Metrics()
        self._revision: GraphRevision | None = None

    def encode_json(self, data: object) -> str | bytes:
        try:
            return orjson.dumps(data)
        except TypeError:  # orjson's refusals (an integer beyond 64 bits in a JSON value)
            return super().encode_json(data)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        async def execute() -> ExecutionResult:
            self._metrics.answers.labels("executed").inc()
            try:
                return await super(KgGraphQL, self).execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
            finally:
                # At the loop's next turn: freeing what the loaders hold (a hundred relations
                # with their evidence and ends) takes a fifth of a millisecond, which the
                # answer need not wait for.
                asyncio.get_running_loop().call_soon(context.loaders.release)

        answers, query = self._answers, request_data.query
        if answers is None or not query or request_data.extensions:
            return await execute()
        key = cache_key(query, request_data.operation_name, request_data.variables)
        if key is None or not answers.asked_before(key):
            return await execute()
        if self._revision is None:
            store, metrics = context.store, self._metrics

            async def read_revision() -> str:
                metrics.revision_reads.inc()
                return await store.revision()

            self._revision = GraphRevision(read_revision)
        try:
            revision = await self._revision.current()
        except StoreError:  # the request's own statements will meet (and report) the outage
            return await execute()
        found = answers.get(key, revision)
        if found is not None:
            self._metrics.answers.labels("cache").inc()
            return found
        result = await execute()
        if not result.errors and is_query(query, request_data.operation_name):
            answers.put(key, revision, result)
        return result

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        """The request's context; Unauthenticated (HTTP 401) when a key is required and
        missing or wrong."""
        context = await context_of(request)
        context.request = request  # the subscriptions find the app's event bus through it
        context.response = response if isinstance(response, Response) else None
        return context


class NamedRoute(Route):
    """A Starlette route that notes itself in the scope when it matches, as FastAPI's own
    routes do: the request middleware labels its metrics with the route's path."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


class Unauthenticated(Exception):
    """A query without a valid key while KG_REQUIRE_KEY_FOR_QUERIES is on."""


async def context_of(connection: HTTPConnection) -> Context:
    """The GraphQL context of a request or websocket: the app's store and settings, after the
    key check. The GraphiQL page itself (a GET without a query) holds no data; what it sends
    does."""
    store, settings = await get_store(connection), await get_settings(connection)
    x_api_key = connection.headers.get("x-api-key")
    if settings.require_key_for_queries and not key_is_valid(x_api_key, settings.api_keys):
        ide_page = connection.scope["type"] == "http" and "query" not in connection.query_params
        if not (ide_page and connection.scope.get("method") == "GET"):
            raise Unauthenticated
    return Context(store, settings, x_api_key)


async def unauthenticated(request: Request, exc: Exception) -> JSONResponse:
    error = {
        "message": "A valid X-API-Key header is required.",
        "extensions": {"code": "UNAUTHENTICATED"},
    }
    return JSONResponse(
        {"errors": [error]}, status_code=401, headers={"WWW-Authenticate": "X-API-Key"}
    )


def create_app(settings: Settings) -> FastAPI:
    """The API for one Neo4j database, as the settings say."""
    if settings.require_key_for_queries and not settings.api_keys:
        raise ValueError("KG_REQUIRE_KEY_FOR_QUERIES needs at least one key in KG_API_KEYS")

    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Here, not earlier: uvicorn has configured its loggers by now, in every worker.
        configure_logging(settings)
        driver = create_driver(settings)
        store = MeteredGraphStore(
            driver,
            settings.neo4j_database,
            settings.query_timeout_s,
            settings.neo4j_retry_s,
            metrics=metrics,
        )
        app.state.settings = settings
        app.state.store = store
        try:
            await store.ensure_schema()
        except StoreUnavailable as exc:  # serve anyway: /health says 503 until Neo4j is back
            log.warning("Neo4j is not reachable at start-up: %s", exc)
        except StoreError as exc:  # serve anyway: queries answer STORE_ERROR until it is fixed
            log.warning("Neo4j refused the constraints and indexes at start-up: %s", exc)
        log.info("kg %s serving; Neo4j at %s", __version__, settings.neo4j_uri)
        try:
            yield
        finally:
            await driver.close()
            log.info("kg shut down; Neo4j driver closed")

    app = FastAPI(title="kg", version=__version__, lifespan=lifespan)
    app.state.events = EventBus()  # change notifications for the articleLoaded subscription
    graphql = KgGraphQL(
        build_schema(settings),
        answers=AnswerCache(int(settings.answer_cache_mb * 2**20))
        if settings.answer_cache_mb > 0
        else None,
        metrics=metrics,
        graphql_ide="graphiql" if settings.graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    )
    count_errors(graphql.schema, metrics)
    app.router.routes += [
        NamedRoute("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ]
    app.add_exception_handler(Unauthenticated, unauthenticated)
    # The last added runs first: CORS headers go on every answer, the 413 included.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestMiddleware, metrics=metrics)
    app.state.metrics = metrics
    metrics.watch_store(lambda: getattr(app.state, "store", None))

    @app.get("/health")
    async def health(store: StoreDep) -> JSONResponse:
        """200 when Neo4j answers a query, else 503 with the reason."""
        try:
            await store.ping()
        except StoreUnavailable as exc:
            return JSONResponse(
                {"status": "unavailable", "neo4j": "unreachable", "detail": str(exc)},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "neo4j": "reachable", "version": __version__})

    @app.get("/ready")
    async def ready(store: StoreDep) -> JSONResponse:
        """200 when Neo4j answers and kg's constraints and indexes are online, else 503."""
        try:
            await store.ping()  # fails fast, where a read would retry for KG_NEO4J_RETRY_TIME
            missing = await store.missing_schema()
        except StoreUnavailable as exc:
            return JSONResponse(
                {"status": "not ready", "neo4j": "unreachable", "detail": str(exc)},
                status_code=503,
            )
        except StoreError as exc:
            return JSONResponse(
                {"status": "not ready", "neo4j": "reachable", "detail": str(exc)},
                status_code=503,
            )
        if missing:
            return JSONResponse(
                {"status": "not ready", "neo4j": "reachable", "missing": missing},
                status_code=503,
            )
        return JSONResponse({"status": "ready"})

    if settings.metrics:

        @app.get("/metrics")
        async def prometheus_metrics() -> Response:
            """The Prometheus metrics of this process, in the text format."""
            return Response(metrics.exposition(), media_type=METRICS_CONTENT_TYPE)

    return app


# A request allocates some thousands of objects and, its reference cycles broken
# (Loaders.release, kg.api.plain), frees nearly all of them by reference counting. At the
# default threshold of 700 the collector still ran two or three times inside every request,
# over the answer being built, and promoted it to older generations whose full collections
# took 50 ms. At 10,000 a request ends first. The objects of start-up (the schema, the app)
# are frozen: no collection scans them again (docs/performance.md, eighth round).
SERVING_GC_THRESHOLDS = (10_000, 10, 10)


def create_served_app(settings: Settings) -> FastAPI:
    """The app of a server process (`kg serve`): create_app, and the process's garbage
    collector set for serving (SERVING_GC_THRESHOLDS)."""
    app = create_app(settings)
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory kg.api.app:app_from_environment` (settings from the env)."""
    return create_served_app(Settings())
