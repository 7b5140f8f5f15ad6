"""bulk: the graph a run of articles gives, built in memory for `neo4j-admin database import`.

`GraphBuilder` takes ArticleGraphs one after another and keeps what `write_article_graphs`
would leave in an empty database after writing them in that order: entities merged by id
(aliases added, a missing wikidata or description filled), relations merged by key with their
sources and evidence appended, a repeated article replacing its earlier contribution, a
relation or mention whose ends are not in the graph left out, as the writer's MATCH leaves it
out. `dump()` has `GraphStore.dump()`'s shape, so `admin_csv.write_csv` turns it into the
importer's files. tests/test_bulk.py holds the two to the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kg.domain import ArticleGraph, article_metadata
from kg.errors import InvalidDocument
from kg.ontology import EntityType, relation_rules
from kg.store.writer import entity_rows, relation_row, sentence_id, sentence_rows

_EVIDENCE = ("articles", "sentences", "texts", "starts", "ends")


@dataclass
class _Relationship:
    type: str
    start: str
    end: str
    props: dict[str, Any]


def _stored(props: dict[str, Any]) -> dict[str, Any]:
    """What Neo4j keeps of `SET x += props`: a null is no property."""
    return {k: v for k, v in props.items() if v is not None}


class GraphBuilder:
    """The graph of the articles added so far, as the writer would leave it."""

    def __init__(self) -> None:
        self._entities: dict[str, dict[str, Any]] = {}
        self._articles: dict[str, dict[str, Any]] = {}
        self._sentences: dict[str, list[dict[str, Any]]] = {}
        self._mentions: dict[str, list[tuple[str, str]]] = {}
        self._relations: dict[str, list[_Relationship]] = {}  # key -> relationships with it
        self._symmetric = {name: rule.symmetric for name, rule in relation_rules().items()}

    def add(self, graph: ArticleGraph) -> None:
        """Add one article; an entity whose type clashes with the graph's is an
        InvalidDocument, raised before anything of the article is taken in."""
        article_id = graph.article.id
        incoming = entity_rows([graph])
        clashes = [
            f"entity {row['id']!r} is a {self._entities[row['id']]['type']} in the graph, "
            f"not a {row['type']}"
            for row in incoming
            if row["id"] in self._entities and self._entities[row["id"]]["type"] != row["type"]
        ]
        if clashes:
            raise InvalidDocument(article_id, clashes)
        keys = sorted({r.key for r in graph.relations})
        previous = self._articles.get(article_id)
        if previous is not None:
            self._retract(article_id, previous["relation_keys"], set(keys))
        self._articles[article_id] = _stored(
            {**article_metadata(graph.article), "text": graph.article.text, "relation_keys": keys}
        )
        sentences = [_stored(row) for row in sentence_rows(graph)]
        self._sentences[article_id] = sentences
        for row in incoming:
            self._add_entity(row)
        for relation in graph.relations:
            self._add_relation(relation_row(article_id, relation), relation.type)
        present = {row["id"] for row in sentences}
        self._mentions[article_id] = [
            (sentence, entity)
            for index, entity in dict.fromkeys(graph.mentions)
            if (sentence := sentence_id(article_id, index)) in present and entity in self._entities
        ]

    def _add_entity(self, row: dict[str, Any]) -> None:
        stored = self._entities.get(row["id"])
        if stored is None:
            self._entities[row["id"]] = _stored({**row, "aliases": list(row["aliases"])})
            return
        stored["aliases"] = stored["aliases"] + [
            a for a in row["aliases"] if a not in stored["aliases"]
        ]
        for name in ("wikidata", "description"):
            if stored.get(name) is None and row[name] is not None:
                stored[name] = row[name]

    def _add_relation(self, row: dict[str, Any], rel_type: str) -> None:
        subject, object_ = row["subject"], row["object"]
        if subject not in self._entities or object_ not in self._entities:
            return  # the writer's MATCH of the ends finds nothing: no relation
        ends = {subject, object_}
        same = self._relations.setdefault(row["key"], [])
        for found in same:
            if found.type == rel_type and (
                (found.start, found.end) == (subject, object_)
                or (self._symmetric[rel_type] and {found.start, found.end} == ends)
            ):
                props = found.props
                for name in ("attributed_to", "topics"):
                    if row["props"][name] is not None:
                        old = props.get(name) or []
                        props[name] = old + [x for x in row["props"][name] if x not in old]
                props["sources"] = props["sources"] + [row["article"]]
                for name in _EVIDENCE:
                    props[f"evidence_{name}"] = props[f"evidence_{name}"] + row["evidence"][name]
                return
        props = _stored(row["props"])
        props["sources"] = [row["article"]]
        props.update({f"evidence_{name}": list(row["evidence"][name]) for name in _EVIDENCE})
        same.append(_Relationship(rel_type, subject, object_, props))

    def _retract(self, article_id: str, keys: list[str], restated: set[str]) -> None:
        """Take the article's evidence and source off the relations it stated before; drop a
        relation left with no source unless the article states it again."""
        for key in keys:
            rel_type = key.split("|", 1)[0]
            kept = []
            for found in self._relations.get(key, []):
                if found.type == rel_type:
                    props = found.props
                    keep = [i for i, a in enumerate(props["evidence_articles"]) if a != article_id]
                    for name in _EVIDENCE:
                        values = props[f"evidence_{name}"]
                        props[f"evidence_{name}"] = [values[i] for i in keep]
                    props["sources"] = [s for s in props["sources"] if s != article_id]
                    if not props["sources"] and key not in restated:
                        continue
                kept.append(found)
            self._relations[key] = kept

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """The graph in GraphStore.dump()'s shape (not sorted: admin_csv.write_csv groups it)."""
        nodes: list[dict[str, Any]] = [
            {"labels": sorted(("Entity", EntityType(props["type"]).value)), "props": props}
            for props in self._entities.values()
        ]
        nodes += [{"labels": ["Article"], "props": props} for props in self._articles.values()]
        relationships: list[dict[str, Any]] = []
        for article_id, sentences in self._sentences.items():
            for props in sentences:
                nodes.append({"labels": ["Sentence"], "props": props})
                relationships.append(
                    {"type": "HAS_SENTENCE", "start": article_id, "end": props["id"], "props": {}}
                )
        relationships += [
            {"type": "MENTIONS", "start": sentence, "end": entity, "props": {}}
            for mentions in self._mentions.values()
            for sentence, entity in mentions
        ]
        relationships += [
            {"type": r.type, "start": r.start, "end": r.end, "props": r.props}
            for same in self._relations.values()
            for r in same
        ]
        return {"nodes": nodes, "relationships": relationships}
