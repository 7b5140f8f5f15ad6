"""GraphQL types: thin views over domain objects, named as in the graph (`Person` for :Person)."""

from __future__ import annotations

import functools
import re
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from kg import domain
from kg.api.context import Context, NeighborsKey, RelationPageKey, RelationsKey
from kg.api.plain import read_field
from kg.api.projection import connection_projection, relation_projection, selected
from kg.domain import filled
from kg.ontology import EntityType as _EntityType
from kg.ontology import RelationType as _RelationType
from kg.ontology import Status as _Status
from kg.ontology import entity_descriptions
from kg.store import EntityRelation, Projection, RelationFilter
from kg.store.filters import EVERYTHING

if TYPE_CHECKING:
    from kg.api.connections import RelationConnection

# The GraphQL enums are the ontology's enums, so the two cannot drift apart.
EntityType = strawberry.enum(_EntityType, name="EntityType", description="An entity's node label.")
RelationType = strawberry.enum(_RelationType, name="RelationType", description="A relation type.")
Status = strawberry.enum(_Status, name="Status", description="How firmly the article states it.")

KgInfo = Info[Context, None]


@strawberry.enum(description="Which way a relation points from the entity asked about.")
class Direction(Enum):
    OUT = "OUT"
    IN = "IN"
    BOTH = "BOTH"


class BadInput(GraphQLError):
    """A request the API refuses: its message says which argument and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT"})


def check_first(info: KgInfo, first: int) -> int:
    """`first` must be between 1 and the server's cap."""
    cap = info.context.settings.max_page_size
    if not 1 <= first <= cap:
        raise BadInput(f"first must be between 1 and {cap}, not {first}")
    return first


def check_date(name: str, value: str | None) -> str | None:
    """A date bound is an ISO date or a prefix of one (2024, 2024-06, 2024-06-01)."""
    if value is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise BadInput(f"{name} must be an ISO date such as 2024-06-01 (or 2024-06, 2024)")
    return value


def enum_values(members: list[Any] | None) -> list[str]:
    """The string values of GraphQL enum arguments (the ontology's enums)."""
    return [member.value for member in members or ()]


def relation_filter(
    types: list[Any] | None,
    direction: Direction,
    statuses: list[Any] | None,
    date_from: str | None,
    date_to: str | None,
    other: str | None = None,
    projection: Projection = EVERYTHING,
) -> RelationFilter:
    start = check_date("from", date_from)
    end = check_date("to", date_to)
    return RelationFilter(
        types=tuple(t.value for t in types or ()),
        direction=direction.value,
        statuses=tuple(s.value for s in statuses or ()),
        date_from=domain.date_bounds(start)[0] if start else None,
        date_to=domain.date_bounds(end)[1] if end else None,
        other=other,
        projection=projection,
    )


RelationsArguments = tuple[
    list[Any] | None, "Direction", list[Any] | None, str | None, str | None, int | None
]
"""`Entity.relations`' arguments: types, direction, statuses, from, to, first."""


def relations_key(
    info: KgInfo, entity_id: str, arguments: RelationsArguments, projection: Projection
) -> RelationsKey:
    """The DataLoader key of `Entity.relations` with these arguments (BadInput if refused).
    Query.entity computes it too, to read the relations with the entity (kg.api.prefetch)."""
    types, direction, statuses, date_from, date_to, first = arguments
    chosen = relation_filter(types, direction, statuses, date_from, date_to, None, projection)
    size = check_first(info, info.context.settings.max_page_size if first is None else first)
    return RelationsKey(entity_id, chosen, size)


def neighbors_key(
    info: KgInfo, entity_id: str, depth: int, types: list[Any] | None, first: int
) -> NeighborsKey:
    """The DataLoader key of `Entity.neighbors` with these arguments (BadInput if refused)."""
    if not 1 <= depth <= 3:
        raise BadInput(f"depth must be between 1 and 3, not {depth}")
    return NeighborsKey(entity_id, depth, tuple(enum_values(types)), check_first(info, first))


@strawberry.interface(
    description="An object that `node(id)` fetches again by its `id`: an entity or an article."
)
class Node:
    @strawberry.field(description="The object's id, which `node(id)` accepts.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError  # every implementing type answers it

    @classmethod
    def resolve_type(cls, obj: Any, info: Any, abstract_type: Any) -> str:
        # Every object is built as its own concrete type (`Person` for a :Person), so its name
        # is the answer; Strawberry's general resolver first looks for casts among all the
        # possible types, a tenth of a long list's cost.
        return type(obj).__strawberry_definition__.name  # type: ignore[no-any-return]  # set by strawberry.type


@strawberry.interface(description="A real-world thing named in the news: person, country, ...")
class Entity(Node):
    # Plain values, copied from the domain object by entity_view: a field without a resolver
    # is read straight off the object, where a resolver costs a call chain per field.
    entity: strawberry.Private[domain.Entity]
    id: strawberry.ID = strawberry.field(
        description="Stable slug of the canonical name, the same in every article."
    )
    type: EntityType = strawberry.field(description="The node label.")  # type: ignore[valid-type]  # enum built from the ontology
    name: str = strawberry.field(description="The canonical name.")
    aliases: list[str] = strawberry.field(description="Every other name the articles use for it.")
    wikidata: str | None = strawberry.field(description="Wikidata QID, where known.")
    description: str | None = strawberry.field()

    @strawberry.field(description="Relations of this entity; MET_WITH and the like both ways.")
    async def relations(
        self,
        info: KgInfo,
        types: list[RelationType] | None = None,  # type: ignore[valid-type]
        direction: Direction = Direction.BOTH,
        statuses: list[Status] | None = None,  # type: ignore[valid-type]
        date_from: Annotated[str | None, strawberry.argument(name="from")] = None,
        date_to: Annotated[str | None, strawberry.argument(name="to")] = None,
        first: Annotated[
            int | None,
            strawberry.argument(description="At most this many (default and cap: the server's)."),
        ] = None,
    ) -> list[Relation]:
        key = relations_key(
            info,
            self.entity.id,
            (types, direction, statuses, date_from, date_to, first),
            relation_projection(selected(info)),
        )
        return [Relation.of(item) for item in await info.context.loaders.relations.load(key)]

    @strawberry.field(
        description="Relations of this entity a page at a time, by key, with a totalCount."
    )
    async def relations_connection(
        self,
        info: KgInfo,
        types: list[RelationType] | None = None,  # type: ignore[valid-type]
        direction: Direction = Direction.BOTH,
        statuses: list[Status] | None = None,  # type: ignore[valid-type]
        date_from: Annotated[str | None, strawberry.argument(name="from")] = None,
        date_to: Annotated[str | None, strawberry.argument(name="to")] = None,
        first: int = 20,
        after: str | None = None,
    ) -> Annotated[RelationConnection, strawberry.lazy("kg.api.connections")]:
        from kg.api.connections import decode_cursor, relation_connection

        projection = connection_projection(selected(info))
        chosen = relation_filter(types, direction, statuses, date_from, date_to, None, projection)
        position = decode_cursor("relations", after, 1)
        key = RelationPageKey(
            self.entity.id, chosen, check_first(info, first), str(position[0]) if position else None
        )
        page = await info.context.loaders.relation_pages.load(key)
        loaders = info.context.loaders
        total = RelationsKey(self.entity.id, chosen)
        return relation_connection(
            "relations", page, after is not None, lambda: loaders.relation_counts.load(total)
        )

    @strawberry.field(
        description=(
            "How many relations it has, of these types and this way (symmetric types count "
            "either way), read from Neo4j's degree counts without loading any relation."
        )
    )
    async def degree(
        self,
        info: KgInfo,
        types: list[RelationType] | None = None,  # type: ignore[valid-type]
        direction: Direction = Direction.BOTH,
    ) -> int:
        chosen = relation_filter(types, direction, None, None, None)
        return await info.context.loaders.relation_counts.load(RelationsKey(self.entity.id, chosen))

    @strawberry.field(description="Entities within `depth` hops (1 to 3), nearest first.")
    async def neighbors(
        self,
        info: KgInfo,
        depth: int = 1,
        types: list[RelationType] | None = None,  # type: ignore[valid-type]
        first: int = 50,
    ) -> list[Neighbor]:
        key = neighbors_key(info, self.entity.id, depth, types, first)
        found = await info.context.loaders.neighbors.load(key)
        return [Neighbor(entity=entity_view(n.entity), distance=n.distance) for n in found]


def _entity_class(label: str) -> type[Entity]:
    cls = type(label, (Entity,), {"__doc__": entity_descriptions()[label]})
    return strawberry.type(cls, description=entity_descriptions()[label])


# One GraphQL object type per node label, all from the ontology.
ENTITY_TYPES: dict[str, type[Entity]] = {t.value: _entity_class(t.value) for t in _EntityType}


_ENTITY_TYPE_MEMBERS = {member.value: member for member in _EntityType}
_RELATION_TYPE_MEMBERS = {member.value: member for member in _RelationType}
_STATUS_MEMBERS = {member.value: member for member in _Status}


@functools.lru_cache(maxsize=4096)
def entity_view(entity: domain.Entity) -> Entity:
    """The GraphQL object of an entity: `Person` for a :Person. Views are never changed once
    made, so equal entities share one (a hub is an end of most of its relations)."""
    return filled(
        ENTITY_TYPES[entity.type],
        {
            "entity": entity,
            "id": strawberry.ID(entity.id),
            "type": _ENTITY_TYPE_MEMBERS[entity.type],
            "name": entity.name,
            "aliases": list(entity.aliases),
            "wikidata": entity.wikidata,
            "description": entity.description,
        },
    )


@strawberry.type(description="An entity near another, and how many hops away.")
class Neighbor:
    entity: Entity
    distance: int


async def _evidence_article(root: domain.Evidence, info: KgInfo) -> Article | None:
    if root.article_id is None:
        return None
    found = await info.context.loaders.article.load(root.article_id)
    return Article.of(found) if found else None


@strawberry.type(description="The verbatim sentence of an article that states a relation.")
class Evidence:
    # Answered straight from the domain object (kg.domain.Evidence), whose fields these are
    # by the same names: a relation's evidence needs no view of its own. So it must stay out
    # of interfaces and unions, where Strawberry would check the object's Python class.
    text: str = strawberry.field(description="The sentence, verbatim.")
    start: int | None = strawberry.field(
        description="Character offset into the article's stored text."
    )
    end: int | None = strawberry.field(
        description="End offset (exclusive): article.text[start:end] == text."
    )
    sentence_index: int | None = strawberry.field()
    article: Article | None = strawberry.field(resolver=_evidence_article)


async def _relation_place(root: Relation, info: KgInfo) -> Entity | None:
    if root.relation.place is None:
        return None
    found = await info.context.loaders.entity.load(root.relation.place)
    return entity_view(found) if found else None


async def _relation_attributed_to(root: Relation, info: KgInfo) -> list[Entity]:
    found = await info.context.loaders.entity.load_many(list(root.relation.attributed_to))
    return [entity_view(e) for e in found if e is not None]


async def _relation_sources(root: Relation, info: KgInfo) -> list[Article]:
    found = await info.context.loaders.article.load_many(list(root.relation.sources))
    return [Article.of(a) for a in found if a is not None]


@strawberry.type(description="A fact: subject, type, object, with qualifiers and evidence.")
class Relation:
    # A view that reads its domain object rather than copying it (read_field): a relation
    # list is most of an answer, and kg.api.plain completes these fields without calls. The
    # two ends come with the relation from the store, so resolving them is not a query;
    # only fields that load something have resolvers of their own.
    relation: strawberry.Private[domain.Relation]
    key: str = read_field("relation.key", description="The identity: type|subject|object|date.")
    type: RelationType = read_field("relation.type", _RELATION_TYPE_MEMBERS.__getitem__)  # type: ignore[valid-type]  # ontology enum
    subject: Entity = strawberry.field()
    object: Entity = strawberry.field()
    status: Status = read_field("relation.status", _STATUS_MEMBERS.__getitem__)  # type: ignore[valid-type]  # ontology enum
    date: str | None = read_field(
        "relation.date", description="ISO date, partial (2024-06) or a range (a/b)."
    )
    date_text: str | None = read_field(
        "relation.date_text", description="The words the date came from."
    )
    place: Entity | None = strawberry.field(
        resolver=_relation_place, description="Where it happened."
    )
    quantity: float | None = read_field("relation.quantity")
    quantity_qualifier: str | None = read_field(
        "relation.quantity_qualifier", description="over, about, at least, up to"
    )
    claim: str | None = read_field("relation.claim", description="What is alleged (ACCUSED).")
    as_: str | None = read_field(
        "relation.as_", name="as", description="The label given (DESIGNATED)."
    )
    role: str | None = read_field(
        "relation.role", description="The office held (OFFICIAL_OF, HEADS, MEMBER_OF)."
    )
    topics: list[str] = read_field("relation.topics")  # a tuple: GraphQL lists take any
    confidence: float | None = read_field("relation.confidence")
    attributed_to: list[Entity] = strawberry.field(
        resolver=_relation_attributed_to, description="Who says so."
    )
    evidence: list[Evidence] = read_field(  # domain.Evidence objects (see Evidence)
        "relation.evidence", description="Every sentence, in every article, that states it."
    )
    sources: list[Article] = strawberry.field(
        resolver=_relation_sources, description="Every article that states it."
    )

    @classmethod
    def of(cls, item: EntityRelation) -> Relation:
        return cls.between(item.relation, item.subject, item.object)

    @classmethod
    def between(
        cls, relation: domain.Relation, subject: domain.Entity, object_: domain.Entity
    ) -> Relation:
        """The view of a relation whose two ends are these entities."""
        return filled(
            cls,
            {"relation": relation, "subject": entity_view(subject), "object": entity_view(object_)},
        )


@strawberry.type(description="One sentence of an article, with offsets into its stored text.")
class Sentence:
    sentence: strawberry.Private[domain.Sentence]
    article_id: strawberry.Private[str]
    index: int
    text: str
    start: int
    end: int
    boilerplate: bool = strawberry.field(
        description="True for a publisher's appeal or other page furniture."
    )

    @classmethod
    def of(cls, sentence: domain.Sentence, article_id: str) -> Sentence:
        return cls(
            sentence=sentence,
            article_id=article_id,
            index=sentence.index,
            text=sentence.text,
            start=sentence.start,
            end=sentence.end,
            boilerplate=sentence.boilerplate,
        )

    @strawberry.field(description="The relations this sentence is evidence for.")
    async def relations(self, info: KgInfo) -> list[Relation]:
        found = await info.context.loaders.article_relations.load(self.article_id)
        return [
            Relation.of(item)
            for item in found
            if any(
                e.article_id == self.article_id and e.sentence_index == self.sentence.index
                for e in item.relation.evidence
            )
        ]


@strawberry.type(description="A news article: metadata, stored text, sentences and relations.")
class Article(Node):
    article: strawberry.Private[domain.Article]
    id: strawberry.ID
    title: str
    source: str | None = strawberry.field(description="The publisher.")
    published: str | None = strawberry.field(description="ISO 8601 date-time.")
    updated: str | None = strawberry.field()
    url: str | None = strawberry.field()
    content_sha256: str = strawberry.field(description="SHA-256 of the stored text.")
    text: str = strawberry.field(description="The stored text every offset refers to.")

    @classmethod
    def of(cls, article: domain.Article) -> Article:
        return cls(
            article=article,
            id=strawberry.ID(article.id),
            title=article.title,
            source=article.source,
            published=article.published,
            updated=article.updated,
            url=article.url,
            content_sha256=article.content_sha256,
            text=article.text,
        )

    @strawberry.field
    async def sentences(self, info: KgInfo, include_boilerplate: bool = True) -> list[Sentence]:
        found = await info.context.loaders.sentences.load(self.article.id)
        return [
            Sentence.of(s, self.article.id)
            for s in found
            if include_boilerplate or not s.boilerplate
        ]

    @strawberry.field(description="Every relation this article states.")
    async def relations(self, info: KgInfo) -> list[Relation]:
        found = await info.context.loaders.article_relations.load(self.article.id)
        return [Relation.of(item) for item in found]


@strawberry.type(description="The shortest connection between two entities.")
class Path:
    length: int
    entities: list[Entity]
    relations: list[Relation]


@strawberry.type(description="The two entities exist but no path of the allowed length joins them.")
class NoPath:
    message: str


@strawberry.type(description="No entity has this id.")
class EntityNotFound:
    id: strawberry.ID
    message: str


PathResult = Annotated[Path | NoPath | EntityNotFound, strawberry.union("PathResult")]
