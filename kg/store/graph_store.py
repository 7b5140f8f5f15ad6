"""GraphStore: the one place that talks to Neo4j. Methods return domain objects.

Reads run in read-mode sessions (Neo4j refuses a write there); every statement goes through
`_read` or `write_article_graph`, which count round trips (`statements`) and translate driver
errors.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import READ_ACCESS, AsyncDriver, AsyncManagedTransaction, Query
from neo4j.exceptions import DriverError, Neo4jError

from kg.domain import (
    Article,
    ArticleGraph,
    Entity,
    Relation,
    Sentence,
    WriteSummary,
    date_bounds,
    filled,
)
from kg.ontology import relation_types
from kg.store import pages, records
from kg.store.driver import translated_errors
from kg.store.filters import (
    EVERYTHING,
    RELATION_WHERE,
    Projection,
    RelationFilter,
    end_properties,
    relation_properties,
    type_alternation,
    typed,
)
from kg.store.pages import Page
from kg.store.schema import ENTITY_NAME_INDEX, schema_statements
from kg.store.writer import write_article_graphs

_SCHEMA_NAME = re.compile(r"CREATE (?P<kind>CONSTRAINT|FULLTEXT INDEX|INDEX) (?P<name>\w+) ")
# Reads nothing: what matters is the bookmark Neo4j gives back (GraphStore.revision).
_REVISION = "RETURN 1"
_LUCENE_SPECIAL = set('+-&|!(){}[]^"~*?:\\/')


def _quoted(name: str) -> str:
    """A label or relationship type as a Cypher identifier (backticks, any inside doubled)."""
    return "`" + name.replace("`", "``") + "`"


def lucene_query(text: str) -> str:
    """A full-text query from user words, escaped: the phrase ranks first, then all words,
    then any word as a prefix (so "Kozl" finds Kozlov)."""
    words = ["".join(f"\\{c}" if c in _LUCENE_SPECIAL else c for c in w) for w in text.split()]
    words = [w.lower() for w in words if w]
    if not words:
        return ""
    phrase = " ".join(words)
    prefixes = " OR ".join(f"{w}*" for w in words)
    return f'"{phrase}"^4 OR ({" AND ".join(words)})^2 OR {prefixes}'


@dataclass(frozen=True)
class EntityRelation:
    """A relation as seen from one entity, with both ends loaded."""

    entity_id: str
    relation: Relation
    subject: Entity
    object: Entity


@dataclass(frozen=True)
class Neighbor:
    entity: Entity
    distance: int


@dataclass(frozen=True)
class GraphPath:
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]


@dataclass(frozen=True)
class PathSearch:
    """What a path question found: each end (None when no entity has its id) and the path."""

    start: Entity | None
    end: Entity | None
    path: GraphPath | None


# Each statement answers one row (or one per entity) holding its relations in order
# (`WITH ... ORDER BY ... RETURN collect(...)` keeps the order): the driver's cost goes by
# records, and a record per relation was half its CPU for a long answer (docs/performance.md).
# At most $limit per entity: a hub's thousands of relations are paged (relation_pages).
# An entity's own relations name only their other end, and which way they point: the entity
# is an end of every one, and its properties come once with it (the hub's name was read and
# sent a hundred times for a hundred relations).
_RELATIONS = (
    "UNWIND $ids AS id MATCH (e:Entity {id: id})"
    " CALL (e) { MATCH (e)-[r]-(other:Entity)"
    + RELATION_WHERE
    + " WITH r, other ORDER BY type(r), coalesce(r.date_start, ''), r.key LIMIT $limit"
    f" RETURN collect({pages.OWN_RELATION_MAP}) AS relations }}"
    " RETURN id AS entity_id, properties(e) AS entity, relations"
)
_TIMELINE = (
    "MATCH (e:Entity {id: $id})-[r]-(other:Entity)"
    + RELATION_WHERE
    + " AND r.date_start IS NOT NULL"
    " WITH r ORDER BY r.date_start, r.date_end, type(r), r.key LIMIT $limit"
    f" RETURN collect({pages.RELATION_MAP}) AS relations"
)
_TIMELINE_BETWEEN = _TIMELINE.replace(
    "MATCH (e:Entity {id: $id})-[r]-(other:Entity)",
    "MATCH (e:Entity {id: $id}), (other:Entity {id: $other}) MATCH (e)-[r]-(other)",
)
_ALL_RELATIONS = (
    "MATCH (e:Entity)-[r]->(other:Entity)"
    + RELATION_WHERE
    + " WITH r ORDER BY type(r), coalesce(r.date_start, ''), r.key LIMIT $limit"
    f" RETURN collect({pages.RELATION_MAP}) AS relations"
)
_SEARCH = f"""
CALL db.index.fulltext.queryNodes('{ENTITY_NAME_INDEX}', $query) YIELD node, score
WHERE size($types) = 0 OR node.type IN $types
WITH node, score ORDER BY score DESC, node.name LIMIT $first
RETURN collect(properties(node)) AS entities
"""


def _article_relations_query() -> str:
    branches = "\n      UNION\n".join(
        f"      MATCH ()-[r:{t} {{key: key}}]->() WHERE key STARTS WITH '{t}|' RETURN r"
        for t in relation_types()
    )
    return (
        "MATCH (a:Article) WHERE a.id IN $ids UNWIND a.relation_keys AS key\n"
        f"CALL (key) {{\n{branches}\n}}\n"
        "RETURN a.id AS article_id, type(r) AS type, properties(r) AS props,\n"
        "       properties(startNode(r)) AS subject, properties(endNode(r)) AS object\n"
        "ORDER BY article_id, r.key"
    )


_ARTICLE_RELATIONS = _article_relations_query()


def canonical_dump(dump: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """A dump with labels and rows sorted: equal graphs give equal canonical dumps."""

    def canonical(row: Any) -> str:  # a dict's text whatever the order of its keys
        if isinstance(row, dict):
            return repr(sorted((k, canonical(v)) for k, v in row.items()))
        return repr(row)

    nodes = [{**row, "labels": sorted(row["labels"])} for row in dump["nodes"]]
    return {
        "nodes": sorted(nodes, key=canonical),
        "relationships": sorted(dump["relationships"], key=canonical),
    }


class GraphStore:
    """Reads and writes the news graph in one Neo4j database, through one shared driver."""

    def __init__(
        self,
        driver: AsyncDriver,
        database: str,
        query_timeout_s: float = 10.0,
        read_retry_s: float = 10.0,
    ) -> None:
        if not database:
            raise ValueError("database must be named")
        if query_timeout_s <= 0:
            raise ValueError("query_timeout_s must be positive")
        if read_retry_s < 0:
            raise ValueError("read_retry_s must not be negative")
        self._driver = driver
        self._database = database
        self._timeout = query_timeout_s
        self._retry_s = read_retry_s
        self._schema_applied = False
        self.statements = 0
        """Read statements and write transactions sent so far: the round trips a test counts."""

    async def _read(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        """Run a read statement; its rows as dicts.

        An auto-commit transaction, not a managed one: a managed read costs a second round
        trip for its COMMIT (about 1 ms a request here, docs/performance.md). Reads change
        nothing, so one that fails on a transient error (Neo4j restarting, a connection
        dropped) is simply run again, for up to read_retry_s, as the driver would retry a
        managed transaction.
        """
        query = Query(cypher, timeout=self._timeout)
        self.statements += 1
        delay, deadline = 0.05, time.monotonic() + self._retry_s
        with translated_errors("reading the graph"):
            while True:
                try:
                    async with self._driver.session(
                        database=self._database, default_access_mode=READ_ACCESS
                    ) as session:
                        result = await session.run(query, params)
                        # Every statement returns maps, lists and scalars only, which arrive
                        # as Python values: no need for Result.data(), whose deep copy was 15%
                        # of a busy API's CPU.
                        keys = result.keys()
                        return [dict(zip(keys, record, strict=True)) async for record in result]
                except (Neo4jError, DriverError) as exc:
                    if not exc.is_retryable() or time.monotonic() + delay > deadline:
                        raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def ping(self) -> None:
        """Raise StoreUnavailable unless Neo4j accepts a connection with our credentials.

        No transaction: a managed one would retry for the driver's retry time before failing.
        """
        self.statements += 1
        with translated_errors("checking that Neo4j answers"):
            await self._driver.verify_connectivity()

    async def revision(self) -> str:
        """The database's revision: it changes whenever a transaction commits in it, by kg or
        anyone else (Neo4j Browser, another loader). Opaque; compare for equality only.

        It is the bookmark Neo4j gives an empty read: the last transaction committed when
        the read ran. A trivial read, one round trip (kg.api.answers validates its cached
        answers with it), not counted in `statements`: it reads no data, and the API counts
        it itself (kg_graph_revision_reads).
        """
        with translated_errors("reading the graph's revision"):
            async with self._driver.session(
                database=self._database, default_access_mode=READ_ACCESS
            ) as session:
                await (await session.run(_REVISION)).consume()
                bookmarks = await session.last_bookmarks()
        return " ".join(sorted(bookmarks.raw_values))

    async def ensure_schema(self) -> None:
        """apply_schema once for this store (the writers call it before their first write)."""
        if not self._schema_applied:
            await self.apply_schema()
            self._schema_applied = True

    async def apply_schema(self) -> None:
        """Create every constraint and index that is missing, then wait for them to be online."""
        with translated_errors("applying constraints and indexes"):
            async with self._driver.session(database=self._database) as session:
                for statement in schema_statements():
                    self.statements += 1
                    await (await session.run(statement)).consume()
                await (await session.run("CALL db.awaitIndexes(300)")).consume()

    async def finish_import(self, statements: Sequence[str], concurrency: int = 2) -> None:
        """Run an after-import.cypher's statements, each in its own auto-commit transaction:
        kg's constraints and indexes first, one after another, then the rest (filling what
        CSV could not carry, each statement its own label or type) `concurrency` at a time,
        since each keeps one core of Neo4j busy. Then wait for the indexes."""
        schema = set(schema_statements())

        async def run(statement: str) -> None:
            async with self._driver.session(database=self._database) as session:
                await (await session.run(statement)).consume()
            self.statements += 1

        async def worker(queue: list[str]) -> None:
            while queue:
                await run(queue.pop(0))

        with translated_errors("finishing an import"):
            for statement in statements:
                if statement in schema:
                    await run(statement)
            rest = [s for s in statements if s not in schema]
            await asyncio.gather(*(worker(rest) for _ in range(max(1, concurrency))))
            await run("CALL db.awaitIndexes(300)")

    async def missing_schema(self) -> list[str]:
        """Names of kg's constraints and indexes that are absent, or (indexes) not yet online.

        Empty when the graph is ready to serve; the readiness check (/ready) asks this.
        """
        wanted = [_SCHEMA_NAME.match(s) for s in schema_statements()]
        constraints = {m["name"] for m in wanted if m and m["kind"] == "CONSTRAINT"}
        indexes = {m["name"] for m in wanted if m and m["kind"] != "CONSTRAINT"}
        found = await self._read("SHOW CONSTRAINTS YIELD name RETURN name")
        online = await self._read(
            "SHOW INDEXES YIELD name, state WHERE state = 'ONLINE' RETURN name"
        )
        missing = constraints - {row["name"] for row in found}
        missing |= indexes - {row["name"] for row in online}
        return sorted(missing)

    async def write_article_graph(self, graph: ArticleGraph) -> WriteSummary:
        """Write one article's graph in one transaction: all of it or nothing."""
        return (await self.write_article_graphs([graph]))[0]

    async def write_article_graphs(self, graphs: Sequence[ArticleGraph]) -> list[WriteSummary]:
        """Write several articles' graphs in one transaction: all of them or nothing.

        One commit and about twenty statements for the whole batch, which is what makes bulk
        loads fast; callers choose the batch size (kg load: --batch-size).
        """
        if not graphs:
            return []

        async def work(tx: AsyncManagedTransaction) -> list[WriteSummary]:
            return await write_article_graphs(tx, graphs)

        name = graphs[0].article.id if len(graphs) == 1 else f"{len(graphs)} articles"
        with translated_errors(f"writing {'article ' if len(graphs) == 1 else ''}{name}"):
            async with self._driver.session(database=self._database) as session:
                summaries = await session.execute_write(work)
        self.statements += 1
        return summaries

    # -- entities -----------------------------------------------------------------------------

    async def entities(self, ids: Sequence[str]) -> dict[str, Entity]:
        rows = await self._read(
            "MATCH (e:Entity) WHERE e.id IN $ids RETURN properties(e) AS e", ids=list(ids)
        )
        return {row["e"]["id"]: records.entity_from(row["e"]) for row in rows}

    async def search(self, text: str, types: Sequence[str], first: int) -> list[Entity]:
        query = lucene_query(text)
        if not query:
            return []
        rows = await self._read(_SEARCH, query=query, types=list(types), first=first)
        return [records.entity_from(props) for row in rows for props in row["entities"]]

    # -- relations ----------------------------------------------------------------------------

    @staticmethod
    def _entity_relation(
        item: dict[str, Any], owner: str, seen: dict[str, Entity]
    ) -> EntityRelation:
        """A relation map (pages.RELATION_MAP) as seen from the entity or article `owner`.
        `seen` holds the entities already built from this answer: a hub is an end of most
        of its relations, and is built once."""
        subject = GraphStore._end(item["subject"], seen)
        object_ = GraphStore._end(item["object"], seen)
        return GraphStore._between(item, owner, subject, object_)

    @staticmethod
    def _between(
        item: dict[str, Any], owner: str, subject: Entity, object_: Entity
    ) -> EntityRelation:
        """The relation of a map whose ends are built, as seen from `owner`: filled at once
        (kg.domain.filled), as a hundred of them make one answer."""
        relation = records.relation_from(item["type"], subject.id, object_.id, item["props"])
        return filled(
            EntityRelation,
            {"entity_id": owner, "relation": relation, "subject": subject, "object": object_},
        )

    @staticmethod
    def _end(props: dict[str, Any], seen: dict[str, Entity]) -> Entity:
        """The entity of an end's map, built once per answer (`seen`, by id)."""
        entity = seen.get(props["id"])
        if entity is None:
            entity = seen[props["id"]] = records.entity_from(props)
        return entity

    @staticmethod
    def _own_relation(
        item: dict[str, Any], owner: Entity, seen: dict[str, Entity]
    ) -> EntityRelation:
        """A relation map (pages.OWN_RELATION_MAP) of the entity `owner`: its other end, and
        whether it points away from the owner."""
        other = GraphStore._end(item["other"], seen)
        subject, object_ = (owner, other) if item["outgoing"] else (other, owner)
        return GraphStore._between(item, owner.id, subject, object_)

    async def relations(
        self, entity_ids: Sequence[str], relation_filter: RelationFilter, limit: int = 100
    ) -> dict[str, list[EntityRelation]]:
        """The relations of many entities in one statement, by entity id (`limit` each)."""
        found = await self.entities_with_relations(entity_ids, relation_filter, limit)
        return {entity_id: found.get(entity_id, (None, []))[1] for entity_id in entity_ids}

    async def entities_with_relations(
        self, entity_ids: Sequence[str], relation_filter: RelationFilter, limit: int = 100
    ) -> dict[str, tuple[Entity, list[EntityRelation]]]:
        """The entities that exist among `entity_ids`, each with its relations (`limit`), in
        one statement."""
        params = relation_filter.params()
        query = typed(_RELATIONS, relation_filter)
        rows = await self._read(query, ids=list(entity_ids), limit=limit, **params)
        seen: dict[str, Entity] = {}
        found: dict[str, tuple[Entity, list[EntityRelation]]] = {}
        for row in rows:
            owner = records.entity_from(row["entity"])
            found[row["entity_id"]] = (
                owner,
                [self._own_relation(item, owner, seen) for item in row["relations"]],
            )
        return found

    async def timeline(
        self, entity_id: str, relation_filter: RelationFilter, limit: int
    ) -> list[EntityRelation]:
        """Dated relations of one entity (or between it and `other`), oldest first."""
        query = _TIMELINE_BETWEEN if relation_filter.other else _TIMELINE
        query = typed(query, relation_filter)
        rows = await self._read(query, id=entity_id, limit=limit, **relation_filter.params())
        seen: dict[str, Entity] = {}
        return [
            self._entity_relation(item, entity_id, seen)
            for row in rows
            for item in row["relations"]
        ]

    # -- pages and counts (kg.store.pages) ------------------------------------------------------

    def _relation_page(
        self, owner: str, page: list[dict[str, Any]], first: int
    ) -> Page[EntityRelation]:
        seen: dict[str, Entity] = {}
        items = tuple(self._entity_relation(item, owner, seen) for item in page[:first])
        return Page(items, tuple((i.relation.key,) for i in items), len(page) > first)

    async def relation_pages(
        self,
        entity_ids: Sequence[str],
        relation_filter: RelationFilter,
        first: int,
        after: str | None,
    ) -> dict[str, Page[EntityRelation]]:
        """A page of each entity's relations, ordered by key, after the key `after`."""
        # The positions hold each relation's key: it is read whether or not it was asked for.
        relation_filter = relation_filter.reading("key")
        rows = await self._read(
            typed(pages.RELATION_PAGES, relation_filter),
            ids=list(entity_ids),
            after=after,
            limit=first + 1,
            **relation_filter.params(),
        )
        found = {row["id"]: self._relation_page(row["id"], row["page"], first) for row in rows}
        return {i: found.get(i, Page((), (), False)) for i in entity_ids}

    async def relation_counts(
        self, entity_ids: Sequence[str], relation_filter: RelationFilter
    ) -> dict[str, int]:
        """How many relations of each entity pass the filter; by type and direction alone,
        from the degree store."""
        if pages.counts_only_by_type(relation_filter):
            query = pages.degree_query(relation_filter.types, relation_filter.direction)
            rows = await self._read(query, ids=list(entity_ids))
            found = {row["id"]: row["degree"] for row in rows}
        else:
            params = relation_filter.params()
            query = typed(pages.RELATION_COUNTS, relation_filter)
            rows = await self._read(query, ids=list(entity_ids), **params)
            found = {row["id"]: row["total"] for row in rows}
        return {i: found.get(i, 0) for i in entity_ids}

    async def timeline_page(
        self,
        entity_id: str,
        relation_filter: RelationFilter,
        first: int,
        after: pages.Position | None,
    ) -> Page[EntityRelation]:
        """Dated relations of one entity (or between it and `other`), oldest first."""
        after_date, after_key = after if after else (None, None)
        query = pages.TIMELINE_BETWEEN_PAGE if relation_filter.other else pages.TIMELINE_PAGE
        # The positions hold each relation's date and key: they are read whether or not they
        # were asked for.
        relation_filter = relation_filter.reading("date", "key")
        query = typed(query, relation_filter)
        rows = await self._read(
            query,
            id=entity_id,
            after_date=after_date,
            after_key=after_key,
            limit=first + 1,
            **relation_filter.params(),
        )
        page = self._relation_page(entity_id, rows[0]["page"] if rows else [], first)
        # The writer stored date_start as the first day the relation's date allows.
        positions = tuple((date_bounds(i.relation.date)[0], i.relation.key) for i in page.items)
        return Page(page.items, positions, page.has_next)

    async def timeline_count(self, entity_id: str, relation_filter: RelationFilter) -> int:
        query = pages.TIMELINE_BETWEEN_COUNT if relation_filter.other else pages.TIMELINE_COUNT
        query = typed(query, relation_filter)
        rows = await self._read(query, id=entity_id, **relation_filter.params())
        return int(rows[0]["total"]) if rows else 0

    async def search_page(
        self, text: str, types: Sequence[str], first: int, after: pages.Position | None
    ) -> Page[Entity]:
        """Entities matching the words, best first (then by id), after a (score, id)."""
        query = lucene_query(text)
        if not query:
            return Page((), (), False)
        after_score, after_id = after if after else (None, None)
        rows = await self._read(
            pages.search_page_query(ENTITY_NAME_INDEX),
            query=query,
            types=list(types),
            after_score=after_score,
            after_id=after_id,
            limit=first + 1,
        )
        items = tuple(records.entity_from(row["entity"]) for row in rows[:first])
        positions = tuple((row["score"], row["entity"]["id"]) for row in rows[:first])
        return Page(items, positions, len(rows) > first)

    async def search_count(self, text: str, types: Sequence[str]) -> int:
        query = lucene_query(text)
        if not query:
            return 0
        rows = await self._read(
            pages.search_count_query(ENTITY_NAME_INDEX), query=query, types=list(types)
        )
        return int(rows[0]["total"])

    async def find_relations(
        self, relation_filter: RelationFilter, limit: int
    ) -> list[EntityRelation]:
        """Relations anywhere in the graph that pass the filter (by status, type, date)."""
        query = typed(_ALL_RELATIONS, relation_filter)
        rows = await self._read(query, limit=limit, **relation_filter.params())
        seen: dict[str, Entity] = {}
        return [
            self._entity_relation(item, item["subject"]["id"], seen)
            for row in rows
            for item in row["relations"]
        ]

    async def neighbors(
        self, entity_id: str, depth: int, types: Sequence[str], limit: int
    ) -> list[Neighbor]:
        """Entities within `depth` hops (1 to 3), nearest first."""
        return (await self.entity_with_neighbors(entity_id, depth, types, limit))[1]

    async def entity_with_neighbors(
        self, entity_id: str, depth: int, types: Sequence[str], limit: int
    ) -> tuple[Entity | None, list[Neighbor]]:
        """The entity (None if no entity has the id) and its neighbours, in one statement."""
        if not 1 <= depth <= 3:
            raise ValueError("depth must be between 1 and 3")
        cypher = (
            "MATCH (e:Entity {id: $id}) CALL (e) {"
            f" MATCH (e)-[rels:{type_alternation(types)}*1..{depth}]-(n:Entity)"
            " WHERE n <> e WITH n, min(size(rels)) AS distance"
            " ORDER BY distance, n.name LIMIT $limit"
            " RETURN collect({n: properties(n), distance: distance}) AS neighbors }"
            " RETURN properties(e) AS entity, neighbors"
        )
        rows = await self._read(cypher, id=entity_id, limit=limit)
        if not rows:
            return None, []
        return records.entity_from(rows[0]["entity"]), [
            Neighbor(records.entity_from(item["n"]), item["distance"])
            for item in rows[0]["neighbors"]
        ]

    async def shortest_path(
        self,
        from_id: str,
        to_id: str,
        max_length: int,
        types: Sequence[str],
        projection: Projection = EVERYTHING,
    ) -> PathSearch:
        """Both ends, and the shortest connection between them over the given relation types,
        in one statement (no path when an end is missing or both are the same entity). Of its
        relations and entities (both ends included) the projection's properties are read."""
        if not 1 <= max_length <= 10:
            raise ValueError("max_length must be between 1 and 10")
        cypher = (
            "OPTIONAL MATCH (a:Entity {id: $from}) OPTIONAL MATCH (b:Entity {id: $to})"
            " OPTIONAL CALL (a, b) { WITH a, b WHERE a <> b"
            f" MATCH p = shortestPath((a)-[:{type_alternation(types)}*..{max_length}]-(b))"
            f" RETURN [n IN nodes(p) | {end_properties('n', projection)}] AS nodes,"
            " [r IN relationships(p) | {type: type(r), subject: startNode(r).id,"
            f" object: endNode(r).id, props: {relation_properties(projection)}}}] AS rels }}"
            f" RETURN {end_properties('a', projection)} AS start,"
            f" {end_properties('b', projection)} AS end, nodes, rels"
        )
        row = (await self._read(cypher, **{"from": from_id, "to": to_id}))[0]
        path = None
        if row["nodes"] is not None:
            path = GraphPath(
                entities=tuple(records.entity_from(n) for n in row["nodes"]),
                relations=tuple(
                    records.relation_from(r["type"], r["subject"], r["object"], r["props"])
                    for r in row["rels"]
                ),
            )
        return PathSearch(
            start=records.entity_from(row["start"]) if row["start"] is not None else None,
            end=records.entity_from(row["end"]) if row["end"] is not None else None,
            path=path,
        )

    # -- articles -----------------------------------------------------------------------------

    async def articles(self, first: int) -> list[Article]:
        rows = await self._read(
            "MATCH (a:Article) RETURN properties(a) AS a"
            " ORDER BY a.published DESC, a.id LIMIT $first",
            first=first,
        )
        return [records.article_from(row["a"]) for row in rows]

    async def articles_by_id(self, ids: Sequence[str]) -> dict[str, Article]:
        rows = await self._read(
            "MATCH (a:Article) WHERE a.id IN $ids RETURN properties(a) AS a", ids=list(ids)
        )
        return {row["a"]["id"]: records.article_from(row["a"]) for row in rows}

    async def sentences(self, article_ids: Sequence[str]) -> dict[str, list[Sentence]]:
        rows = await self._read(
            "MATCH (a:Article)-[:HAS_SENTENCE]->(s:Sentence) WHERE a.id IN $ids"
            " RETURN a.id AS article_id, properties(s) AS s ORDER BY article_id, s.index",
            ids=list(article_ids),
        )
        found: dict[str, list[Sentence]] = {article_id: [] for article_id in article_ids}
        for row in rows:
            found[row["article_id"]].append(records.sentence_from(row["s"]))
        return found

    async def article_relations(
        self, article_ids: Sequence[str]
    ) -> dict[str, list[EntityRelation]]:
        """Every relation each article supports, through the keys it wrote (index seeks)."""
        rows = await self._read(_ARTICLE_RELATIONS, ids=list(article_ids))
        found: dict[str, list[EntityRelation]] = {article_id: [] for article_id in article_ids}
        seen: dict[str, Entity] = {}
        for row in rows:
            found[row["article_id"]].append(self._entity_relation(row, row["article_id"], seen))
        return found

    async def dump(self) -> dict[str, list[dict[str, Any]]]:
        """A canonical, sorted copy of the whole graph: equal graphs give equal dumps."""
        nodes = await self._read("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
        rels = await self._read(
            "MATCH (a)-[r]->(b) RETURN type(r) AS type, a.id AS start, b.id AS end,"
            " properties(r) AS props"
        )
        return canonical_dump({"nodes": nodes, "relationships": rels})

    async def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type: a cheap summary of the graph.

        Two statements: the database's labels and types, then one count of each, written
        with the label or type itself (quoted), which Neo4j answers from its count store
        without reading the graph (a label tested per node read every node, seconds at
        100k entities).
        """
        catalog = await self._read(
            "RETURN COLLECT { CALL db.labels() YIELD label RETURN label } AS labels,"
            " COLLECT { CALL db.relationshipTypes() YIELD relationshipType"
            " RETURN relationshipType } AS types"
        )
        labels, types = catalog[0]["labels"], catalog[0]["types"]
        parts = [
            f"MATCH (:{_quoted(label)}) RETURN {i} AS i, count(*) AS c"
            for i, label in enumerate(labels)
        ] + [
            f"MATCH ()-[:{_quoted(t)}]->() RETURN {len(labels) + i} AS i, count(*) AS c"
            for i, t in enumerate(types)
        ]
        if not parts:
            return {}
        rows = await self._read(" UNION ALL ".join(parts))
        names = [*labels, *types]
        return {names[row["i"]]: row["c"] for row in rows if row["c"]}

    # -- export ---------------------------------------------------------------------------------

    async def article_ids(self) -> list[str]:
        """Every article id in the graph, sorted."""
        rows = await self._read("MATCH (a:Article) RETURN a.id AS id ORDER BY id")
        return [row["id"] for row in rows]

    async def entity_ids(self) -> list[str]:
        """Every entity id in the graph, sorted."""
        rows = await self._read("MATCH (e:Entity) RETURN e.id AS id ORDER BY id")
        return [row["id"] for row in rows]

    async def mentions(self, article_ids: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
        """(sentence index, entity id) of every MENTIONS of each article's sentences."""
        rows = await self._read(
            "MATCH (a:Article)-[:HAS_SENTENCE]->(s:Sentence)-[:MENTIONS]->(e:Entity)"
            " WHERE a.id IN $ids RETURN a.id AS article_id, s.index AS sentence, e.id AS entity"
            " ORDER BY article_id, sentence, entity",
            ids=list(article_ids),
        )
        found: dict[str, list[tuple[int, str]]] = {article_id: [] for article_id in article_ids}
        for row in rows:
            found[row["article_id"]].append((row["sentence"], row["entity"]))
        return found
