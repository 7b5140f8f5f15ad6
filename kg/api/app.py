"""The FastAPI application: GraphQL (with GraphiQL) at /graphql and /health.

`create_app(settings)` builds it; the lifespan makes the process's one Neo4j driver and closes
it on shutdown. Nothing connects or reads settings at import time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from kg import __version__
from kg.api.context import Context
from kg.api.schema import build_schema
from kg.config import Settings
from kg.errors import StoreUnavailable
from kg.store import GraphStore, create_driver

log = logging.getLogger("kg.api")


def get_store(request: Request) -> GraphStore:
    store: GraphStore = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ApiKeyHeader = Annotated[str | None, Header(alias="X-API-Key")]


async def get_context(
    store: StoreDep, settings: SettingsDep, x_api_key: ApiKeyHeader = None
) -> Context:
    return Context(store, settings, x_api_key)


def create_app(settings: Settings) -> FastAPI:
    """The API for one Neo4j database, as the settings say."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        driver = create_driver(settings)
        store = GraphStore(driver, settings.neo4j_database, settings.query_timeout_s)
        app.state.settings = settings
        app.state.store = store
        try:
            await store.ensure_schema()
        except StoreUnavailable as exc:  # serve anyway: /health says 503 until Neo4j is back
            log.warning("Neo4j is not reachable at start-up: %s", exc)
        try:
            yield
        finally:
            await driver.close()

    app = FastAPI(title="kg", version=__version__, lifespan=lifespan)
    graphql = GraphQLRouter(
        build_schema(),
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql else None,
    )
    app.include_router(graphql, prefix="/graphql")

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

    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory kg.api.app:app_from_environment` (settings from the env)."""
    return create_app(Settings())
