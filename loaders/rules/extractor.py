"""RulesExtractor: the offline extractor. Same interface as the curated one."""

from __future__ import annotations

from datetime import date
from typing import Any

from kg.domain import Article, article_metadata, entity_record
from loaders.gazetteer import Gazetteer
from loaders.rules.mentions import EntityTable, find_mentions
from loaders.rules.relations import SentenceContext, sentence_relations


def _published_day(article: Article) -> date | None:
    try:
        return date.fromisoformat((article.published or "")[:10])
    except ValueError:
        return None


class RulesExtractor:
    """Entities from the gazetteer and naming patterns; relations from sentence patterns."""

    name = "rules"

    def __init__(self, gazetteer: Gazetteer) -> None:
        if not isinstance(gazetteer, Gazetteer):
            raise TypeError(f"gazetteer must be a Gazetteer, not {type(gazetteer).__name__}")
        self.gazetteer = gazetteer

    def run(self, article: Article) -> dict[str, Any]:
        """The interchange document of what the article states, every relation with evidence."""
        table = EntityTable(self.gazetteer)
        mentions = find_mentions(article.sentences, article.text, table)
        published = _published_day(article)
        relations: list[dict[str, Any]] = []
        for sentence in article.sentences:
            context = SentenceContext(sentence, mentions[sentence.index], table)
            relations.extend(sentence_relations(context, published))
        used = {r[k] for r in relations for k in ("subject", "object")}
        used |= {r["place"] for r in relations if r["place"]}
        used |= {a for r in relations for a in r["attributed_to"]}
        for entity_id in used:
            table.ensure(entity_id)
        return {
            "article": article_metadata(article),
            "entities": [entity_record(e) for e in table.entities.values() if e.id in used],
            "relations": _unique(relations),
            "extraction": {"extractor": self.name},
        }


def _unique(relations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for relation in relations:
        key = (
            relation["type"],
            relation["subject"],
            relation["object"],
            relation["evidence"]["start"],
        )
        if key not in seen:
            seen.add(key)
            kept.append(relation)
    return kept
