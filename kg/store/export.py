"""Export the graph so that another Neo4j (or another tool) can take it whole.

Two forms:

- **JSON Lines**: one interchange document (schema/article-graph.schema.json) per article and
  line. Besides the schema's fields, `article` carries the stored `text` and its `sentences`
  (index, start, end, boilerplate), and the document carries `mentions` ([sentence index,
  entity id] pairs), so loading the lines back rebuilds the same graph. Each relation comes out
  as one entry per piece of that article's evidence, with the relation's qualifiers as the graph
  holds them and its `sources`. Entities come as the graph holds them. Articles are written in
  an order that gives every relation its sources (and evidence) in the stored order; entities no
  article touches travel in the first document.
- **CSV for `neo4j-admin database import full`**: node and relationship files with typed headers
  (`:ID(Entity)` then `id:string`, `aliases:string[]`, `index:long`, ...), one file per label set
  (or type) and property signature, so every value keeps its exact type; arrays are split on
  U+001F. The import ids are integers (`--id-type=INTEGER`), each node's number within its kind
  of node, the relationships' ends given by number; the `id` property is an ordinary column.
  CSV cannot carry an empty array, so `after-import.cypher` restores them, after the
  constraints.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from kg.domain import (
    article_metadata,
    entity_record,
    relation_qualifiers,
)
from kg.errors import KgError
from kg.ontology import relation_types
from kg.store.graph_store import EntityRelation, GraphStore
from kg.store.schema import schema_statements

ARRAY_DELIMITER = "\x1f"  # ASCII unit separator: not in news text; checked on export
ARRAY_DELIMITER_ARG = "U+001F"  # how neo4j-admin takes it on the command line
AFTER_IMPORT = "after-import.cypher"
_SPACES = ("Entity", "Article", "Sentence")  # one ID space per kind of node


class ExportError(KgError):
    """The graph holds something the chosen export form cannot carry."""


# -- JSON Lines -------------------------------------------------------------------------------


def _load_order(article_ids: Sequence[str], relations: Iterable[EntityRelation]) -> list[str]:
    """Articles in an order consistent with every relation's `sources` (the order they were
    last written in), ties by id: loading them in this order rebuilds the same lists."""
    after: dict[str, set[str]] = defaultdict(set)
    waiting = dict.fromkeys(article_ids, 0)
    for found in relations:
        sources = [s for s in found.relation.sources if s in waiting]
        for first, then in pairwise(sources):
            if then not in after[first]:
                after[first].add(then)
                waiting[then] += 1
    ready = [article_id for article_id, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        article_id = heapq.heappop(ready)
        order.append(article_id)
        for then in after[article_id]:
            waiting[then] -= 1
            if waiting[then] == 0:
                heapq.heappush(ready, then)
    if len(order) != len(waiting):
        raise ExportError("the relations' sources disagree on the order of their articles")
    return order


def _relation_entries(found: EntityRelation, article_id: str) -> list[dict[str, Any]]:
    relation = found.relation
    base: dict[str, Any] = {
        "type": relation.type,
        "subject": relation.subject,
        "object": relation.object,
        **relation_qualifiers(relation),
        "sources": list(relation.sources),
    }
    return [
        {**base, "evidence": {"text": e.text, "start": e.start, "end": e.end}}
        for e in relation.evidence
        if e.article_id == article_id
    ]


def _involved(found: EntityRelation) -> set[str]:
    relation = found.relation
    ids = {relation.subject, relation.object, *relation.attributed_to}
    if relation.place:
        ids.add(relation.place)
    return ids


async def export_documents(
    store: GraphStore, article_ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """One interchange document per article (all of them when `article_ids` is None), in an
    order that rebuilds the graph when loaded; an unknown article id is an ExportError."""
    whole = article_ids is None
    ids = await store.article_ids() if article_ids is None else list(dict.fromkeys(article_ids))
    articles = await store.articles_by_id(ids)
    unknown = [article_id for article_id in ids if article_id not in articles]
    if unknown:
        raise ExportError(f"no article with id {', '.join(map(repr, unknown))} in the graph")
    sentences = await store.sentences(ids)
    relations = await store.article_relations(ids)
    mentions = await store.mentions(ids)
    touched = {
        article_id: {entity for _, entity in mentions[article_id]}.union(
            *(_involved(found) for found in relations[article_id])
        )
        for article_id in ids
    }
    wanted: set[str] = set().union(*touched.values())
    order = _load_order(ids, (found for article_id in ids for found in relations[article_id]))
    unattached: list[str] = []
    if whole and order:
        unattached = sorted(set(await store.entity_ids()) - wanted)
        touched[order[0]] |= set(unattached)
    entities = await store.entities(sorted(wanted | set(unattached)))
    documents = []
    for article_id in order:
        article = articles[article_id]
        meta: dict[str, Any] = {
            **article_metadata(article),
            "text": article.text,
            "sentences": [
                {"index": s.index, "start": s.start, "end": s.end, "boilerplate": s.boilerplate}
                for s in sentences[article_id]
            ],
        }
        entries = [
            entry
            for found in relations[article_id]
            for entry in _relation_entries(found, article_id)
        ]
        documents.append(
            {
                "article": meta,
                "entities": [entity_record(entities[e]) for e in sorted(touched[article_id])],
                "relations": entries,
                "mentions": [[index, entity] for index, entity in mentions[article_id]],
            }
        )
    return documents


def document_lines(documents: Iterable[dict[str, Any]]) -> str:
    """JSON Lines: one compact document per line (UTF-8 as is)."""
    return "".join(
        json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n" for d in documents
    )


# -- CSV for neo4j-admin ----------------------------------------------------------------------


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
            "--multiline-fields=true",
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


def write_csv(dump: dict[str, list[dict[str, Any]]], folder: Path) -> CsvExport:
    """Write `GraphStore.dump()` as neo4j-admin CSV files (and after-import.cypher) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    node_groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    empties: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # (kind, label, prop) -> ids
    # How many of a label's nodes (a type's relationships) have each property, empty or not:
    # counted per (kind, name, properties) shape, not per value.
    shapes: dict[tuple[str, str, tuple[Any, ...], tuple[str, ...]], int] = defaultdict(int)
    # Each node's import id: its number within its kind of node. neo4j-admin maps integers
    # faster than strings (at 100k entities the relationships took 9.5 s against 14.7 s).
    ids: dict[str, dict[str, int]] = {space: {} for space in _SPACES}
    spaces: dict[tuple[str, ...], str] = {}
    for node in dump["nodes"]:
        props, labels = node["props"], tuple(sorted(node["labels"]))
        space = spaces.get(labels) or spaces.setdefault(
            labels, _space(labels, f"node {props.get('id')!r}")
        )
        node_id = props.get("id")
        if type(node_id) is not str or node_id in ids[space]:
            raise ExportError(f"node {node_id!r}: a {space} needs a unique string id")
        ids[space][node_id] = len(ids[space])
        try:
            signature, empty = _signature(props, "id")
        except _Unfit as exc:
            raise ExportError(f"node {node_id!r}{exc}") from None
        node_groups[(space, labels, signature)].append(props)
        shapes[("node", space, signature, empty)] += 1
        for k in empty:
            empties[("node", space, k)].append(node_id)
    rel_groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    endpoints: dict[str, tuple[str, str]] = {}
    for rel in dump["relationships"]:
        rel_type, props = rel["type"], rel["props"]
        start, end = endpoints.get(rel_type) or endpoints.setdefault(rel_type, _endpoints(rel_type))
        if rel["start"] not in ids[start] or rel["end"] not in ids[end]:
            where = f"{rel_type} {rel['start']!r}->{rel['end']!r}"
            raise ExportError(f"{where}: an end is not a {start}/{end} node")
        try:
            signature, empty = _signature(props) if props else ((), ())
        except _Unfit as exc:
            raise ExportError(f"{rel_type} {rel['start']!r}->{rel['end']!r}{exc}") from None
        rel_groups[(rel_type, start, end, signature)].append(rel)
        shapes[("rel", rel_type, signature, empty)] += 1
        if empty and type(props.get("key")) is not str:
            where = f"{rel_type} {rel['start']!r}->{rel['end']!r}"
            raise ExportError(f"{where}: an empty list on a relationship without a key")
        for k in empty:
            empties[("rel", rel_type, k)].append(props["key"])
    population: dict[tuple[str, str], int] = defaultdict(int)
    having: dict[tuple[str, str, str], int] = defaultdict(int)
    for (kind, name, signature, empty), count in shapes.items():
        population[(kind, name)] += count
        for prop in (*(k for k, _ in signature), *empty):
            having[(kind, name, prop)] += count

    nodes = []
    for n, ((space, labels, signature), members) in enumerate(sorted(node_groups.items()), 1):
        path = folder / f"nodes-{n:02d}-{'-'.join(labels)}.csv"
        header = [f":ID({space})", "id:string", ":LABEL", *(f"{k}:{t}" for k, t in signature)]
        names, label_cell = [k for k, _ in signature], _cell(ARRAY_DELIMITER.join(labels))
        number = ids[space]
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(_row(header))
            for props in members:
                try:
                    cells = "".join([f",{_cell(props.get(k))}" for k in names])
                except _Unfit as exc:
                    raise ExportError(f"node {props['id']!r}: {exc}") from None
                out.write(f'"{number[props["id"]]}",{_cell(props["id"])},{label_cell}{cells}\n')
        nodes.append(path)
    relationships = []
    for n, ((rel_type, start, end, signature), members) in enumerate(sorted(rel_groups.items()), 1):
        path = folder / f"relationships-{n:02d}-{rel_type}.csv"
        header = [f":START_ID({start})", f":END_ID({end})", ":TYPE"]
        header += [f"{k}:{t}" for k, t in signature]
        names, type_cell = [k for k, _ in signature], _cell(rel_type)
        starts, ends = ids[start], ids[end]
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(_row(header))
            for rel in members:
                props = rel["props"]
                try:
                    cells = "".join([f",{_cell(props.get(k))}" for k in names])
                except _Unfit as exc:
                    where = f"{rel_type} {rel['start']!r}->{rel['end']!r}"
                    raise ExportError(f"{where}: {exc}") from None
                out.write(f'"{starts[rel["start"]]}","{ends[rel["end"]]}",{type_cell}{cells}\n')
        relationships.append(path)

    statements = list(schema_statements()) + _empty_list_statements(empties, having, population)
    after = folder / AFTER_IMPORT
    after.write_text(
        "// Run once on the imported database, after its first start: kg's constraints and\n"
        "// indexes, then the empty lists that CSV cannot carry.\n"
        + "".join(f"{s};\n" for s in statements),
        encoding="utf-8",
    )
    return CsvExport(tuple(nodes), tuple(relationships), after)


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


async def export_csv(store: GraphStore, folder: Path) -> CsvExport:
    """The whole graph as neo4j-admin CSV files in `folder`."""
    return write_csv(await store.dump(), folder)
