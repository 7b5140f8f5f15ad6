"""The five benchmark questions: each as a GraphQL query and as hand-written Cypher.

The ids are picked from the loaded graph, deterministically (ties broken by id), so the same
corpus always gives the same questions:

- entity: the highest-degree Person, its two most frequent relation types, during the year
  in which it has most of them;
- search: the word that most entity names start with;
- neighbors: the Person of median degree (among Persons with relations), depth 2, first 50;
- path: from that median Person to the first low-degree Person (by id) 3 hops away
  (2 if none is found), maxLength 4;
- timeline: the pair of entities with the most dated relations between them, seen from the
  one of higher degree, first 100.

The Cypher side is what an engineer who knows the graph would write for the same answer: one
statement, relationship types in the pattern, only the properties the GraphQL query asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver, RoutingControl

from kg.ontology import relation_types
from kg.store.graph_store import lucene_query
from kg.store.schema import ENTITY_NAME_INDEX

ALL_TYPES = "|".join(relation_types())  # the ontology's enum values only, never input
# `relations` without `first` answers the server's page size (KG_MAX_PAGE_SIZE, 100 by
# default and in bench.run): the first ones by type, date and key.
RELATIONS_FIRST = 100
NEIGHBORS_FIRST = 50
PATH_MAX = 4
TIMELINE_FIRST = 100
SEARCH_FIRST = 10

Items = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Targets:
    """The ids the five questions are about."""

    hub: str
    hub_degree: int
    hub_types: tuple[str, ...]
    date_from: str
    date_to: str
    search_word: str
    mid: str
    mid_degree: int
    path_to: str
    path_length: int
    timeline_entity: str
    timeline_other: str


@dataclass(frozen=True)
class BenchQuery:
    """One question, both ways, and how to reduce each answer to comparable items."""

    name: str
    graphql: str
    variables: dict[str, Any]
    cypher: str
    params: dict[str, Any]
    graphql_items: Callable[[dict[str, Any]], Items]
    raw_items: Callable[[list[dict[str, Any]]], Items]


async def _rows(driver: AsyncDriver, database: str, cypher: str, **params: Any) -> list[Any]:
    result = await driver.execute_query(
        cypher, params, database_=database, routing_=RoutingControl.READ
    )
    return [record.data() for record in result.records]


async def pick_targets(driver: AsyncDriver, database: str) -> Targets:
    """Choose the ids of the questions from the graph (a few seconds at 100k entities)."""
    degree = f"COUNT {{ (p)-[:{ALL_TYPES}]-() }}"
    hubs = await _rows(
        driver,
        database,
        f"MATCH (p:Person) RETURN p.id AS id, p.name AS name, {degree} AS degree"
        " ORDER BY degree DESC, id LIMIT 1",
    )
    if not hubs or not hubs[0]["degree"]:
        raise RuntimeError("the graph has no Person with relations: load the corpus first")
    hub = hubs[0]
    kinds = await _rows(
        driver,
        database,
        f"MATCH (:Entity {{id: $id}})-[r:{ALL_TYPES}]-() RETURN type(r) AS t, count(*) AS c"
        " ORDER BY c DESC, t LIMIT 2",
        id=hub["id"],
    )
    hub_types = tuple(row["t"] for row in kinds if row["t"] in relation_types())
    years = await _rows(
        driver,
        database,
        f"MATCH (:Entity {{id: $id}})-[r:{'|'.join(hub_types)}]-()"
        " WHERE r.date_start IS NOT NULL RETURN substring(r.date_start, 0, 4) AS year,"
        " count(*) AS c ORDER BY c DESC, year LIMIT 1",
        id=hub["id"],
    )
    year = years[0]["year"] if years else "2024"
    words = await _rows(
        driver,
        database,
        "MATCH (e:Entity) WITH split(e.name, ' ')[0] AS word, count(*) AS c"
        " RETURN word ORDER BY c DESC, word LIMIT 1",
    )
    ranked = await _rows(
        driver,
        database,
        f"MATCH (p:Person) WITH p.id AS id, {degree} AS degree WHERE degree > 0"
        " WITH id, degree ORDER BY degree, id WITH collect([id, degree]) AS ranked"
        " RETURN ranked[size(ranked) / 2] AS mid, ranked[0..size(ranked) / 2] AS low",
    )
    (mid, mid_degree), low = ranked[0]["mid"], ranked[0]["low"]
    path_to, path_length = await _path_partner(driver, database, mid, sorted(i for i, _ in low))
    pairs = await _rows(
        driver,
        database,
        f"MATCH (a:Entity)-[r:{ALL_TYPES}]->(b:Entity) WHERE r.date_start IS NOT NULL"
        " WITH a, b, count(r) AS n ORDER BY n DESC, a.id, b.id LIMIT 1"
        f" RETURN a.id AS a, b.id AS b, COUNT {{ (a)-[:{ALL_TYPES}]-() }} AS da,"
        f" COUNT {{ (b)-[:{ALL_TYPES}]-() }} AS db",
    )
    pair = pairs[0]
    entity, other = (pair["a"], pair["b"]) if pair["da"] >= pair["db"] else (pair["b"], pair["a"])
    return Targets(
        hub=hub["id"],
        hub_degree=hub["degree"],
        hub_types=hub_types,
        date_from=f"{year}-01-01",
        date_to=f"{year}-12-31",
        search_word=words[0]["word"],
        mid=mid,
        mid_degree=mid_degree,
        path_to=path_to,
        path_length=path_length,
        timeline_entity=entity,
        timeline_other=other,
    )


async def _path_partner(
    driver: AsyncDriver, database: str, start: str, candidates: list[str]
) -> tuple[str, int]:
    """The first candidate 3 hops from `start` (else the first 2 hops away)."""
    second: tuple[str, int] | None = None
    for candidate in candidates[:300]:
        if candidate == start:
            continue
        found = await _rows(
            driver,
            database,
            "MATCH (a:Entity {id: $a}), (b:Entity {id: $b})"
            f" MATCH p = shortestPath((a)-[:{ALL_TYPES}*..3]-(b)) RETURN length(p) AS n",
            a=start,
            b=candidate,
        )
        length = found[0]["n"] if found else 0
        if length == 3:
            return candidate, 3
        if length == 2 and second is None:
            second = (candidate, 2)
    if second is None:
        raise RuntimeError(f"no entity 2 or 3 hops from {start} among the candidates")
    return second


def _relation_items(relations: list[dict[str, Any]]) -> Items:
    return [(r["type"], r["date"], r["subject"]["id"], r["object"]["id"]) for r in relations]


def build_queries(t: Targets) -> list[BenchQuery]:
    """The five questions about these targets."""
    types = "|".join(k for k in t.hub_types if k in relation_types())
    return [
        BenchQuery(
            name="entity",
            graphql="""query Q($id: ID!, $types: [RelationType!], $from: String, $to: String) {
  entity(id: $id) { name relations(types: $types, from: $from, to: $to) {
    type date subject { id name } object { id name } evidence { text } } } }""",
            variables={
                "id": t.hub,
                "types": list(t.hub_types),
                "from": t.date_from,
                "to": t.date_to,
            },
            cypher=f"""MATCH (e:Entity {{id: $id}})-[r:{types}]-(:Entity)
WHERE r.date_end >= $from AND r.date_start <= $to
WITH e, r ORDER BY type(r), r.date_start, r.key LIMIT $first
RETURN e.name AS name, collect({{type: type(r), date: r.date,
  subject: {{id: startNode(r).id, name: startNode(r).name}},
  object: {{id: endNode(r).id, name: endNode(r).name}},
  evidence: r.evidence_texts}}) AS relations""",
            params={"id": t.hub, "from": t.date_from, "to": t.date_to, "first": RELATIONS_FIRST},
            graphql_items=lambda d: _relation_items(d["entity"]["relations"]),
            raw_items=lambda rows: _relation_items(rows[0]["relations"]) if rows else [],
        ),
        BenchQuery(
            name="search",
            graphql="""query Q($text: String!, $first: Int!) {
  search(text: $text, first: $first) { id name type } }""",
            variables={"text": t.search_word, "first": SEARCH_FIRST},
            cypher=f"""CALL db.index.fulltext.queryNodes('{ENTITY_NAME_INDEX}', $query)
YIELD node, score
RETURN node.id AS id, node.name AS name, node.type AS type
ORDER BY score DESC, name LIMIT $first""",
            params={"query": lucene_query(t.search_word), "first": SEARCH_FIRST},
            graphql_items=lambda d: [(e["id"],) for e in d["search"]],
            raw_items=lambda rows: [(r["id"],) for r in rows],
        ),
        BenchQuery(
            name="neighbors",
            graphql="""query Q($id: ID!, $first: Int!) {
  entity(id: $id) { neighbors(depth: 2, first: $first) { distance entity { id name } } } }""",
            variables={"id": t.mid, "first": NEIGHBORS_FIRST},
            # Depth 2 is needed only when depth 1 has fewer than `first` entities.
            cypher=f"""MATCH (e:Entity {{id: $id}})
OPTIONAL MATCH (e)-[:{ALL_TYPES}]-(near:Entity)
WITH e, collect(DISTINCT near) AS ring
CALL (e, ring) {{
  UNWIND ring AS n RETURN n, 1 AS distance
  UNION ALL
  WITH e, ring WHERE size(ring) < $first
  UNWIND ring AS near
  MATCH (near)-[:{ALL_TYPES}]-(n:Entity) WHERE n <> e AND NOT n IN ring
  RETURN DISTINCT n, 2 AS distance
}}
RETURN n.id AS id, n.name AS name, distance ORDER BY distance, name LIMIT $first""",
            params={"id": t.mid, "first": NEIGHBORS_FIRST},
            graphql_items=lambda d: [
                (n["entity"]["id"], n["distance"]) for n in d["entity"]["neighbors"]
            ],
            raw_items=lambda rows: [(r["id"], r["distance"]) for r in rows],
        ),
        BenchQuery(
            name="path",
            graphql="""query Q($from: ID!, $to: ID!, $max: Int!) {
  path(from: $from, to: $to, maxLength: $max) {
    ... on Path { length entities { id name } relations { type } } } }""",
            variables={"from": t.mid, "to": t.path_to, "max": PATH_MAX},
            cypher=f"""MATCH (a:Entity {{id: $from}}), (b:Entity {{id: $to}})
MATCH p = shortestPath((a)-[:{ALL_TYPES}*..{PATH_MAX}]-(b))
RETURN length(p) AS length, [n IN nodes(p) | {{id: n.id, name: n.name}}] AS entities,
       [r IN relationships(p) | type(r)] AS relations""",
            params={"from": t.mid, "to": t.path_to},
            # Two shortest paths may differ in their middle: compare length and ends only.
            graphql_items=lambda d: _path_items(d["path"]),
            raw_items=lambda rows: _path_items(rows[0]) if rows else [],
        ),
        BenchQuery(
            name="timeline",
            graphql="""query Q($entity: ID!, $other: ID!, $first: Int!) {
  timeline(entity: $entity, other: $other, first: $first) {
    type date subject { id } object { id } } }""",
            variables={
                "entity": t.timeline_entity,
                "other": t.timeline_other,
                "first": TIMELINE_FIRST,
            },
            cypher=f"""MATCH (:Entity {{id: $entity}})-[r:{ALL_TYPES}]-(:Entity {{id: $other}})
WHERE r.date_start IS NOT NULL
RETURN type(r) AS type, r.date AS date, {{id: startNode(r).id}} AS subject,
       {{id: endNode(r).id}} AS object
ORDER BY r.date_start, r.date_end, type, r.key LIMIT $first""",
            params={
                "entity": t.timeline_entity,
                "other": t.timeline_other,
                "first": TIMELINE_FIRST,
            },
            graphql_items=lambda d: _relation_items(d["timeline"]),
            raw_items=_relation_items,
        ),
    ]


def _path_items(path: dict[str, Any] | None) -> Items:
    if not path or "entities" not in path:
        return []
    ends = (path["entities"][0]["id"], path["entities"][-1]["id"])
    return [(path["length"], *ends) for _ in path["entities"]]
