"""Objects whose selected fields are all plain values are completed without graphql-core's
per-field machinery.

graphql-core executes each field of each object on its own: resolve info, resolver call,
completion by type, about 15 to 20 µs a field here, which was most of a 100-relation
answer's cost (docs/performance.md). Most of kg's fields are plain reads: Strawberry's
"basic" fields, read with `getattr`, and fields made by `read_field`, whose resolver only reads
an attribute path of the view's domain object. When every field selected on an object is
such a read, all the way down, this execution context builds the object's
answer directly from a plan made once per request and selection: a small generated Python
function (`_Source`), compiled once per process. The fields are collected by
graphql-core itself, so aliases, fragments, `__typename` and `@skip`/`@include` mean what
they always do. Anything else (a field with a resolver of its own, a type check that says no, a
null where the schema promises a value, a value a scalar refuses, a read or a conversion that
raises) goes through graphql-core unchanged, so its answers and errors stay graphql-core's,
at their own paths; tests/test_plain.py compares the two.
"""

from __future__ import annotations

import asyncio
import functools
import keyword
import math
from collections.abc import Callable
from enum import Enum
from types import CodeType
from typing import Any

import strawberry
from graphql import (
    ExecutionResult,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    Undefined,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

Complete = Callable[[Any], Any]
"""Turns a field's value into its place in the answer, or raises _Fallback."""

_DEFINITION = "strawberry-definition"  # where Strawberry keeps a GraphQL field's own field


_READS = "_kg_reads"  # where read_field marks its resolver with what it reads
_Read = tuple[tuple[str, ...], Callable[[Any], Any] | None]


def read_field(path: str, convert: Callable[[Any], Any] | None = None, **options: Any) -> Any:
    """A Strawberry field whose value is an attribute of the object's domain object, read
    along `path` ("relation.date") and passed through `convert` if given: a view that reads
    its domain object instead of copying it. graphql-core calls the resolver made here; a
    plan reads the path itself, as it reads a plain field (no call per field). `options` are
    strawberry.field's (description, name, ...)."""
    names = tuple(path.split("."))
    if not all(name.isidentifier() and not keyword.iskeyword(name) for name in names):
        raise ValueError(f"a read_field path is attribute names joined by dots, not {path!r}")
    refused = sorted(set(options) & {"extensions", "permission_classes", "resolver"})
    if refused:  # a plan reads the path without running them: they would be skipped
        raise ValueError(f"a read_field takes no {', '.join(refused)}: its plans skip them")

    def resolve(root: Any) -> Any:
        value = root
        for name in names:
            value = getattr(value, name)
        return value if convert is None else convert(value)

    resolve.__name__ = resolve.__qualname__ = f"read_{names[-1]}"
    setattr(resolve, _READS, (names, convert))
    return strawberry.field(resolver=resolve, **options)


class _Fallback(Exception):
    """This value cannot be completed directly (a null where the schema promises a value, a
    value a scalar refuses): graphql-core completes it."""


class _NotPlain(_Fallback):
    """A value's own type is not plain under its fields: no value under this plan can be
    completed directly, so the plan is dropped for the rest of the request."""


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with a direct path for objects of plain fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As graphql-core's own collect_subfields memo: keyed on the identity of the field
        # list, which is kept alive beside its plan so that the id is not reused.
        self._plans: dict[tuple[str, int], tuple[FieldDetailsList, Complete | None]] = {}

    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        # graphql-core's executor is held in reference cycles of its own; the plans hold the
        # answers they made (and the views they were made from), which would wait for the
        # cyclic collector if they were not let go here, once the answer is complete.
        if isinstance(response, ExecutionResult):
            plans, self._plans = self._plans, {}
            try:  # freed at the loop's next turn: the answer need not wait for it
                asyncio.get_running_loop().call_soon(plans.clear)
            except RuntimeError:  # executed synchronously
                plans.clear()
        return response

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        plan = self._plan(return_type, field_details_list)
        if plan is not None:
            try:
                return plan(result)
            except _NotPlain:
                self._plans[return_type.name, id(field_details_list)] = (field_details_list, None)
            except Exception:  # noqa: S110  # _Fallback, or what a read or a conversion raised:
                pass  # graphql-core completes it again, and reports what is wrong its own way
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # A list of plain objects is completed in one loop: graphql-core would pass each item
        # through five of its own calls before reaching the item's plan.
        if isinstance(result, (list, tuple)) and not self.get_stream_usage(
            field_details_list, path
        ):
            item = self._list_items(return_type, field_details_list)
            if item is not None:
                try:
                    return [item(value) for value in result]
                except _NotPlain:
                    key = (f"[{return_type.of_type}]", id(field_details_list))
                    self._plans[key] = (field_details_list, None)
                except Exception:  # noqa: S110  # as in collect_and_execute_subfields
                    pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _list_items(
        self, list_type: GraphQLList[Any], details: FieldDetailsList
    ) -> Complete | None:
        key = (f"[{list_type.of_type}]", id(details))
        cached = self._plans.get(key)
        if cached is None:
            item_type = list_type.of_type
            plain = (
                self._completer(item_type, details)
                if not is_leaf_type(get_nullable_type(item_type))
                else None  # graphql-core's own loop over leaves is as quick
            )
            cached = self._plans[key] = (details, plain)
        return cached[1]

    def _plan(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Complete | None:
        key = (object_type.name, id(details))
        cached = self._plans.get(key)
        if cached is None:
            cached = (details, self._build(object_type, details))
            self._plans[key] = cached
        return cached[1]

    def _build(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Complete | None:
        """The plan of an object of this type under these field nodes, if all are plain."""
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, details)
        if new_defer_usages:
            return None
        source = _Source()
        reads: list[str] = []
        entries: list[str] = []
        for response_key, field_details in grouped.items():
            name = field_details[0].node.name.value
            if name == "__typename":
                entries.append(f"{response_key!r}: {object_type.name!r}")
                continue
            field = object_type.fields.get(name)
            definition = (field.extensions or {}).get(_DEFINITION) if field else None
            if field is None or not isinstance(definition, StrawberryField):
                return None
            path: tuple[str, ...]
            if getattr(field.resolve, "_is_default", False):
                path, convert = (definition.python_name,), None
            else:  # a resolver: graphql-core's to run, unless it only reads (`read_field`)
                marked = getattr(definition.base_resolver, "wrapped_func", None)
                found: _Read | None = getattr(marked, _READS, None)
                if found is None:
                    return None
                path, convert = found
            value = f"v{len(reads)}"
            expression = self._expression(field.type, field_details, value, source)
            if expression is None:
                return None
            read = "source"
            for attr in path:
                if attr.isidentifier() and not keyword.iskeyword(attr):
                    read += f".{attr}"
                else:
                    read = f"getattr({read}, {attr!r})"
            if convert is not None:
                read = f"{source.name(convert, 'convert')}({read})"
            reads.append(f"    {value} = {read}")
            entries.append(f"{response_key!r}: {expression}")
        lines = ["def run(source):"]
        # Strawberry gives each type that implements an interface an `is_type_of` (an
        # isinstance check); it is asked here as graphql-core would, without resolve info.
        if object_type.is_type_of is not None:
            check = source.name(object_type.is_type_of, "is_type_of")
            # No resolve info: the type checks of kg's types (Strawberry's, federation's)
            # ignore it.
            lines.append(f"    if {check}(source, None) is not True:")
            lines.append("        raise _Fallback  # refused, or asked asynchronously")
        lines += reads
        lines.append("    return {" + ", ".join(entries) + "}")
        return source.function("\n".join(lines), "run")

    def _completer(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete | None:
        source = _Source()
        expression = self._expression(type_, details, "value", source)
        if expression is None:
            return None
        return source.function(f"def complete(value):\n    return {expression}", "complete")

    def _expression(
        self, type_: GraphQLOutputType, details: FieldDetailsList, value: str, source: _Source
    ) -> str | None:
        """A Python expression that completes the local `value` as a `type_` under these
        field nodes, or None when a value of this type is not plain."""
        nullable_type = get_nullable_type(type_)
        required = isinstance(type_, GraphQLNonNull)
        if is_leaf_type(nullable_type):  # the common cases inline, the others in _leaf
            leaf = source.name(_leaf(nullable_type, required), "leaf")
            unchanged = _UNCHANGED.get(nullable_type.serialize)
            if unchanged is not None:
                kind = source.name(unchanged, "kind")
                return f"({value} if {value}.__class__ is {kind} else {leaf}({value}))"
            names = _enum_names(nullable_type)
            if names is not None:
                enum = source.name(names, "enum")
                return f"({enum}[{value}] if {value} in {enum} else {leaf}({value}))"
            return f"{leaf}({value})"
        if isinstance(nullable_type, GraphQLList):
            item = f"x{source.depth}"
            source.depth += 1
            inner = self._expression(nullable_type.of_type, details, item, source)
            if inner is None:
                return None
            present = (
                f"([{inner} for {item} in {value}]"
                f" if isinstance({value}, _SEQUENCES) else _fallback())"
            )
        elif is_object_type(nullable_type):
            plan = self._plan(nullable_type, details)
            if plan is None:
                return None
            present = f"{source.name(plan, 'plan')}({value})"
        elif is_abstract_type(nullable_type):
            by_type = self._abstract(nullable_type, details)
            present = f"{source.name(by_type, 'abstract')}({value})"
        else:
            return None
        if required:  # a null where one is promised: graphql-core reports it
            return f"({present} if {value} is not None else _fallback())"
        return f"(None if {value} is None else {present})"

    def _abstract(self, type_: GraphQLAbstractType, details: FieldDetailsList) -> Complete:
        """An interface or union: each value completed by the plan of its own type, made when
        a value of that type first comes (an interface of kg has a dozen types, an answer
        holds a few); a type that is not plain sends the value back to graphql-core."""
        possible = {t.name: t for t in self.schema.get_possible_types(type_)}
        plans: dict[type, Complete] = {}  # the plan of each Python class met under this field
        # The answers already made under this field, by the value's identity (the value is
        # kept, so its id is not reused): the views are never changed once made, and a hub is
        # an end of most of the relations in a list. Each later place gets its own copy.
        made: dict[int, tuple[Any, dict[str, Any]]] = {}

        def by_runtime_type(value: Any) -> Any:
            seen = made.get(id(value))
            if seen is not None:
                return dict(seen[1])
            plan = plans.get(type(value))
            if plan is None:
                definition = getattr(type(value), "__strawberry_definition__", None)
                object_type = possible.get(getattr(definition, "name", ""))
                if object_type is None:
                    raise _Fallback  # not a type of the schema's: graphql-core says so
                found = self._plan(object_type, details)
                if found is None:
                    raise _NotPlain
                plan = plans[type(value)] = found
            answer = plan(value)
            made[id(value)] = (value, answer)
            return answer

        return by_runtime_type


def _fallback() -> Any:
    raise _Fallback


class _Source:
    """The source of one generated function, and the values its free names stand for.

    Completion is generated as Python, as graphql-jit does for JavaScript: a plan's fields
    become local reads and one dict display, the common leaves inline type checks, so an
    object costs one call instead of one per field (docs/performance.md, eighth round). The
    text holds no value from the request: response keys are GraphQL names (the lexer admits
    only letters, digits and `_`) written with repr(), attribute names are Strawberry's Python
    identifiers or `read_field`'s checked paths, and everything else is a name bound here.
    """

    def __init__(self) -> None:
        self.names: dict[str, Any] = {
            "_Fallback": _Fallback,
            "_fallback": _fallback,
            "_SEQUENCES": (list, tuple),
        }
        self.depth = 0  # the next comprehension variable, x0, x1, ...

    def name(self, value: Any, prefix: str) -> str:
        """A new global name of the generated function, standing for `value`."""
        name = f"{prefix}_{len(self.names)}"
        self.names[name] = value
        return name

    def function(self, text: str, name: str) -> Complete:
        namespace = dict(self.names)
        exec(_compiled(text), namespace)  # noqa: S102  # made from names only (see the class)
        # Out of its own globals: a function in the dict that is its __globals__ is a
        # reference cycle, and the plan's answers would wait for the cyclic collector.
        function: Complete = namespace.pop(name)
        return function


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> CodeType:
    """Compiled once per process: a request's plans have the text of the last request's."""
    return compile(text, "<kg.api.plain>", "exec")


# graphql-core's serializers that answer a value of exactly this Python type unchanged.
_UNCHANGED: dict[Any, type] = {
    GraphQLString.serialize: str,
    GraphQLID.serialize: str,
    GraphQLBoolean.serialize: bool,
}
_INT_RANGE = range(-(2**31), 2**31)  # GraphQL's Int: 32 bits; graphql-core refuses the rest


@functools.cache  # per enum type of the schema, which lives as long as the process
def _enum_names(type_: GraphQLLeafType) -> dict[Any, str] | None:
    """For a Strawberry enum, its members' GraphQL names: Strawberry finds a member's name by
    scanning the enum's values, a dozen property reads for each value answered."""
    wrapped = getattr(type_, "wrapped_cls", None)
    if not (isinstance(type_, GraphQLEnumType) and isinstance(wrapped, type)):
        return None
    if not issubclass(wrapped, Enum):
        return None
    names: dict[Any, str] = {}
    for member in wrapped:
        found = [name for name, value in type_.values.items() if value.value == member.value]
        if found:
            names[member] = found[0]  # the first, as Strawberry's own scan
    return names


def _leaf(type_: GraphQLLeafType, required: bool) -> Complete:
    """A scalar or enum field: its value serialized as graphql-core would, the common cases
    without a call; a null where one is promised, or a value the type refuses, falls back."""
    serialize = type_.serialize
    unchanged = _UNCHANGED.get(serialize)
    enum_names = _enum_names(type_)
    is_int, is_float = serialize is GraphQLInt.serialize, serialize is GraphQLFloat.serialize

    def leaf(value: Any) -> Any:
        if value is None:
            if required:
                raise _Fallback  # graphql-core reports the broken promise
            return None
        kind = type(value)
        if kind is unchanged:
            return value
        if enum_names is not None and value in enum_names:
            return enum_names[value]
        if (is_int and kind is int and value in _INT_RANGE) or (
            is_float and kind is float and math.isfinite(value)
        ):
            return value
        try:
            serialized = serialize(value)
        except Exception as exc:  # the scalar refuses it: graphql-core reports how
            raise _Fallback from exc
        if serialized is Undefined or serialized is None:
            raise _Fallback
        return serialized

    return leaf
