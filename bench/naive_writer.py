"""The baseline the writer is measured against: the same graph, one statement per row.

It writes what kg's writer writes for an article (article, sentences, entities, relations
with their evidence, mentions) in one transaction, but sends a statement for every node and
relationship instead of one batched `UNWIND ... MERGE` per kind.
"""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncManagedTransaction

from kg.domain import ArticleGraph, date_bounds
from kg.ontology import EntityType, RelationType, relation_rules


async def _write(tx: AsyncManagedTransaction, graph: ArticleGraph) -> None:
    article = graph.article
    await tx.run(
        "MERGE (a:Article {id: $id}) SET a.title = $title, a.text = $text, "
        "a.published = $published, a.content_sha256 = $sha",
        id=article.id,
        title=article.title,
        text=article.text,
        published=article.published,
        sha=article.content_sha256,
    )
    for s in article.sentences:
        await tx.run(
            "MATCH (a:Article {id: $article}) MERGE (s:Sentence {id: $id}) "
            "SET s.index = $index, s.text = $text, s.start = $start, s.end = $end "
            "MERGE (a)-[:HAS_SENTENCE]->(s)",
            article=article.id,
            id=f"{article.id}#{s.index}",
            index=s.index,
            text=s.text,
            start=s.start,
            end=s.end,
        )
    for e in graph.entities:
        label = EntityType(e.type).value
        await tx.run(
            f"MERGE (e:Entity {{id: $id}}) ON CREATE SET e:{label}, e.type = $type, "
            "e.name = $name, e.aliases = $aliases",
            id=e.id,
            type=e.type,
            name=e.name,
            aliases=list(e.aliases),
        )
    for r in graph.relations:
        rel_type = RelationType(r.type).value
        arrow = "" if relation_rules()[rel_type].symmetric else ">"
        start, end = date_bounds(r.date)
        await tx.run(
            f"MATCH (s:Entity {{id: $s}}), (o:Entity {{id: $o}}) "
            f"MERGE (s)-[r:{rel_type} {{key: $key}}]-{arrow}(o) "
            "ON CREATE SET r.status = $status, r.date = $date, r.date_start = $start, "
            "r.date_end = $end, r.sources = [], r.evidence_texts = [] "
            "SET r.sources = [x IN r.sources WHERE x <> $article] + [$article], "
            "r.evidence_texts = r.evidence_texts + $texts",
            s=r.subject,
            o=r.object,
            key=r.key,
            status=r.status,
            date=r.date,
            start=start,
            end=end,
            article=article.id,
            texts=[e.text for e in r.evidence],
        )
    for index, entity_id in graph.mentions:
        await tx.run(
            "MATCH (s:Sentence {id: $s}), (e:Entity {id: $e}) MERGE (s)-[:MENTIONS]->(e)",
            s=f"{article.id}#{index}",
            e=entity_id,
        )


async def write_naively(driver: AsyncDriver, database: str, graph: ArticleGraph) -> None:
    """One transaction for the article, one statement per row in it."""
    async with driver.session(database=database) as session:
        await session.execute_write(_write, graph)
