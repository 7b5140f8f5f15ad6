"""Change notifications: an in-process publish/subscribe bus behind the `articleLoaded`
subscription.

The app makes one `EventBus` (in `create_app`, as `app.state.events`); `ingestArticle`
publishes an `ArticleLoadedEvent` after its write has committed, and every open subscription
receives it.

What the bus does not see, by design of an in-process bus:
- loads made by another process (`kg load`, another API instance) publish nothing here;
- with several uvicorn workers (`kg serve --workers N`), each worker has its own bus, so a
  subscriber hears only the mutations that the same worker served.
A follower that must see every change should, for now, also poll `articles` (newest first);
a later step could publish through a broker (Redis, NATS) or poll Neo4j instead.

Slow subscribers. Each subscriber has a bounded queue (`queue_size` events). Events are never
dropped silently: a subscriber whose queue is full when an event arrives is cut off. It first
receives every event queued before the gap, then its subscription ends with the error
`SUBSCRIBER_TOO_SLOW`. It can then re-read what it missed (`articles`) and subscribe again.
Publishing never waits for a subscriber, so a stalled client cannot hold up a mutation.

Everything runs on the server's event loop: `publish` must be called from it (resolvers are).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

from kg import domain
from kg.store import EntityRelation

log = logging.getLogger("kg.api.events")

DEFAULT_QUEUE_SIZE = 100
SUBSCRIBER_TOO_SLOW = "SUBSCRIBER_TOO_SLOW"


@dataclass(frozen=True)
class ArticleLoadedEvent:
    """One article was written: the article as stored, and every relation it states."""

    article: domain.Article
    relations: tuple[EntityRelation, ...]


class SubscriberTooSlow(GraphQLError):
    """The subscriber fell `queue_size` events behind and was cut off; it missed events."""

    def __init__(self, queue_size: int) -> None:
        super().__init__(
            f"this subscription fell more than {queue_size} events behind and was ended; "
            "re-read what was missed (articles) and subscribe again",
            extensions={"code": SUBSCRIBER_TOO_SLOW},
        )


class Subscriber:
    """One subscription's queue. Iterate it to receive events, oldest first."""

    def __init__(self, queue_size: int) -> None:
        self._queue: asyncio.Queue[ArticleLoadedEvent | None] = asyncio.Queue(queue_size)
        self._size = queue_size
        self.lagged = False
        self.closed = False

    def offer(self, event: ArticleLoadedEvent) -> bool:
        """Queue the event; False (and cut off) when the queue is full."""
        if self.lagged or self.closed:
            return False
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lagged = True
            return False
        return True

    def close(self) -> None:
        """End the subscription once the queued events are read."""
        self.closed = True
        # A full queue means the reader is not waiting: it finds `closed` once it has drained it.
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)  # wakes a waiting reader

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> ArticleLoadedEvent:
        if self._queue.empty():
            if self.lagged:
                raise SubscriberTooSlow(self._size)
            if self.closed:
                raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event


class EventBus:
    """Fan-out of events to the subscribers of one process."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.queue_size = queue_size
        self._subscribers: set[Subscriber] = set()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, event: ArticleLoadedEvent) -> None:
        """Hand the event to every subscriber, without waiting; cut off those that are full."""
        for subscriber in list(self._subscribers):
            if not subscriber.offer(event):
                self._subscribers.discard(subscriber)
                log.warning("a subscriber fell %d events behind and was cut off", self.queue_size)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscriber]:
        """A subscriber for the `async with` block; it is removed when the block ends."""
        subscriber = Subscriber(self.queue_size)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    def close(self) -> None:
        """End every subscription (at shutdown)."""
        for subscriber in self._subscribers:
            subscriber.close()
        self._subscribers.clear()


def event_bus(context: Any) -> EventBus | None:
    """The bus of the app serving this request (`app.state.events`), if it has one.

    A schema executed without the app (no request in the context) has none.
    """
    scope = getattr(getattr(context, "request", None), "scope", None) or {}
    bus = getattr(getattr(scope.get("app"), "state", None), "events", None)
    return bus if isinstance(bus, EventBus) else None
