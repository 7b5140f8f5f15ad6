"""write: an ArticleGraph into Neo4j, in one transaction, with batched UNWIND ... MERGE.

Loading an article replaces that article's contribution: its sentences and mentions are
rewritten, its evidence is taken off every relation before the new evidence goes on, and a
relation left with no source is deleted. Entities are shared across articles and only grow.
Labels and relationship types are formatted into the Cypher text from the ontology enums only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from neo4j import AsyncManagedTransaction

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

_ARTICLE = """
MERGE (a:Article {id: $article.id})
WITH a, coalesce(a.relation_keys, []) AS previous
SET a += $article
RETURN previous
"""

_DROP_SENTENCE_MENTIONS = """
MATCH (:Article {id: $id})-[:HAS_SENTENCE]->(s:Sentence)
OPTIONAL MATCH (s)-[m:MENTIONS]->()
DELETE m
WITH DISTINCT s
WHERE s.index >= $count
DETACH DELETE s
"""

_SENTENCES = """
MATCH (a:Article {id: $id})
UNWIND $rows AS row
MERGE (s:Sentence {id: row.id})
SET s += row
MERGE (a)-[:HAS_SENTENCE]->(s)
"""

_TYPE_CONFLICTS = """
UNWIND $rows AS row
MATCH (e:Entity {id: row.id})
WHERE e.type <> row.type
RETURN e.id AS id, e.type AS stored, row.type AS given
"""

# The label is formatted in from EntityType; everything else is a parameter.
_ENTITIES = """
UNWIND $rows AS row
MERGE (e:Entity {{id: row.id}})
ON CREATE SET e:{label}, e.type = row.type, e.name = row.name, e.aliases = row.aliases,
              e.wikidata = row.wikidata, e.description = row.description
ON MATCH SET e.aliases = e.aliases + [x IN row.aliases WHERE NOT x IN e.aliases],
             e.wikidata = coalesce(e.wikidata, row.wikidata),
             e.description = coalesce(e.description, row.description)
"""

_EVIDENCE_FIELDS = ("articles", "sentences", "texts", "starts", "ends")

# Take an article's evidence off a relation; `r` and `$id` are bound by the caller.
_WITHOUT_ARTICLE = """
WITH r, row, [i IN range(0, size(coalesce(r.evidence_articles, [])) - 1)
              WHERE r.evidence_articles[i] <> $id] AS keep
SET r.evidence_articles = [i IN keep | r.evidence_articles[i]],
    r.evidence_sentences = [i IN keep | r.evidence_sentences[i]],
    r.evidence_texts = [i IN keep | r.evidence_texts[i]],
    r.evidence_starts = [i IN keep | r.evidence_starts[i]],
    r.evidence_ends = [i IN keep | r.evidence_ends[i]],
    r.sources = [s IN r.sources WHERE s <> $id]
"""

_DROP_STALE = (
    """
UNWIND $keys AS key
MATCH ()-[r:{rel_type} {{key: key}}]->()
WITH r, key AS row
"""
    + _WITHOUT_ARTICLE
    + """
WITH r WHERE size(r.sources) = 0
DELETE r
"""
)

_RELATIONS = (
    """
UNWIND $rows AS row
MATCH (s:Entity {{id: row.subject}}), (o:Entity {{id: row.object}})
MERGE (s)-[r:{rel_type} {{key: row.key}}]-{arrow}(o)
ON CREATE SET r += row.props, r.sources = [], r.evidence_articles = []
ON MATCH SET r.attributed_to = r.attributed_to + [x IN row.props.attributed_to
                                                  WHERE NOT x IN r.attributed_to],
             r.topics = r.topics + [x IN row.props.topics WHERE NOT x IN r.topics]
"""
    + _WITHOUT_ARTICLE
    + """
SET r.sources = r.sources + [$id],
    r.evidence_articles = r.evidence_articles + row.evidence.articles,
    r.evidence_sentences = r.evidence_sentences + row.evidence.sentences,
    r.evidence_texts = r.evidence_texts + row.evidence.texts,
    r.evidence_starts = r.evidence_starts + row.evidence.starts,
    r.evidence_ends = r.evidence_ends + row.evidence.ends
"""
)

_MENTIONS = """
UNWIND $rows AS row
MATCH (s:Sentence {id: row.sentence}), (e:Entity {id: row.entity})
MERGE (s)-[:MENTIONS]->(e)
"""


def sentence_id(article_id: str, index: int) -> str:
    return f"{article_id}#{index}"


def _relation_row(relation: Relation) -> dict[str, Any]:
    start, end = date_bounds(relation.date)
    evidence = relation.evidence
    return {
        "key": relation.key,
        "subject": relation.subject,
        "object": relation.object,
        "props": {
            "key": relation.key,
            **relation_qualifiers(relation),
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
    article = graph.article
    entity_rows = [entity_record(e) for e in graph.entities]
    conflicts = await (await tx.run(_TYPE_CONFLICTS, rows=entity_rows)).data()
    if conflicts:
        raise InvalidDocument(
            article.id,
            [
                f"entity {c['id']!r} is a {c['stored']} in the graph, not a {c['given']}"
                for c in conflicts
            ],
        )

    relation_keys = sorted({r.key for r in graph.relations})
    meta = {**article_metadata(article), "text": article.text, "relation_keys": relation_keys}
    record = await (await tx.run(_ARTICLE, article=meta)).single(strict=True)
    stale = set(record["previous"]) - set(relation_keys)
    stale_by_type: dict[str, list[str]] = defaultdict(list)
    for key in sorted(stale):
        stale_by_type[key.split("|", 1)[0]].append(key)
    for rel_type, keys in stale_by_type.items():
        query = _DROP_STALE.format(rel_type=RelationType(rel_type).value)
        await (await tx.run(query, keys=keys, id=article.id)).consume()

    await (
        await tx.run(_DROP_SENTENCE_MENTIONS, id=article.id, count=len(article.sentences))
    ).consume()
    sentence_rows = [
        {
            "id": sentence_id(article.id, s.index),
            "article_id": article.id,
            "index": s.index,
            "text": s.text,
            "start": s.start,
            "end": s.end,
            "boilerplate": s.boilerplate,
        }
        for s in article.sentences
    ]
    await (await tx.run(_SENTENCES, id=article.id, rows=sentence_rows)).consume()

    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in entity_rows:
        by_label[EntityType(row["type"]).value].append(row)
    for label, rows in by_label.items():
        await (await tx.run(_ENTITIES.format(label=label), rows=rows)).consume()

    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for relation in graph.relations:
        by_type[RelationType(relation.type).value].append(_relation_row(relation))
    for rel_type, rows in by_type.items():
        arrow = "" if relation_rules()[rel_type].symmetric else ">"
        query = _RELATIONS.format(rel_type=rel_type, arrow=arrow)
        await (await tx.run(query, rows=rows, id=article.id)).consume()

    mention_rows = [
        {"sentence": sentence_id(article.id, index), "entity": entity_id}
        for index, entity_id in graph.mentions
    ]
    await (await tx.run(_MENTIONS, rows=mention_rows)).consume()
    return WriteSummary(
        article_id=article.id,
        entities=len(entity_rows),
        relations=len(graph.relations),
        sentences=len(sentence_rows),
        mentions=len(mention_rows),
    )
