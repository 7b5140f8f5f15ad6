"""write: ArticleGraphs into Neo4j, in one transaction, with batched UNWIND ... MERGE.

Loading an article replaces its contribution: its sentences and mentions are
rewritten, its evidence is taken off every relation before the new evidence goes on, and a
relation left with no source is deleted. Entities are shared across articles and only grow.
Labels and relationship types are formatted into the Cypher text from the ontology enums only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from neo4j import AsyncManagedTransaction, AsyncResult

from kg.domain import (
    ArticleGraph,
    Relation,
    WriteSummary,
    article_metadata,
    date_bounds,
    entity_record,
    relation_qualifiers,
)
from kg.errors import InvalidDocument
from kg.ontology import EntityType, RelationType, relation_rules

# Every statement takes the rows of all the articles of the batch; each row names its article.
_ARTICLES = """
UNWIND $rows AS row
MERGE (a:Article {id: row.id})
WITH a, row, coalesce(a.relation_keys, []) AS previous, a.title IS NULL AS new
SET a += row
RETURN a.id AS id, previous, new
"""

_DROP_SENTENCE_MENTIONS = """
UNWIND $rows AS row
MATCH (:Article {id: row.id})-[:HAS_SENTENCE]->(s:Sentence)
OPTIONAL MATCH (s)-[m:MENTIONS]->()
DELETE m
WITH DISTINCT s, row
WHERE s.index >= row.count
DETACH DELETE s
"""

_SENTENCES = """
UNWIND $rows AS row
MATCH (a:Article {id: row.article_id})
MERGE (s:Sentence {id: row.id})
SET s += row
MERGE (a)-[:HAS_SENTENCE]->(s)
"""

# An article new to the graph has no sentences or mentions yet: they are created, not merged
# (no lookup, no lock on what cannot exist), its sentences from one match of the article.
_NEW_SENTENCES = """
UNWIND $rows AS row
MATCH (a:Article {id: row.id})
UNWIND row.sentences AS sentence
CREATE (a)-[:HAS_SENTENCE]->(s:Sentence)
SET s = sentence
"""

_NEW_MENTIONS = """
UNWIND $rows AS row
MATCH (s:Sentence {id: row.sentence}), (e:Entity {id: row.entity})
CREATE (s)-[:MENTIONS]->(e)
"""

# The label is formatted in from EntityType; everything else is a parameter. An entity seen
# before is written only when the batch adds to it (an alias, a missing wikidata or
# description): a write would lock it and update its full-text entry at commit for nothing,
# and hubs are in nearly every batch. Rows whose entity has another type come back: the
# caller refuses the batch (the transaction is rolled back, nothing is written).
_ENTITIES = """
UNWIND $rows AS row
MERGE (e:Entity {{id: row.id}})
ON CREATE SET e:{label}, e.type = row.type, e.name = row.name, e.aliases = row.aliases,
              e.wikidata = row.wikidata, e.description = row.description
WITH e, row, [x IN row.aliases WHERE NOT x IN e.aliases] AS added
CALL (e, row, added) {{
  WITH e, row, added
  WHERE e.type = row.type
    AND (size(added) > 0 OR (e.wikidata IS NULL AND row.wikidata IS NOT NULL)
         OR (e.description IS NULL AND row.description IS NOT NULL))
  SET e.aliases = e.aliases + added,
      e.wikidata = coalesce(e.wikidata, row.wikidata),
      e.description = coalesce(e.description, row.description)
}}
WITH e, row WHERE e.type <> row.type
RETURN e.id AS id, e.type AS stored, row.type AS given
"""

T = TypeVar("T")

# Take the batch's articles' evidence off the relations they stated before, and delete a
# relation left with no source unless the batch states it again (it keeps its qualifiers, as
# when its articles are written one by one). Each key comes once, with every batch article to
# take off, so no two rows touch one relation (they would see each other's half-done lists).
_RETRACT = """
UNWIND $rows AS row
MATCH ()-[r:{rel_type} {{key: row.key}}]->()
WITH r, row, [i IN range(0, size(r.evidence_articles) - 1)
              WHERE NOT r.evidence_articles[i] IN row.articles] AS keep
SET r.evidence_articles = [i IN keep | r.evidence_articles[i]],
    r.evidence_sentences = [i IN keep | r.evidence_sentences[i]],
    r.evidence_texts = [i IN keep | r.evidence_texts[i]],
    r.evidence_starts = [i IN keep | r.evidence_starts[i]],
    r.evidence_ends = [i IN keep | r.evidence_ends[i]],
    r.sources = [s IN r.sources WHERE NOT s IN row.articles]
WITH r, row WHERE size(r.sources) = 0 AND NOT row.restated
DELETE r
"""

# Rows of one relation from two articles follow each other: each appends to what the last left.
_RELATIONS = """
UNWIND $rows AS row
MATCH (s:Entity {{id: row.subject}}), (o:Entity {{id: row.object}})
MERGE (s)-[r:{rel_type} {{key: row.key}}]-{arrow}(o)
ON CREATE SET r += row.props, r.sources = [row.article],
              r.evidence_articles = row.evidence.articles,
              r.evidence_sentences = row.evidence.sentences,
              r.evidence_texts = row.evidence.texts,
              r.evidence_starts = row.evidence.starts,
              r.evidence_ends = row.evidence.ends
ON MATCH SET r.attributed_to = CASE WHEN row.props.attributed_to IS NULL THEN r.attributed_to
                                   ELSE coalesce(r.attributed_to, [])
                                        + [x IN row.props.attributed_to
                                           WHERE NOT x IN coalesce(r.attributed_to, [])] END,
             r.topics = CASE WHEN row.props.topics IS NULL THEN r.topics
                             ELSE coalesce(r.topics, [])
                                  + [x IN row.props.topics WHERE NOT x IN coalesce(r.topics, [])]
                             END,
             r.sources = r.sources + [row.article],
             r.evidence_articles = r.evidence_articles + row.evidence.articles,
             r.evidence_sentences = r.evidence_sentences + row.evidence.sentences,
             r.evidence_texts = r.evidence_texts + row.evidence.texts,
             r.evidence_starts = r.evidence_starts + row.evidence.starts,
             r.evidence_ends = r.evidence_ends + row.evidence.ends
"""

_MENTIONS = """
UNWIND $rows AS row
MATCH (s:Sentence {id: row.sentence}), (e:Entity {id: row.entity})
MERGE (s)-[:MENTIONS]->(e)
"""


def article_batches(items: Iterable[T], size: int, key: Callable[[T], str]) -> Iterator[list[T]]:
    """Consecutive batches of at most `size` items, in order, none holding one article twice
    (a repeated article starts a new batch, so the later version is written after the earlier)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    batch: list[T] = []
    seen: set[str] = set()
    for item in items:
        if len(batch) == size or key(item) in seen:
            yield batch
            batch, seen = [], set()
        batch.append(item)
        seen.add(key(item))
    if batch:
        yield batch


async def _run(tx: AsyncManagedTransaction, cypher: str, **params: Any) -> AsyncResult:
    # The writer's plans start from unique-constraint seeks whatever the graph's size, so a
    # cached plan is kept (replan=skip): while a bulk load grows the graph, Neo4j would
    # otherwise replan every statement each time its statistics drift (seconds each time).
    return await tx.run(f"CYPHER replan=skip {cypher}", params)


def sentence_id(article_id: str, index: int) -> str:
    return f"{article_id}#{index}"


def relation_row(article_id: str, relation: Relation) -> dict[str, Any]:
    """The writer's row for one relation: key, ends, stored properties, evidence lists."""
    start, end = date_bounds(relation.date)
    evidence = relation.evidence
    return {
        "article": article_id,
        "key": relation.key,
        "subject": relation.subject,
        "object": relation.object,
        "props": {
            "key": relation.key,
            **relation_qualifiers(relation),
            # An empty list is stored as no property, as a missing qualifier is: the reads
            # take both for (), and a bulk import (CSV has no empty array) needs no fill.
            "attributed_to": list(relation.attributed_to) or None,
            "topics": list(relation.topics) or None,
            "date_start": start,
            "date_end": end,
        },
        "evidence": {
            "articles": [e.article_id for e in evidence],
            "sentences": [e.sentence_index for e in evidence],
            "texts": [e.text for e in evidence],
            "starts": [e.start for e in evidence],
            "ends": [e.end for e in evidence],
        },
    }


async def write_article_graph(tx: AsyncManagedTransaction, graph: ArticleGraph) -> WriteSummary:
    """Write one article's graph inside the caller's transaction (all or nothing)."""
    return (await write_article_graphs(tx, [graph]))[0]


async def write_article_graphs(
    tx: AsyncManagedTransaction, graphs: Sequence[ArticleGraph]
) -> list[WriteSummary]:
    """Write the graphs of several articles inside the caller's transaction, all or nothing.

    The same statements as for one article (about twenty), each with the rows of every
    article: a batch costs a fixed number of round trips and one commit, whatever its size.
    The result is the graph the articles give written one after another.
    """
    if not graphs:
        return []
    ids = [g.article.id for g in graphs]
    if len(set(ids)) != len(ids):
        raise ValueError("an article may appear only once in a batch")
    rows_of_entities = entity_rows(graphs)

    keys = {g.article.id: sorted({r.key for r in g.relations}) for g in graphs}
    article_rows = [
        {**article_metadata(g.article), "text": g.article.text, "relation_keys": keys[g.article.id]}
        for g in graphs
    ]
    # Everything the batch's articles stated before is retracted, then what they state now
    # is added: a reload replaces an article's contribution, and stale facts go.
    previous = await (await _run(tx, _ARTICLES, rows=article_rows)).data()
    retract: dict[str, list[str]] = defaultdict(list)
    for row in previous:
        for key in row["previous"]:
            retract[key].append(row["id"])
    by_type_retract: dict[str, list[dict[str, Any]]] = defaultdict(list)
    restated = {key for g in graphs for key in keys[g.article.id]}
    for key, articles in sorted(retract.items()):
        row = {"key": key, "articles": articles, "restated": key in restated}
        by_type_retract[key.split("|", 1)[0]].append(row)
    for rel_type, rows in by_type_retract.items():
        query = _RETRACT.format(rel_type=RelationType(rel_type).value)
        await (await _run(tx, query, rows=rows)).consume()

    new = {row["id"] for row in previous if row["new"]}
    counts = [
        {"id": g.article.id, "count": len(g.article.sentences)}
        for g in graphs
        if g.article.id not in new
    ]
    if counts:
        await (await _run(tx, _DROP_SENTENCE_MENTIONS, rows=counts)).consume()
    sentences = {g.article.id: sentence_rows(g) for g in graphs}
    if new:
        rows = [{"id": i, "sentences": sentences[i]} for i in ids if i in new]
        await (await _run(tx, _NEW_SENTENCES, rows=rows)).consume()
    if len(new) < len(ids):
        rows = [row for i in ids if i not in new for row in sentences[i]]
        await (await _run(tx, _SENTENCES, rows=rows)).consume()

    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows_of_entities:
        by_label[EntityType(row["type"]).value].append(row)
    conflicts: list[dict[str, Any]] = []
    for label, rows in by_label.items():
        conflicts += await (await _run(tx, _ENTITIES.format(label=label), rows=rows)).data()
    if conflicts:
        raise InvalidDocument(
            ids[0] if len(ids) == 1 else f"{len(ids)} articles",
            [
                f"entity {c['id']!r} is a {c['stored']} in the graph, not a {c['given']}"
                for c in conflicts
            ],
        )

    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for g in graphs:
        for relation in g.relations:
            by_type[RelationType(relation.type).value].append(relation_row(g.article.id, relation))
    for rel_type, rows in by_type.items():
        arrow = "" if relation_rules()[rel_type].symmetric else ">"
        query = _RELATIONS.format(rel_type=rel_type, arrow=arrow)
        await (await _run(tx, query, rows=rows)).consume()

    for query, chosen in ((_NEW_MENTIONS, True), (_MENTIONS, False)):
        mention_rows = [
            {"sentence": sentence_id(g.article.id, index), "entity": entity_id}
            for g in graphs
            if (g.article.id in new) == chosen
            for index, entity_id in dict.fromkeys(g.mentions)  # once each, in order
        ]
        if mention_rows:
            await (await _run(tx, query, rows=mention_rows)).consume()
    return [
        WriteSummary(
            article_id=g.article.id,
            entities=len(g.entities),
            relations=len(g.relations),
            sentences=len(sentences[g.article.id]),
            mentions=len(g.mentions),
        )
        for g in graphs
    ]


def sentence_rows(graph: ArticleGraph) -> list[dict[str, Any]]:
    """The article's sentences as the writer stores them."""
    article_id = graph.article.id
    return [
        {
            "id": sentence_id(article_id, s.index),
            "article_id": article_id,
            "index": s.index,
            "text": s.text,
            "start": s.start,
            "end": s.end,
            "boilerplate": s.boilerplate,
        }
        for s in graph.article.sentences
    ]


def entity_rows(graphs: Sequence[ArticleGraph]) -> list[dict[str, Any]]:
    """One row per entity id, in first-seen order: later articles add aliases, and fill a
    missing wikidata or description, as they would written one after another."""
    merged: dict[str, dict[str, Any]] = {}
    for g in graphs:
        for entity in g.entities:
            row = entity_record(entity)
            seen = merged.get(row["id"])
            if seen is None:
                merged[row["id"]] = {**row, "aliases": list(row["aliases"])}
                continue
            if seen["type"] != row["type"]:
                raise InvalidDocument(
                    g.article.id,
                    [f"entity {row['id']!r} is a {seen['type']} in the batch, not a {row['type']}"],
                )
            seen["aliases"] += [a for a in row["aliases"] if a not in seen["aliases"]]
            for name in ("wikidata", "description"):
                seen[name] = seen[name] if seen[name] is not None else row[name]
    return list(merged.values())
