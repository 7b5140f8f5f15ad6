"""Relay connections: pages of relations and entities behind opaque keyset cursors.

A cursor encodes the position of its item in the page's order (a relation's key; a date and
a key; a search score and an id), not an offset, so `after` gives the same next page however
many items came before, and a page is read with an index or a bounded expand, never SKIP.
`totalCount` is a field of its own: it is counted only when asked for.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence

import strawberry

from kg import domain
from kg.api.types import BadInput, Entity, Relation, entity_view
from kg.store import EntityRelation
from kg.store.pages import Page, Position

Count = Callable[[], Awaitable[int]]


def encode_cursor(kind: str, position: Position) -> str:
    """An opaque cursor: base64url of the order's kind and the item's position in it."""
    raw = json.dumps([kind, *position], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(kind: str, cursor: str | None, size: int) -> Position | None:
    """The position a cursor of this kind encodes; BadInput for anything this API did not give
    for this field (another field's cursor, a forged or truncated one)."""
    if cursor is None:
        return None
    problem = BadInput(f"after: {cursor[:40]!r} is not a cursor of this field; use an endCursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise problem from exc
    if not (isinstance(value, list) and len(value) == size + 1 and value[0] == kind):
        raise problem
    position = tuple(value[1:])
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in position):
        raise problem
    return position


@strawberry.type(description="Where a page sits: whether more follow, and the cursors of its ends.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="True when the page was asked for `after` a cursor."
    )
    start_cursor: str | None
    end_cursor: str | None


def _page_info(kind: str, positions: Sequence[Position], has_next: bool, after: bool) -> PageInfo:
    cursors = [encode_cursor(kind, p) for p in positions]
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=after,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


@strawberry.type(description="A relation and its cursor.")
class RelationEdge:
    cursor: str
    node: Relation


@strawberry.type(description="A page of relations (Relay connection).")
class RelationConnection:
    edges: list[RelationEdge]
    page_info: PageInfo
    count: strawberry.Private[Count]

    @strawberry.field(description="The relations of this page, without their cursors.")
    def nodes(self) -> list[Relation]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many relations pass the filter, on every page together.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type(description="An entity and its cursor.")
class EntityEdge:
    cursor: str
    node: Entity


@strawberry.type(description="A page of entities (Relay connection).")
class EntityConnection:
    edges: list[EntityEdge]
    page_info: PageInfo
    count: strawberry.Private[Count]

    @strawberry.field(description="The entities of this page, without their cursors.")
    def nodes(self) -> list[Entity]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many entities match, on every page together.")
    async def total_count(self) -> int:
        return await self.count()


def relation_connection(
    kind: str, page: Page[EntityRelation], after: bool, count: Count
) -> RelationConnection:
    edges = [
        RelationEdge(cursor=encode_cursor(kind, position), node=Relation.of(item))
        for item, position in zip(page.items, page.positions, strict=True)
    ]
    info = _page_info(kind, page.positions, page.has_next, after)
    return RelationConnection(edges=edges, page_info=info, count=count)


def entity_connection(
    kind: str, page: Page[domain.Entity], after: bool, count: Count
) -> EntityConnection:
    edges = [
        EntityEdge(cursor=encode_cursor(kind, position), node=entity_view(item))
        for item, position in zip(page.items, page.positions, strict=True)
    ]
    info = _page_info(kind, page.positions, page.has_next, after)
    return EntityConnection(edges=edges, page_info=info, count=count)
