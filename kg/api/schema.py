"""The GraphQL schema: Query, Mutation, Subscription, stable error codes, and the limits of
kg.api.limits. `build_schema` gives the plain schema, or the Apollo Federation 2 subgraph
(kg.api.federation) when KG_GRAPHQL_FEDERATION is on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension, ValidationCache
from strawberry.scalars import JSON
from strawberry.types import ExecutionContext

from kg.api.connections import (
    EntityConnection,
    RelationConnection,
    decode_cursor,
    entity_connection,
    relation_connection,
)
from kg.api.context import Loaders
from kg.api.events import ArticleLoadedEvent, event_bus
from kg.api.limits import TOO_MANY_TOKENS, is_token_limit, query_limits
from kg.api.plain import PlainFieldsExecutionContext
from kg.api.prefetch import entity_with_first_level
from kg.api.projection import (
    connection_projection,
    path_projection,
    relation_projection,
    selected,
)
from kg.api.types import (
    ENTITY_TYPES,
    Article,
    BadInput,
    Direction,
    Entity,
    EntityNotFound,
    EntityType,
    KgInfo,
    Node,
    NoPath,
    Path,
    PathResult,
    Relation,
    RelationType,
    Status,
    check_first,
    entity_view,
    enum_values,
    relation_filter,
)
from kg.config import Settings
from kg.errors import InvalidArticle, InvalidDocument, QueryTimeout, StoreError, StoreUnavailable
from kg.store import EntityRelation, Projection, RelationFilter

MAX_PATH_LENGTH = 6


@strawberry.type
class Query:
    @strawberry.field(description="One entity by id, or null.")
    async def entity(self, info: KgInfo, id: strawberry.ID) -> Entity | None:
        found = await entity_with_first_level(info, str(id))
        return entity_view(found) if found else None

    @strawberry.field(description="Entities whose name or alias matches the words (full text).")
    async def search(
        self,
        info: KgInfo,
        text: str,
        types: list[EntityType] | None = None,
        first: int = 10,
    ) -> list[Entity]:
        found = await info.context.store.search(text, enum_values(types), check_first(info, first))
        info.context.loaders.prime_entities(found)
        return [entity_view(e) for e in found]

    @strawberry.field(
        description="Entities matching the words a page at a time, best first, with a totalCount."
    )
    async def search_connection(
        self,
        info: KgInfo,
        text: str,
        types: list[EntityType] | None = None,
        first: int = 10,
        after: str | None = None,
    ) -> EntityConnection:
        store, chosen = info.context.store, enum_values(types)
        position = decode_cursor("search", after, 2)
        page = await store.search_page(text, chosen, check_first(info, first), position)
        info.context.loaders.prime_entities(page.items)
        return entity_connection(
            "search", page, after is not None, lambda: store.search_count(text, chosen)
        )

    @strawberry.field(description="Relations anywhere in the graph, by status, type and date.")
    async def relations(
        self,
        info: KgInfo,
        types: list[RelationType] | None = None,
        statuses: list[Status] | None = None,
        date_from: Annotated[str | None, strawberry.argument(name="from")] = None,
        date_to: Annotated[str | None, strawberry.argument(name="to")] = None,
        first: int = 100,
    ) -> list[Relation]:
        projection = relation_projection(selected(info))
        chosen = relation_filter(
            types, Direction.BOTH, statuses, date_from, date_to, None, projection
        )
        found = await info.context.store.find_relations(chosen, check_first(info, first))
        return _relations(info, found, chosen)

    @strawberry.field(description="The shortest connection between two entities.")
    async def path(
        self,
        info: KgInfo,
        from_id: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to_id: Annotated[strawberry.ID, strawberry.argument(name="to")],
        max_length: int = 4,
        types: list[RelationType] | None = None,
    ) -> PathResult:
        if not 1 <= max_length <= MAX_PATH_LENGTH:
            raise BadInput(f"maxLength must be between 1 and {MAX_PATH_LENGTH}, not {max_length}")
        # One statement finds both ends and the path between them.
        projection = path_projection(selected(info))
        found = await info.context.store.shortest_path(
            str(from_id), str(to_id), max_length, enum_values(types), projection
        )
        for wanted, end in ((from_id, found.start), (to_id, found.end)):
            if end is None:
                return EntityNotFound(id=wanted, message=f"no entity has the id {wanted!r}")
        if found.start is not None and from_id == to_id:
            return Path(length=0, entities=[entity_view(found.start)], relations=[])
        path = found.path
        if path is None:
            return NoPath(message=f"no path of at most {max_length} relations joins them")
        if projection.whole_ends:
            info.context.loaders.prime_entities(path.entities)
        on_path = {e.id: e for e in path.entities}
        return Path(
            length=len(path.relations),
            entities=[entity_view(e) for e in path.entities],
            relations=[
                Relation.between(r, on_path[r.subject], on_path[r.object]) for r in path.relations
            ],
        )

    @strawberry.field(description="Dated relations of an entity, or between two, oldest first.")
    async def timeline(
        self,
        info: KgInfo,
        entity: strawberry.ID,
        other: strawberry.ID | None = None,
        date_from: Annotated[str | None, strawberry.argument(name="from")] = None,
        date_to: Annotated[str | None, strawberry.argument(name="to")] = None,
        types: list[RelationType] | None = None,
        first: int = 100,
    ) -> list[Relation]:
        chosen = _timeline_filter(
            types, other, date_from, date_to, relation_projection(selected(info))
        )
        found = await info.context.store.timeline(str(entity), chosen, check_first(info, first))
        return _relations(info, found, chosen)

    @strawberry.field(
        description=(
            "Dated relations of an entity, or between two, oldest first, a page at a time, "
            "with a totalCount."
        )
    )
    async def timeline_connection(
        self,
        info: KgInfo,
        entity: strawberry.ID,
        other: strawberry.ID | None = None,
        date_from: Annotated[str | None, strawberry.argument(name="from")] = None,
        date_to: Annotated[str | None, strawberry.argument(name="to")] = None,
        types: list[RelationType] | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> RelationConnection:
        chosen = _timeline_filter(
            types, other, date_from, date_to, connection_projection(selected(info))
        )
        position = decode_cursor("timeline", after, 2)
        store = info.context.store
        page = await store.timeline_page(str(entity), chosen, check_first(info, first), position)
        _prime_ends(info, page.items, chosen)
        return relation_connection(
            "timeline", page, after is not None, lambda: store.timeline_count(str(entity), chosen)
        )

    @strawberry.field(description="Articles, newest first.")
    async def articles(self, info: KgInfo, first: int = 20) -> list[Article]:
        found = await info.context.store.articles(check_first(info, first))
        info.context.loaders.article.prime_many({a.id: a for a in found})
        return [Article.of(a) for a in found]

    @strawberry.field(description="One article by id, or null.")
    async def article(self, info: KgInfo, id: strawberry.ID) -> Article | None:
        found = await info.context.loaders.article.load(str(id))
        return Article.of(found) if found else None

    @strawberry.field(
        description=(
            "An entity or an article by its id (the Relay refetch), or null. The ids are the "
            "objects' own ids; `Type:id` (`Article:...`, `Person:...`) asks for one type only."
        )
    )
    async def node(self, info: KgInfo, id: strawberry.ID) -> Node | None:
        kind, colon, plain = str(id).partition(":")
        if not colon:
            kind, plain = "", str(id)
        elif kind != "Article" and kind not in ENTITY_TYPES:
            raise BadInput(f"{kind!r} is not a node type: use Article or an entity type")
        loaders = info.context.loaders
        entity, article = await asyncio.gather(
            loaders.entity.load(plain) if kind != "Article" else _nothing(),
            loaders.article.load(plain) if kind in ("", "Article") else _nothing(),
        )
        if entity is not None and kind in ("", entity.type):
            return entity_view(entity)  # an entity's id wins over an article's (see README 2a)
        return Article.of(article) if article is not None else None


async def _nothing() -> None:
    return None


def _prime_ends(
    info: KgInfo, found: Sequence[EntityRelation], relation_filter: RelationFilter
) -> None:
    """Both ends came whole with the relations: later loads of them need no query."""
    info.context.loaders.prime_ends(found, relation_filter.projection)


def _relations(
    info: KgInfo, found: list[EntityRelation], relation_filter: RelationFilter
) -> list[Relation]:
    _prime_ends(info, found, relation_filter)
    return [Relation.of(item) for item in found]


def _timeline_filter(
    types: list[Any] | None,
    other: strawberry.ID | None,
    date_from: str | None,
    date_to: str | None,
    projection: Projection,
) -> RelationFilter:
    """A timeline's filter: both directions, any status, what the selection reads."""
    other_id = str(other) if other else None
    return relation_filter(types, Direction.BOTH, None, date_from, date_to, other_id, projection)


@strawberry.input(description="An article to load: its text as given, or a JSON article.")
class IngestArticleInput:
    text: str = strawberry.field(description="A plain-text article, or a JSON article object.")
    annotation: JSON | None = strawberry.field(
        default=None, description="An interchange document of what the article says (optional)."
    )
    name: str | None = strawberry.field(default=None, description="A name for error messages.")


@strawberry.type(description="The article was written to the graph.")
class IngestArticleSuccess:
    article: Article
    extractor: str
    entities: int
    relations: int
    sentences: int


@strawberry.type(description="The article or its annotation was refused; nothing was written.")
class InvalidInput:
    message: str
    problems: list[str]


@strawberry.type(description="Mutations need a valid X-API-Key header (none are set by default).")
class NotAuthorized:
    message: str


IngestArticleResult = Annotated[
    IngestArticleSuccess | InvalidInput | NotAuthorized, strawberry.union("IngestArticleResult")
]


@strawberry.type(description="An article was written to the graph by ingestArticle.")
class ArticleLoaded:
    article: Article
    relations: list[Relation] = strawberry.field(
        description="Every relation the article states: new ones, and those it adds evidence to."
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Each article ingestArticle writes on this server process, once the write has "
            "committed. Loads by `kg load` or by other workers are not seen (README 2a)."
        )
    )
    async def article_loaded(self, info: KgInfo) -> AsyncGenerator[ArticleLoaded, None]:
        bus = event_bus(info.context)
        if bus is None:
            raise GraphQLError(
                "subscriptions need the running API", extensions={"code": "SERVICE_UNAVAILABLE"}
            )
        async with bus.subscribe() as events:
            async for event in events:
                # A websocket's context lives as long as the connection: fresh loaders per event,
                # so nothing read for an earlier event is served stale.
                context = info.context
                context.loaders = Loaders(context.store)
                for item in event.relations:
                    context.loaders.prime_entities((item.subject, item.object))
                yield ArticleLoaded(
                    article=Article.of(event.article),
                    relations=[Relation.of(item) for item in event.relations],
                )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Parse an article, check its facts, and write them.")
    async def ingest_article(self, info: KgInfo, input: IngestArticleInput) -> IngestArticleResult:
        # Imported here: the API may use loaders/, but only the mutation needs them.
        from loaders.extract import AutoExtractor, CuratedExtractor
        from loaders.gazetteer import default_gazetteer
        from loaders.pipeline import load_article
        from loaders.rules import RulesExtractor

        context = info.context
        if not context.may_mutate():
            return NotAuthorized(message="a valid X-API-Key header is required for mutations")
        if input.annotation is not None and not isinstance(input.annotation, dict):
            return InvalidInput(message="annotation must be a JSON object", problems=[])
        name = input.name or "ingested article"
        extractor = AutoExtractor(
            CuratedExtractor(context.settings.annotations_dir), RulesExtractor(default_gazetteer())
        )
        try:
            await context.store.ensure_schema()
            loaded = await load_article(
                context.store, input.text.encode("utf-8"), name, extractor, input.annotation
            )
        except InvalidDocument as exc:
            return InvalidInput(message=str(exc).splitlines()[0], problems=exc.problems)
        except InvalidArticle as exc:
            return InvalidInput(message=str(exc), problems=[str(exc)])
        found = await context.store.articles_by_id([loaded.summary.article_id])
        summary = loaded.summary
        bus = event_bus(context)
        if bus is not None and bus.subscribers:  # nobody listening: no extra read
            stated = await context.store.article_relations([summary.article_id])
            relations = tuple(stated.get(summary.article_id, ()))
            bus.publish(ArticleLoadedEvent(found[summary.article_id], relations))
        return IngestArticleSuccess(
            article=Article.of(found[summary.article_id]),
            extractor=loaded.extractor,
            entities=summary.entities,
            relations=summary.relations,
            sentences=summary.sentences,
        )


class ErrorCodes(SchemaExtension):
    """Give every error a stable `extensions.code`, and hide internals of unexpected ones."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [self._coded(error) for error in errors]

    @staticmethod
    def _coded(error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if error.extensions and "code" in error.extensions:
            return error
        code, message = "INTERNAL", "Internal error."
        if original is None and is_token_limit(error):
            code, message = TOO_MANY_TOKENS, error.message
        elif original is None:
            code, message = "GRAPHQL_VALIDATION_FAILED", error.message
        elif isinstance(original, StoreUnavailable):
            code, message = "SERVICE_UNAVAILABLE", "The graph database is unavailable; retry later."
        elif isinstance(original, QueryTimeout):
            code = "QUERY_TIMEOUT"
            message = "The query took longer than the server allows; ask for less, or retry."
        elif isinstance(original, StoreError):
            code, message = "STORE_ERROR", "The graph database could not answer."
        elif isinstance(original, GraphQLError):
            code, message = "BAD_USER_INPUT", error.message
        extensions: dict[str, Any] = {**(error.extensions or {}), "code": code}
        return GraphQLError(
            message, error.nodes, error.source, error.positions, error.path, original, extensions
        )


def expected_error(error: GraphQLError) -> bool:
    """Refused requests and an unreachable Neo4j are answered, not logged with a traceback."""
    original = error.original_error
    return original is None or isinstance(original, (GraphQLError, StoreUnavailable))


class KgSchema(strawberry.Schema):
    """The schema, logging only the errors that point at a defect, so that bad requests cannot
    flood the log with tracebacks."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        super().process_errors([e for e in errors if not expected_error(e)], execution_context)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema, with every entity type registered (they are reached through the interface).

    The settings give the limits on depth, aliases and tokens, say whether introspection is
    on, and whether the schema is an Apollo Federation 2 subgraph (KG_GRAPHQL_FEDERATION);
    without settings (to export the SDL) the defaults apply: the plain schema.
    """
    chosen = settings or Settings.model_construct()
    limits = query_limits(
        chosen.max_query_depth, chosen.max_aliases, chosen.max_tokens, chosen.introspection
    )
    if chosen.graphql_federation:
        from kg.api.federation import federated_schema

        return federated_schema([*_caches(), limits, ErrorCodes], PlainFieldsExecutionContext)
    return KgSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(ENTITY_TYPES.values()),
        extensions=[*_caches(), limits, ErrorCodes],
        execution_context_class=PlainFieldsExecutionContext,
    )


def _caches() -> list[Callable[[], SchemaExtension]]:
    """Validate each distinct document once per process (QueryLimits parses each once):
    clients send the same few queries again and again. A verdict depends only on the document
    and the schema's fixed rules, so a cached one, refusals included, is the verdict."""
    return [lambda: ValidationCache(maxsize=1024)]
