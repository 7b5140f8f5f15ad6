"""Neo4j values -> domain objects. Only the store uses these; callers never see records.

The values here come from the graph kg wrote, so the objects are made by filling their
fields at once (kg.domain.filled), not through the frozen dataclasses' `__init__`: that was
about a third of turning a 100-relation answer into domain objects (docs/performance.md,
seventh round).
"""

from __future__ import annotations

from typing import Any

from kg.domain import Article, Entity, Evidence, Relation, Sentence, filled


def entity_from(props: dict[str, Any]) -> Entity:
    get = props.get
    return filled(
        Entity,
        {
            "id": props["id"],
            "type": props["type"],
            "name": props["name"],
            "aliases": tuple(get("aliases") or ()),
            "wikidata": get("wikidata"),
            "description": get("description"),
        },
    )


def _evidence(props: dict[str, Any]) -> tuple[Evidence, ...]:
    texts = props.get("evidence_texts")
    if not texts:
        return ()
    # A read projects only the evidence lists asked for (kg.store.filters.Projection): the
    # others are absent, and their items None. A loop by index, not a generator over zip():
    # this is half the cost, for a relation's one or two sentences.
    get = props.get
    starts, ends = get("evidence_starts"), get("evidence_ends")
    articles, sentences = get("evidence_articles"), get("evidence_sentences")
    for found in (starts, ends, articles, sentences):
        if found is not None and len(found) != len(texts):
            raise ValueError(f"a relation's evidence lists differ in length: {get('key')}")
    made = []
    for i, text in enumerate(texts):
        fields = {
            "text": text,
            "start": starts[i] if starts is not None else None,
            "end": ends[i] if ends is not None else None,
            "article_id": articles[i] if articles is not None else None,
            "sentence_index": sentences[i] if sentences is not None else None,
        }
        made.append(filled(Evidence, fields))
    return tuple(made)


def relation_from(rel_type: str, subject: str, object_: str, props: dict[str, Any]) -> Relation:
    get = props.get
    return filled(
        Relation,
        {
            "type": rel_type,
            "subject": subject,
            "object": object_,
            "status": props["status"],
            "evidence": _evidence(props),
            "attributed_to": tuple(get("attributed_to") or ()),
            "date": get("date"),
            "date_text": get("date_text"),
            "place": get("place"),
            "quantity": get("quantity"),
            "quantity_qualifier": get("quantity_qualifier"),
            "topics": tuple(get("topics") or ()),
            "claim": get("claim"),
            "as_": get("as"),
            "role": get("role"),
            "confidence": get("confidence"),
            "sources": tuple(get("sources") or ()),
            "key": get("key", ""),  # read only when asked for (kg.store.filters)
        },
    )


def sentence_from(props: dict[str, Any]) -> Sentence:
    return Sentence(
        index=props["index"],
        text=props["text"],
        start=props["start"],
        end=props["end"],
        boilerplate=bool(props.get("boilerplate")),
    )


def article_from(props: dict[str, Any], sentences: tuple[Sentence, ...] = ()) -> Article:
    return Article(
        id=props["id"],
        title=props["title"],
        text=props.get("text") or "",
        content_sha256=props.get("content_sha256") or "",
        sentences=sentences,
        source=props.get("source"),
        published=props.get("published"),
        updated=props.get("updated"),
        url=props.get("url"),
    )
