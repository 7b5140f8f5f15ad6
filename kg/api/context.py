"""Per-request context: the store, the settings, the caller's key and the DataLoaders.

DataLoaders batch every `load` made while one level of the query resolves into one store
call, so a list of entities with their relations costs one round trip per level, not one per
entity. They live for one request, so nothing is cached across requests.
"""

from __future__ import annotations

import hmac
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar, overload

from pydantic import SecretStr
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from kg.config import Settings
from kg.domain import Article, Entity, Sentence
from kg.store import EntityRelation, GraphStore, Neighbor, Projection, RelationFilter
from kg.store.filters import EVERYTHING
from kg.store.pages import Page


@dataclass(frozen=True)
class RelationsKey:
    entity_id: str
    filter: RelationFilter
    first: int = 100


@dataclass(frozen=True)
class NeighborsKey:
    entity_id: str
    depth: int
    types: tuple[str, ...]
    first: int


@dataclass(frozen=True)
class RelationPageKey:
    entity_id: str
    filter: RelationFilter
    first: int
    after: str | None


K = TypeVar("K")
V = TypeVar("V")


def _batch(
    owner: Loaders, method: Callable[[Loaders, list[K]], Awaitable[list[V]]]
) -> Callable[[list[K]], Awaitable[list[V]]]:
    """`method` of `owner` as a DataLoader's batch function, holding `owner` weakly.

    A bound method would close a reference cycle (Loaders -> DataLoader -> method -> Loaders),
    and everything the loaders cached (a request's entities, relations and their evidence)
    would wait for the cyclic collector instead of going when the request ends: about a
    thousand objects a request, whose collections were most of the API's collector time
    (docs/performance.md, eighth round)."""
    ref = weakref.ref(owner)

    async def load(keys: list[K]) -> list[V]:
        loaders = ref()
        if loaders is None:  # a DataLoader outliving its request: nothing may load for it
            raise RuntimeError("the request that owned this DataLoader has ended")
        return await method(loaders, keys)

    return load


class _Lazy(Generic[K, V]):
    """A DataLoader of the request's Loaders, made when first asked for (a request uses one
    to three of its eight), with that Loaders' `method` as its batch function (_batch)."""

    def __init__(self, method: Callable[[Loaders, list[K]], Awaitable[list[V]]]) -> None:
        self._method = method
        self._name = ""

    def __set_name__(self, owner: type[Loaders], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, loaders: None, owner: type[Loaders]) -> _Lazy[K, V]: ...
    @overload
    def __get__(self, loaders: Loaders, owner: type[Loaders]) -> DataLoader[K, V]: ...
    def __get__(
        self, loaders: Loaders | None, owner: type[Loaders]
    ) -> _Lazy[K, V] | DataLoader[K, V]:
        if loaders is None:
            return self
        loader = DataLoader(_batch(loaders, self._method))
        # Kept in the instance's __dict__, which later reads find before this descriptor.
        loaders.__dict__[self._name] = loader
        return loader


class Loaders:
    """The DataLoaders of one request."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def release(self) -> None:
        """Forget what was loaded, once the request's answer is made: graphql-core's executor
        sits in reference cycles of its own and holds the context, so what the loaders cached
        would otherwise wait for the cyclic collector (docs/performance.md, eighth round)."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()

    def prime_entities(self, entities: Sequence[Entity]) -> None:
        """Entities that arrived with another answer need no query of their own."""
        self.entity.prime_many({entity.id: entity for entity in entities})

    def prime_ends(self, relations: Sequence[EntityRelation], projection: Projection) -> None:
        """The ends of these relations, when they were read whole (else they are views of a
        few of their fields, not the entities)."""
        if projection.whole_ends:
            for item in relations:
                self.prime_entities((item.subject, item.object))

    async def _load_entities(self, ids: list[str]) -> list[Entity | None]:
        found = await self._store.entities(ids)
        return [found.get(entity_id) for entity_id in ids]

    async def _load_relations(self, keys: list[RelationsKey]) -> list[list[EntityRelation]]:
        # One statement per distinct (filter, first) asked at this level of the query.
        groups: dict[tuple[RelationFilter, int], list[str]] = defaultdict(list)
        for key in keys:
            groups[key.filter, key.first].append(key.entity_id)
        answers: dict[RelationsKey, list[EntityRelation]] = {}
        for (relation_filter, first), entity_ids in groups.items():
            found = await self._store.relations(entity_ids, relation_filter, first)
            for entity_id, relations in found.items():
                answers[RelationsKey(entity_id, relation_filter, first)] = relations
                self.prime_ends(relations, relation_filter.projection)
        return [answers.get(key, []) for key in keys]

    async def _load_relation_pages(self, keys: list[RelationPageKey]) -> list[Page[EntityRelation]]:
        groups: dict[tuple[RelationFilter, int, str | None], list[str]] = defaultdict(list)
        for key in keys:
            groups[key.filter, key.first, key.after].append(key.entity_id)
        answers: dict[RelationPageKey, Page[EntityRelation]] = {}
        for (relation_filter, first, after), entity_ids in groups.items():
            found = await self._store.relation_pages(entity_ids, relation_filter, first, after)
            for entity_id, page in found.items():
                answers[RelationPageKey(entity_id, relation_filter, first, after)] = page
                self.prime_ends(page.items, relation_filter.projection)
        return [answers[key] for key in keys]

    async def _load_relation_counts(self, keys: list[RelationsKey]) -> list[int]:
        # What a count returns does not matter: one statement per filter, whatever it loads.
        groups: dict[RelationFilter, list[str]] = defaultdict(list)
        for key in keys:
            groups[_counted(key.filter)].append(key.entity_id)
        answers: dict[tuple[str, RelationFilter], int] = {}
        for relation_filter, entity_ids in groups.items():
            found = await self._store.relation_counts(entity_ids, relation_filter)
            answers.update({(i, relation_filter): n for i, n in found.items()})
        return [answers[key.entity_id, _counted(key.filter)] for key in keys]

    async def _load_neighbors(self, keys: list[NeighborsKey]) -> list[list[Neighbor]]:
        # A statement per key: neighbourhoods are asked of one entity at a time.
        answers = []
        for key in keys:
            found = await self._store.neighbors(key.entity_id, key.depth, key.types, key.first)
            self.prime_entities([n.entity for n in found])
            answers.append(found)
        return answers

    async def _load_articles(self, ids: list[str]) -> list[Article | None]:
        found = await self._store.articles_by_id(ids)
        return [found.get(article_id) for article_id in ids]

    async def _load_sentences(self, article_ids: list[str]) -> list[list[Sentence]]:
        found = await self._store.sentences(article_ids)
        return [found.get(article_id, []) for article_id in article_ids]

    async def _load_article_relations(self, ids: list[str]) -> list[list[EntityRelation]]:
        found = await self._store.article_relations(ids)
        for relations in found.values():
            for item in relations:
                self.prime_entities((item.subject, item.object))
        return [found.get(article_id, []) for article_id in ids]

    # The request's DataLoaders, declared after the methods that batch their loads.
    entity = _Lazy(_load_entities)
    relations = _Lazy(_load_relations)
    relation_pages = _Lazy(_load_relation_pages)
    relation_counts = _Lazy(_load_relation_counts)
    article = _Lazy(_load_articles)
    sentences = _Lazy(_load_sentences)
    article_relations = _Lazy(_load_article_relations)
    neighbors = _Lazy(_load_neighbors)


def _counted(relation_filter: RelationFilter) -> RelationFilter:
    return replace(relation_filter, projection=EVERYTHING)


class Context(BaseContext):
    """What every resolver gets as `info.context`."""

    def __init__(self, store: GraphStore, settings: Settings, api_key: str | None) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.api_key = api_key
        self.loaders = Loaders(store)

    def may_mutate(self) -> bool:
        """True when the caller's key is one of the configured keys (constant-time compare)."""
        return key_is_valid(self.api_key, self.settings.api_keys)


def key_is_valid(given: str | None, keys: Sequence[SecretStr]) -> bool:
    """True when `given` is one of `keys`. No keys: nothing is valid.

    Every key is compared, each in constant time, so the answer's timing tells nothing about
    which key came close.
    """
    if not given or not keys:
        return False
    candidate = given.encode()
    matches = [hmac.compare_digest(candidate, key.get_secret_value().encode()) for key in keys]
    return any(matches)
