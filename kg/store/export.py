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
- **CSV for `neo4j-admin database import full`**: kg.store.admin_csv writes it.
"""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from kg.domain import (
    article_metadata,
    entity_record,
    relation_qualifiers,
)
from kg.errors import ExportError
from kg.store.admin_csv import CsvExport, write_csv
from kg.store.graph_store import EntityRelation, GraphStore


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


async def export_csv(store: GraphStore, folder: Path) -> CsvExport:
    """The whole graph as neo4j-admin CSV files in `folder`."""
    return write_csv(await store.dump(), folder)
