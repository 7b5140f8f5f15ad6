"""CSV for `neo4j-admin database import full`: the graph as the offline importer's files.

Node and relationship files with typed headers (`:ID(Entity)` then `id:string`,
`aliases:string[]`, `index:long`, ...), one file per label set (or type) and property
signature, so every value keeps its exact type; arrays are split on U+001F. The import ids are
integers (`--id-type=INTEGER`), each node's number within its kind of node, the relationships'
ends given by number; the `id` property is an ordinary column. CSV cannot carry an empty array,
so `after-import.cypher` restores them, after the constraints. A line break inside a cell is
carried as U+E000 (a CR as U+E001) and restored there too, so that the importer can split every
file between its threads.

A large graph is written in parts side by side (`write_csv(..., parts=2)`): the walk over
millions of small dicts is what the writing waits on, and a second process walks the other
half. Each part has its own files; the importer reads them all as one graph.
"""

from __future__ import annotations

import json
import math
import multiprocessing
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from kg.errors import ExportError, KgError
from kg.ontology import relation_types
from kg.store.schema import schema_statements

ARRAY_DELIMITER = "\x1f"  # ASCII unit separator: not in news text; checked on export
ARRAY_DELIMITER_ARG = "U+001F"  # how neo4j-admin takes it on the command line
AFTER_IMPORT = "after-import.cypher"
_SPACES = ("Entity", "Article", "Sentence")  # one ID space per kind of node


_SCALARS: dict[type, str] = {bool: "boolean", int: "long", float: "double", str: "string"}


class _Unfit(ValueError):
    """A value CSV cannot carry; the caller says where it was."""


def _csv_type(value: Any) -> str:
    """neo4j-admin's type for a value: exact, so the import gives the same Bolt value back."""
    kind = _SCALARS.get(type(value))
    if kind is None:  # a list, or a subclass (IntEnum, StrEnum...)
        if type(value) is list:
            kinds = set(map(type, value))
            element = _SCALARS.get(kinds.pop()) if len(kinds) == 1 else None
            if element is None:  # mixed, nested, subclasses: one by one
                listed = {_csv_type(v) for v in value}
                if len(listed) > 1 or any(k.endswith("[]") for k in listed):
                    raise _Unfit("a list of mixed values cannot go through CSV")
                element = listed.pop() if listed else "string"
            if element == "double" and not all(map(math.isfinite, value)):
                raise _Unfit("a list holds a NaN or an infinity, which cannot go through CSV")
            return f"{element}[]"
        kind = next((k for t, k in _SCALARS.items() if isinstance(value, t)), None)
        if kind is None:
            raise _Unfit(f"a {type(value).__name__} cannot go through CSV")
    if kind == "double" and not math.isfinite(value):
        raise _Unfit(f"{value} cannot go through CSV")
    return kind


def _csv_text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        parts = value if set(map(type, value)) == {str} else [_csv_text(v) for v in value]
        text = ARRAY_DELIMITER.join(parts)
        if parts and ("" in parts or text.count(ARRAY_DELIMITER) != len(parts) - 1):
            raise _Unfit("a list element is empty or holds U+001F")
        return text
    return str(value)


def _cell(value: Any) -> str:
    """Absent is an empty field; anything else is quoted (even ""), quotes doubled."""
    if value is None:
        return ""
    text = value if type(value) is str else _csv_text(value)
    return '"' + text.replace('"', '""') + '"' if '"' in text else '"' + text + '"'


def _row(values: Iterable[Any]) -> str:
    return ",".join(map(_cell, values)) + "\n"


def _cypher_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


@dataclass(frozen=True)
class CsvExport:
    """What `write_csv` wrote, and the command that imports it."""

    nodes: tuple[Path, ...]
    relationships: tuple[Path, ...]
    after_import: Path
    multiline: bool = False  # cells hold line breaks (none carried as U+E000, U+E001)

    def command(self, database: str = "neo4j", *options: str) -> list[str]:
        """`neo4j-admin database import full ...` for these files, as an argument list;
        `options` (such as --overwrite-destination=true) go before the database name."""
        return [
            "neo4j-admin",
            "database",
            "import",
            "full",
            *(f"--nodes={p}" for p in self.nodes),
            *(f"--relationships={p}" for p in self.relationships),
            # After the file lists, which would take a following name as one more file.
            f"--array-delimiter={ARRAY_DELIMITER_ARG}",
            f"--multiline-fields={'true' if self.multiline else 'false'}",
            "--id-type=INTEGER",
            *options,
            database,
        ]


def _space(labels: Sequence[str], where: str) -> str:
    spaces = [s for s in _SPACES if s in labels]
    if len(spaces) != 1:
        raise ExportError(f"{where}: labels {list(labels)} are not one of {', '.join(_SPACES)}")
    return spaces[0]


def _endpoints(rel_type: str) -> tuple[str, str]:
    if rel_type == "HAS_SENTENCE":
        return "Article", "Sentence"
    if rel_type == "MENTIONS":
        return "Sentence", "Entity"
    if rel_type in relation_types():
        return "Entity", "Entity"
    raise ExportError(f"relationships of type {rel_type} are not part of kg's graph")


def _signature(
    props: dict[str, Any], skip: str = ""
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The sorted (property, CSV type) pairs of `props`, and the properties that are empty
    lists (CSV cannot carry those: they go into after-import.cypher)."""
    kinds, empty = [], []
    for k, v in props.items():
        if k == skip:
            continue
        if type(v) is list and not v:
            empty.append(k)
            continue
        try:
            kinds.append((k, _csv_type(v)))
        except _Unfit as exc:
            raise _Unfit(f".{k}: {exc}") from None
    kinds.sort()
    return tuple(kinds), tuple(empty)


_Shapes = dict[tuple[str, str, tuple[Any, ...], tuple[str, ...]], int]
_Empties = dict[tuple[str, str, str], list[str]]  # (kind, label or type, property) -> ids or keys


@dataclass
class _Part:
    """What one part of the dump wrote, and what after-import.cypher needs to know of it."""

    nodes: list[Path] = field(default_factory=list)
    relationships: list[Path] = field(default_factory=list)
    # How many of a label's nodes (a type's relationships) have each property, empty or not:
    # counted per (kind, name, properties) shape, not per value.
    shapes: _Shapes = field(default_factory=lambda: defaultdict(int))
    empties: _Empties = field(default_factory=lambda: defaultdict(list))
    # The first thing CSV cannot carry: (0 for a node, 1 for a relationship, the message).
    error: tuple[int, str] | None = None
    failure: str | None = None  # what went wrong in a forked process, if anything did
    carry: bool = True  # line breaks carried as U+E000 / U+E001 (see _cells)
    # The properties that held a line break: (kind, label or type, property, is a list).
    carried: set[tuple[str, str, str, bool]] = field(default_factory=set)
    clash: bool = False  # a value holds U+E000 or U+E001 itself: write again, multi-line


def _carried(value: Any) -> Any:
    """The value with its line breaks as private-use characters (not in news text)."""
    if type(value) is str:
        return value.replace("\n", "\ue000").replace("\r", "\ue001")
    if type(value) is list:
        return [_carried(v) for v in value]
    return value


def _has_break(value: Any) -> bool:
    if type(value) is str:
        return "\n" in value or "\r" in value
    return type(value) is list and any(type(v) is str and _has_break(v) for v in value)


def _cells(props: dict[str, Any], names: list[str], part: _Part, place: tuple[str, str]) -> str:
    """A row's property cells. A line break inside a cell would make the importer read every
    file single-threaded (--multiline-fields=true; at 100k entities the import took 6 to 11 s
    longer), so the part carries it as U+E000 (a CR as U+E001) and notes the property, which
    after-import.cypher restores; a value holding one of those two itself is a clash."""
    cells = "".join([f",{_cell(props.get(k))}" for k in names])
    # Four scans in C (a character wider than the text's is not even looked for): on every
    # row, about a tenth of the cost of one regular-expression search.
    if not part.carry or not (
        "\n" in cells or "\r" in cells or "\ue000" in cells or "\ue001" in cells
    ):
        return cells
    if "\ue000" in cells or "\ue001" in cells:
        part.clash = True
        return cells
    broken = {k for k in names if _has_break(props.get(k))}
    part.carried.update((*place, k, type(props[k]) is list) for k in broken)
    values = [_carried(props[k]) if k in broken else props.get(k) for k in names]
    return "".join([f",{_cell(v)}" for v in values])


def _import_ids(nodes: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Each node's import id: its number within its kind of node. neo4j-admin maps integers
    faster than strings (at 100k entities the relationships took 9.5 s against 14.7 s)."""
    ids: dict[str, dict[str, int]] = {space: {} for space in _SPACES}
    spaces: dict[tuple[str, ...], str] = {}
    for node in nodes:
        props, labels = node["props"], tuple(sorted(node["labels"]))
        space = spaces.get(labels) or spaces.setdefault(
            labels, _space(labels, f"node {props.get('id')!r}")
        )
        node_id = props.get("id")
        if type(node_id) is not str or node_id in ids[space]:
            raise ExportError(f"node {node_id!r}: a {space} needs a unique string id")
        ids[space][node_id] = len(ids[space])
    return ids


def _write_part(
    nodes: list[dict[str, Any]],
    relationships: list[dict[str, Any]],
    ids: dict[str, dict[str, int]],
    folder: Path,
    name: str,
    carry: bool = True,
) -> _Part:
    """Write these nodes and relationships as files named after `name`, one file per label
    set (type) and property signature; a value CSV cannot carry is the part's error."""
    part = _Part(carry=carry)
    node_groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for node in nodes:
        props, labels = node["props"], tuple(sorted(node["labels"]))
        space = next(s for s in _SPACES if s in labels)  # one, as _import_ids found
        try:
            signature, empty = _signature(props, "id")
        except _Unfit as exc:
            part.error = (0, f"node {props['id']!r}{exc}")
            return part
        node_groups[(space, labels, signature)].append(props)
        part.shapes[("node", space, signature, empty)] += 1
        for k in empty:
            part.empties[("node", space, k)].append(props["id"])
    rel_groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    endpoints: dict[str, tuple[str, str]] = {}
    for rel in relationships:
        rel_type, props = rel["type"], rel["props"]
        where = f"{rel_type} {rel['start']!r}->{rel['end']!r}"
        try:
            start, end = endpoints.get(rel_type) or endpoints.setdefault(
                rel_type, _endpoints(rel_type)
            )
            if rel["start"] not in ids[start] or rel["end"] not in ids[end]:
                raise _Unfit(f": an end is not a {start}/{end} node")
            signature, empty = _signature(props) if props else ((), ())
            if empty and type(props.get("key")) is not str:
                raise _Unfit(": an empty list on a relationship without a key")
        except (_Unfit, ExportError) as exc:
            part.error = (1, f"{where}{exc}" if isinstance(exc, _Unfit) else str(exc))
            return part
        rel_groups[(rel_type, start, end, signature)].append(rel)
        part.shapes[("rel", rel_type, signature, empty)] += 1
        for k in empty:
            part.empties[("rel", rel_type, k)].append(props["key"])

    for n, ((space, labels, signature), members) in enumerate(sorted(node_groups.items()), 1):
        path = folder / f"nodes-{name}-{n:02d}-{'-'.join(labels)}.csv"
        header = [f":ID({space})", "id:string", ":LABEL", *(f"{k}:{t}" for k, t in signature)]
        names, label_cell = [k for k, _ in signature], _cell(ARRAY_DELIMITER.join(labels))
        number, place = ids[space], ("node", space)
        part.nodes.append(path)
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(_row(header))
            for props in members:
                try:
                    cells = _cells(props, names, part, place)
                except _Unfit as exc:
                    part.error = (0, f"node {props['id']!r}: {exc}")
                    return part
                if part.clash:
                    return part
                out.write(f'"{number[props["id"]]}",{_cell(props["id"])},{label_cell}{cells}\n')
    for n, ((rel_type, start, end, signature), members) in enumerate(sorted(rel_groups.items()), 1):
        path = folder / f"relationships-{name}-{n:02d}-{rel_type}.csv"
        header = [f":START_ID({start})", f":END_ID({end})", ":TYPE"]
        header += [f"{k}:{t}" for k, t in signature]
        names, type_cell = [k for k, _ in signature], _cell(rel_type)
        starts, ends, place = ids[start], ids[end], ("rel", rel_type)
        part.relationships.append(path)
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(_row(header))
            for rel in members:
                props = rel["props"]
                try:
                    cells = _cells(props, names, part, place)
                except _Unfit as exc:
                    part.error = (1, f"{rel_type} {rel['start']!r}->{rel['end']!r}: {exc}")
                    return part
                if part.clash:
                    return part
                out.write(f'"{starts[rel["start"]]}","{ends[rel["end"]]}",{type_cell}{cells}\n')
    return part


def _write_in_child(
    send: Connection,
    dump: dict[str, list[dict[str, Any]]],
    ids: dict[str, dict[str, int]],
    folder: Path,
    index: int,
    parts: int,
    carry: bool,
) -> None:
    """A forked process's part, sent back to the parent whatever happens."""
    nodes, relationships = dump["nodes"][index::parts], dump["relationships"][index::parts]
    try:
        done = _write_part(nodes, relationships, ids, folder, str(index + 1), carry)
    except BaseException as exc:  # anything: the parent raises it, this process just ends
        done = _Part(failure=f"writing part {index + 1} of the CSV failed: {exc!r}")
    send.send(done)
    send.close()


def _write_parts(
    dump: dict[str, list[dict[str, Any]]],
    ids: dict[str, dict[str, int]],
    folder: Path,
    parts: int,
    carry: bool,
) -> list[_Part]:
    """The dump written in `parts` parts side by side: the first here, each other in a
    forked process (the dump is shared with it, not copied: it is read, never pickled), every
    `parts`-th node and relationship each, so that the parts cost about the same."""
    if parts == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_write_part(dump["nodes"], dump["relationships"], ids, folder, "1", carry)]
    context = multiprocessing.get_context("fork")
    children: list[tuple[Connection, BaseProcess]] = []
    try:
        for index in range(1, parts):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(
                target=_write_in_child,
                args=(send, dump, ids, folder, index, parts, carry),
                daemon=True,
            )
            child.start()
            send.close()
            children.append((receive, child))
        nodes, relationships = dump["nodes"][::parts], dump["relationships"][::parts]
        done = [_write_part(nodes, relationships, ids, folder, "1", carry)]
        for receive, process in children:
            try:
                done.append(receive.recv())
            except EOFError:
                process.join()
                raise KgError(
                    f"a process writing the CSV ended without its part (exit {process.exitcode})"
                ) from None
            process.join()
        return done
    finally:
        for _, process in children:
            if process.is_alive():
                process.kill()
                process.join()


def write_csv(dump: dict[str, list[dict[str, Any]]], folder: Path, parts: int = 1) -> CsvExport:
    """Write `GraphStore.dump()` as neo4j-admin CSV files (and after-import.cypher) in `folder`,
    in `parts` processes side by side (each its own files); a value CSV cannot carry is an
    ExportError naming it."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, not {parts}")
    folder.mkdir(parents=True, exist_ok=True)
    ids = _import_ids(dump["nodes"])
    done = _write_parts(dump, ids, folder, parts, carry=True)
    if any(part.clash for part in done):  # rare: the importer reads multi-line cells instead
        for path in (p for part in done for p in (*part.nodes, *part.relationships)):
            path.unlink(missing_ok=True)
        done = _write_parts(dump, ids, folder, parts, carry=False)
    failures = [part.failure for part in done if part.failure is not None]
    if failures:
        raise KgError(failures[0])
    errors = [part.error for part in done if part.error is not None]
    if errors:  # the first part's first node error, else its first relationship error
        raise ExportError(min(errors, key=lambda error: error[0])[1])
    population: dict[tuple[str, str], int] = defaultdict(int)
    having: dict[tuple[str, str, str], int] = defaultdict(int)
    empties: _Empties = defaultdict(list)
    for part in done:
        for (kind, name, signature, empty), count in part.shapes.items():
            population[(kind, name)] += count
            for prop in (*(k for k, _ in signature), *empty):
                having[(kind, name, prop)] += count
        for where, keys in part.empties.items():
            empties[where] += keys

    statements = list(schema_statements()) + _empty_list_statements(empties, having, population)
    statements += _line_break_statements(set().union(*(part.carried for part in done)))
    after = folder / AFTER_IMPORT
    after.write_text(
        "// Run once on the imported database, after its first start: kg's constraints and\n"
        "// indexes, then the empty lists and line breaks that CSV did not carry.\n"
        + "".join(f"{s};\n" for s in statements),
        encoding="utf-8",
    )
    return CsvExport(
        tuple(p for part in done for p in part.nodes),
        tuple(p for part in done for p in part.relationships),
        after,
        multiline=not done[0].carry,
    )


def _line_break_statements(carried: set[tuple[str, str, str, bool]]) -> list[str]:
    """Statements giving back the line breaks the CSV carried as U+E000 and U+E001."""
    statements = []
    for kind, name, prop, is_list in sorted(carried):
        pattern = f"(n:{name})" if kind == "node" else f"()-[n:{name}]->()"
        value = f"n.`{prop}`"
        marked = "{0} CONTAINS '\\uE000' OR {0} CONTAINS '\\uE001'"
        restored = "replace(replace({0}, '\\uE000', '\\n'), '\\uE001', '\\r')"
        if is_list:
            where = f"any(x IN {value} WHERE {marked.format('x')})"
            fill = f"[x IN {value} | {restored.format('x')}]"
        else:
            where, fill = marked.format(value), restored.format(value)
        statements.append(
            f"MATCH {pattern} WHERE {where} CALL (n) {{ SET {value} = {fill} }}"
            " IN TRANSACTIONS OF 10000 ROWS"
        )
    return statements


def _empty_list_statements(
    empties: dict[tuple[str, str, str], list[str]],
    having: dict[tuple[str, str, str], int],
    population: dict[tuple[str, str], int],
) -> list[str]:
    """Statements giving back the empty lists the import left out (CSV has no empty array)."""
    statements = []
    everywhere: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (kind, name, prop), keys in sorted(empties.items()):
        if having[(kind, name, prop)] == population[(kind, name)]:
            # Every one of them has the property, so every one the import left without it
            # gets []: one pass over the label or type, not a lookup per key.
            everywhere[(kind, name)].append(prop)
            continue
        keys = sorted(keys)  # whatever part of the CSV met them first
        for i in range(0, len(keys), 500):
            chunk = _cypher_list(keys[i : i + 500])
            if kind == "node":
                match = f"MATCH (n:{name}) WHERE n.id IN {chunk}"
            else:
                match = f"MATCH ()-[n:{name}]->() WHERE n.key IN {chunk}"
            statements.append(f"{match} AND n.`{prop}` IS NULL SET n.`{prop}` = []")
    for (kind, name), props in sorted(everywhere.items()):
        pattern = f"(n:{name})" if kind == "node" else f"()-[n:{name}]->()"
        missing = " OR ".join(f"n.`{p}` IS NULL" for p in props)
        fill = ", ".join(f"n.`{p}` = coalesce(n.`{p}`, [])" for p in props)
        statements.append(
            f"MATCH {pattern} WHERE {missing}"
            f" CALL (n) {{ SET {fill} }} IN TRANSACTIONS OF 10000 ROWS"
        )
    return statements


def after_import_statements(path: Path) -> list[str]:
    """The statements of an after-import.cypher, one a line (comments skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.removesuffix(";") for line in lines if line.strip() and not line.startswith("//")]
