"""Limits on what one request may cost: query depth, aliases, tokens, introspection, body size.

Each refusal is an error with a stable `extensions.code`:
- `QUERY_TOO_DEEP`: fields nested deeper than KG_MAX_QUERY_DEPTH;
- `TOO_MANY_ALIASES`: more aliased fields than KG_MAX_ALIASES (fragments counted where spread);
- `TOO_MANY_TOKENS`: a document of more than KG_MAX_TOKENS tokens (the parser stops there);
- `INTROSPECTION_DISABLED`: `__schema` or `__type` asked for while KG_INTROSPECTION is false;
- `REQUEST_TOO_LARGE`: a request body of more than KG_MAX_BODY_BYTES (HTTP 413).

The first four are GraphQL errors (HTTP 200, `data` null); the depth and alias counts are
validation rules, so nothing runs when a query breaks them. Both counts memoise fragments, so a
document of fragments that spread each other many times costs linear time to check.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    parse,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"


class _Measure:
    """Depth and alias count of a document's selections, each fragment measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._depth: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._open: set[tuple[str, bool]] = set()  # being measured: a cycle counts as nothing

    def depth(self, selections: SelectionSetNode | None) -> int:
        """Levels of nested fields; introspection fields (`__schema`, ...) count as none."""
        deepest = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment(selection.name.value, self._depth, True))
        return deepest

    def aliases(self, selections: SelectionSetNode | None) -> int:
        """Aliased fields, a fragment's counted once for every place it is spread."""
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                total += (selection.alias is not None) + self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, self._aliases, False)
        return total

    def _fragment(self, name: str, memo: dict[str, int], depth: bool) -> int:
        if name in memo:
            return memo[name]
        fragment = self._fragments.get(name)
        if fragment is None or (name, depth) in self._open:
            return 0  # unknown fragments and cycles are reported by the standard rules
        self._open.add((name, depth))
        measure = self.depth if depth else self.aliases
        memo[name] = measure(fragment.selection_set)
        self._open.discard((name, depth))
        return memo[name]


def _operations(context: ValidationContext) -> Iterator[OperationDefinitionNode]:
    for definition in context.document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            yield definition


def depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """A validation rule refusing operations nested deeper than `max_depth` fields."""

    class MaxDepth(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measure = _Measure(context.document)
            for operation in _operations(context):
                depth = measure.depth(operation.selection_set)
                if depth > max_depth:
                    name = f" {operation.name.value}" if operation.name else ""
                    self.report_error(
                        GraphQLError(
                            f"The operation{name} nests fields {depth} deep;"
                            f" the limit is {max_depth}.",
                            operation,
                            extensions={"code": QUERY_TOO_DEEP},
                        )
                    )

    return MaxDepth


def alias_rule(max_aliases: int) -> type[ASTValidationRule]:
    """A validation rule refusing documents with more than `max_aliases` aliased fields."""

    class MaxAliases(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measure = _Measure(context.document)
            count = sum(measure.aliases(op.selection_set) for op in _operations(context))
            if count > max_aliases:
                self.report_error(
                    GraphQLError(
                        f"The query uses {count} aliases; the limit is {max_aliases}.",
                        extensions={"code": TOO_MANY_ALIASES},
                    )
                )

    return MaxAliases


class NoIntrospection(NoSchemaIntrospectionCustomRule):
    """graphql-core's rule against `__schema` and `__type`, with a code on its error."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": INTROSPECTION_DISABLED}
        super().report_error(error)


def query_limits(
    max_depth: int, max_aliases: int, max_tokens: int, introspection: bool
) -> type[SchemaExtension]:
    """A schema extension that applies the limits to every operation."""
    rules: tuple[type[ASTValidationRule], ...] = (depth_rule(max_depth), alias_rule(max_aliases))
    if not introspection:
        rules += (NoIntrospection,)

    class QueryLimits(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            context = self.execution_context
            # graphql-core stops parsing past this many tokens (comments count too).
            context.parse_options["max_tokens"] = max_tokens
            context.validation_rules = (*context.validation_rules, *rules)
            if context.query is not None and context.graphql_document is None:
                # A document parsed before is not parsed again; one that fails is left to
                # strawberry, which reports the failure as usual.
                context.graphql_document = _parsed(context.query, max_tokens)
            yield

    return QueryLimits


@functools.lru_cache(maxsize=1024)
def _parsed(query: str, max_tokens: int) -> DocumentNode | None:
    """The parsed document, or None when it does not parse (not cached as an error)."""
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return None


def is_token_limit(error: GraphQLError) -> bool:
    """True for the parser's refusal of a document longer than max_tokens."""
    return error.original_error is None and "tokens. Parsing aborted." in error.message


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets HTTP 413, and the app never runs.

    Content-Length is checked first; the body is then counted as it arrives, so a chunked
    request without a length is cut off as soon as it passes the limit. The body (at most
    `max_bytes`) is held and replayed to the app.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        payload: dict[str, Any] = {
            "errors": [
                {
                    "message": f"The request body is larger than {self.max_bytes} bytes.",
                    "extensions": {"code": REQUEST_TOO_LARGE},
                }
            ]
        }
        body = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
