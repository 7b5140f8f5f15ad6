"""resolve: entities and relations of one article -> an ArticleGraph ready to write.

Relations with the same identity (type, subject, object, date; a symmetric pair unordered) are
merged into one with all their evidence; each relation gets its key; and the mentions are worked
out: a sentence mentions every entity whose name or alias it contains, and every entity of a
relation it is evidence for (it refers to them, if only as "the two countries").
"""

from __future__ import annotations

import re
from dataclasses import replace

from kg.domain import Article, ArticleGraph, Entity, Relation, relation_key
from kg.ontology import relation_rules

_MIN_ALIAS_LENGTH = 3  # shorter aliases ("US" aside) match too much by accident


def _merge(first: Relation, other: Relation) -> Relation:
    def union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a + b))

    evidence = first.evidence + tuple(e for e in other.evidence if e not in first.evidence)
    return replace(
        first,
        evidence=evidence,
        attributed_to=union(first.attributed_to, other.attributed_to),
        topics=union(first.topics, other.topics),
    )


def merge_relations(relations: tuple[Relation, ...]) -> tuple[Relation, ...]:
    """Key every relation and fold duplicates into the first, keeping every piece of evidence."""
    merged: dict[str, Relation] = {}
    rules = relation_rules()
    for relation in relations:
        key = relation_key(
            relation.type,
            relation.subject,
            relation.object,
            relation.date,
            rules[relation.type].symmetric,
        )
        keyed = replace(relation, key=key)
        merged[key] = _merge(merged[key], keyed) if key in merged else keyed
    return tuple(merged.values())


def _name_pattern(entity: Entity) -> re.Pattern[str] | None:
    names = sorted(
        {n for n in (entity.name, *entity.aliases) if len(n) >= _MIN_ALIAS_LENGTH or n.isupper()},
        key=len,
        reverse=True,
    )
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def find_mentions(
    article: Article, entities: tuple[Entity, ...], relations: tuple[Relation, ...]
) -> tuple[tuple[int, str], ...]:
    """(sentence index, entity id) for every sentence that names or refers to an entity."""
    found: set[tuple[int, str]] = set()
    patterns = [(e.id, p) for e in entities if (p := _name_pattern(e)) is not None]
    for sentence in article.sentences:
        for entity_id, pattern in patterns:
            if pattern.search(sentence.text):
                found.add((sentence.index, entity_id))
    for relation in relations:
        involved = {relation.subject, relation.object, *relation.attributed_to}
        if relation.place:
            involved.add(relation.place)
        for evidence in relation.evidence:
            if evidence.sentence_index is not None:
                found.update((evidence.sentence_index, entity_id) for entity_id in involved)
    return tuple(sorted(found))


def resolve_article_graph(
    article: Article, entities: tuple[Entity, ...], relations: tuple[Relation, ...]
) -> ArticleGraph:
    """The article's graph: merged, keyed relations and the sentence-to-entity mentions."""
    merged = merge_relations(relations)
    return ArticleGraph(
        article=article,
        entities=entities,
        relations=merged,
        mentions=find_mentions(article, entities, merged),
    )
