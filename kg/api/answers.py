"""Answers to repeated queries, served from memory while the graph has not changed.

Clients ask the same questions again and again (a dashboard, a popular entity's page). The
answer to a query depends only on its document, variables and operation name, and on the
graph: the settings are the process's own, and no query's answer depends on the caller's key
(keys gate mutations; KG_REQUIRE_KEY_FOR_QUERIES refuses a request before it gets here). So
the answer computed while the graph was at revision R is the answer for as long as it is at R.

A request made before (the same document, variables and operation name) first reads the
graph's revision (`GraphStore.revision`, the last transaction committed in the database,
whoever committed it) from a read that started after the request arrived. One read serves
every request that was waiting when it started (`GraphRevision`), so under load the check
costs a fraction of a round trip per request. An answer is kept under the revision read
before it was computed: a write committed meanwhile makes the next revision differ, and the
answer is dropped unseen. Never stale, then; at worst computed again. A request made for the
first time is executed at once, without the read: most are never repeated.

Kept: answers to query operations without errors, in one piece (no incremental delivery),
within KG_ANSWER_CACHE_MB, the least recently used leaving first. A new revision empties the
cache.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.types import ExecutionResult

CacheKey = tuple[str, str | None, bytes]
"""The document, the operation name and the variables (canonical JSON)."""

# An answer larger than this share of the budget is not kept: it would push out many others.
_LARGEST_SHARE = 8
# Requests remembered as asked once (their hashes, a few dozen bytes each).
_ASKED_REMEMBERED = 4096


class GraphRevision:
    """The graph's revision as of a moment after the caller asked, one read shared by many.

    A caller waits for the next read to start (never joins one already running, which may
    have started before the caller's request, and so before a write it must see).
    """

    def __init__(self, read: Callable[[], Awaitable[str]]) -> None:
        self._read = read
        self._waiting: list[asyncio.Future[str]] = []
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0
        """Revision reads made so far (each shared by the callers waiting when it began)."""

    async def current(self) -> str:
        """The revision, read after this call began. Raises what the read raises."""
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        if self._reader is None:
            self._reader = asyncio.create_task(self._serve())
        return await waiter

    async def _serve(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                self.reads += 1
                try:
                    revision = await self._read()
                except Exception as exc:  # each waiter gets the read's failure as its own
                    for waiter in batch:
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                for waiter in batch:
                    if not waiter.done():  # a waiter whose request was cancelled is done
                        waiter.set_result(revision)
        finally:
            self._reader = None


class AnswerCache:
    """Answers of one revision, by request, within a budget of bytes.

    An answer is kept as its JSON (an `orjson.Fragment`, written into the response as it is):
    the budget counts the bytes held, where Python objects would take several times their
    JSON's size, and a hit is not encoded again.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.max_bytes = max_bytes
        self.bytes = 0
        self._revision: str | None = None
        self._answers: OrderedDict[CacheKey, tuple[ExecutionResult, int]] = OrderedDict()
        # Hashes of requests asked once: a request is worth a revision read (and keeping)
        # only from its second time. A hash shared by two requests costs a needless read.
        self._asked: OrderedDict[int, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    def asked_before(self, key: CacheKey) -> bool:
        """True when this request was made before (its answer may be kept); notes it."""
        digest = hash(key)
        if digest in self._asked:
            self._asked.move_to_end(digest)
            return True
        self._asked[digest] = None
        if len(self._asked) > _ASKED_REMEMBERED:
            self._asked.popitem(last=False)
        return key in self._answers

    def get(self, key: CacheKey, revision: str) -> ExecutionResult | None:
        """The answer kept for this request at this revision, if any."""
        self._moved_to(revision)
        found = self._answers.get(key)
        if found is None:
            return None
        self._answers.move_to_end(key)
        return found[0]

    def put(self, key: CacheKey, revision: str, result: ExecutionResult) -> None:
        """Keep the answer computed after `revision` was read, while that is still the newest
        revision seen (an answer of an older one may already be stale)."""
        if self._revision != revision or result.errors or result.data is None:
            return
        try:
            encoded = orjson.dumps(result.data)
        except TypeError:  # what orjson refuses (an integer beyond 64 bits) is not kept
            return
        size = len(encoded) + len(key[0]) + len(key[2])
        if size * _LARGEST_SHARE > self.max_bytes:
            return
        previous = self._answers.pop(key, None)
        if previous is not None:
            self.bytes -= previous[1]
        # Strawberry passes `data` through to the router's encode_json (orjson) untouched.
        kept = ExecutionResult(
            data=orjson.Fragment(encoded),  # type: ignore[arg-type]  # JSON, not a dict
            errors=None,
            extensions=result.extensions,
        )
        self._answers[key] = (kept, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, evicted) = self._answers.popitem(last=False)
            self.bytes -= evicted

    def _moved_to(self, revision: str) -> None:
        if revision != self._revision:
            self._answers.clear()
            self.bytes = 0
            self._revision = revision


def cache_key(
    document: str, operation_name: str | None, variables: Mapping[str, object] | None
) -> CacheKey | None:
    """The key of a request, or None when its variables have no canonical JSON."""
    try:
        canonical = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return (document, operation_name, canonical)


@lru_cache(maxsize=1024)
def is_query(document: str, operation_name: str | None) -> bool:
    """True when the operation the request runs is a query (not a mutation or subscription).

    Asked only of documents that were just executed without errors, so the parse succeeds
    within the schema's token limit.
    """
    try:
        operation = get_operation_ast(parse(document), operation_name)
    except GraphQLError:
        return False
    return operation is not None and operation.operation is OperationType.QUERY
