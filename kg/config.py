"""Settings: one class, read from the environment (and `.env`) by the entry points only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

NEO4J_VERSION = "5.26.31"
NEO4J_BROWSER_VERSION = "5.24.0"


class Settings(BaseSettings):
    """Every knob of the service. `NEO4J_*` say which Neo4j to use; `KG_*` are kg's own."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Which Neo4j: the project's local server by default, or any other (Docker, Aura, cluster).
    neo4j_uri: str = Field("bolt://127.0.0.1:7687", validation_alias="NEO4J_URI")
    neo4j_user: str = Field("neo4j", validation_alias="NEO4J_USER")
    neo4j_password: SecretStr = Field(
        SecretStr("kg-local-password"), validation_alias="NEO4J_PASSWORD"
    )
    neo4j_database: str = Field("neo4j", validation_alias="NEO4J_DATABASE")
    neo4j_retry_s: float = Field(10.0, validation_alias="KG_NEO4J_RETRY_TIME")

    # The local server that `kg neo4j start` runs (ignored when NEO4J_URI points elsewhere).
    neo4j_home: Path = Field(Path(".kg/neo4j"), validation_alias="KG_NEO4J_HOME")
    neo4j_cache: Path = Field(
        Path.home() / ".cache" / "kg-newsgraph", validation_alias="KG_NEO4J_CACHE"
    )
    neo4j_http_port: int = Field(7474, validation_alias="KG_NEO4J_HTTP_PORT")
    neo4j_heap: str = Field("2g", validation_alias="KG_NEO4J_HEAP")
    neo4j_pagecache: str = Field("2g", validation_alias="KG_NEO4J_PAGECACHE")
    neo4j_start_timeout_s: float = Field(120.0, validation_alias="KG_NEO4J_START_TIMEOUT")

    # The API.
    api_host: str = Field("127.0.0.1", validation_alias="KG_API_HOST")
    api_port: int = Field(8000, validation_alias="KG_API_PORT")
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("KG_API_KEYS", "KG_API_KEY"),
        description="comma-separated keys that may call mutations; none means mutations are off",
    )
    require_key_for_queries: bool = Field(
        False,
        validation_alias="KG_REQUIRE_KEY_FOR_QUERIES",
        description="queries too need one of KG_API_KEYS (else HTTP 401, code UNAUTHENTICATED)",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="KG_CORS_ORIGINS",
        description="comma-separated origins browsers may call from; none means no CORS headers",
    )
    graphiql: bool = Field(True, validation_alias="KG_GRAPHIQL")
    graphql_federation: bool = Field(
        False,
        validation_alias="KG_GRAPHQL_FEDERATION",
        description="serve the schema as an Apollo Federation 2 subgraph (@key, _service)",
    )
    introspection: bool = Field(True, validation_alias="KG_INTROSPECTION")
    max_page_size: int = Field(100, ge=1, validation_alias="KG_MAX_PAGE_SIZE")
    query_timeout_s: float = Field(10.0, gt=0, validation_alias="KG_QUERY_TIMEOUT")
    answer_cache_mb: float = Field(
        64.0,
        ge=0,
        validation_alias="KG_ANSWER_CACHE_MB",
        description="memory for answers to repeated queries, each checked against the graph's"
        " revision before it is served; 0 turns the cache off",
    )
    # Limits on one request: what a hostile or careless query may cost.
    max_query_depth: int = Field(12, ge=1, validation_alias="KG_MAX_QUERY_DEPTH")
    max_aliases: int = Field(30, ge=0, validation_alias="KG_MAX_ALIASES")
    max_tokens: int = Field(2000, ge=1, validation_alias="KG_MAX_TOKENS")
    max_body_bytes: int = Field(1_000_000, ge=1, validation_alias="KG_MAX_BODY_BYTES")

    # Operations: logs and metrics (kg.api.observability).
    log_format: Literal["text", "json"] = Field(
        "text",
        validation_alias="KG_LOG_FORMAT",
        description="text for people; json: one JSON object per line, with the request id",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="KG_LOG_LEVEL"
    )
    metrics: bool = Field(
        True, validation_alias="KG_METRICS", description="serve Prometheus metrics at /metrics"
    )

    # Where articles and their curated annotations live.
    data_dir: Path = Field(Path("data"), validation_alias="KG_DATA_DIR")

    # The optional LLM extractor: any OpenAI-compatible chat-completions endpoint. Off unless
    # both the base URL (e.g. "https://api.openai.com/v1") and the model are set.
    llm_base_url: str | None = Field(None, validation_alias="KG_LLM_BASE_URL")
    llm_model: str | None = Field(None, validation_alias="KG_LLM_MODEL")
    llm_api_key: SecretStr | None = Field(None, validation_alias="KG_LLM_API_KEY")
    llm_timeout_s: float = Field(60.0, validation_alias="KG_LLM_TIMEOUT")

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        """KG_LOG_FORMAT=JSON and KG_LOG_LEVEL=info are meant too."""
        if isinstance(value, str):
            value = value.strip()
            return value.upper() if info.field_name == "log_level" else value.lower()
        return value

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """KG_API_KEYS and KG_CORS_ORIGINS are comma-separated lists: "k1,k2"."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def annotations_dir(self) -> Path:
        return self.data_dir / "annotations"

    @property
    def bolt_port(self) -> int:
        """The Bolt port of NEO4J_URI, which the local server listens on."""
        hostport = self.neo4j_uri.split("://", 1)[-1].split("/", 1)[0]
        _, _, port = hostport.rpartition(":")
        return int(port) if port.isdigit() else 7687
