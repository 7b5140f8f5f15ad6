"""Neo4j values -> domain objects. Only the store uses these; callers never see records."""

from __future__ import annotations

from typing import Any

from kg.domain import Article, Entity, Evidence, Relation, Sentence


def entity_from(props: dict[str, Any]) -> Entity:
    return Entity(
        id=props["id"],
        type=props["type"],
        name=props["name"],
        aliases=tuple(props.get("aliases") or ()),
        wikidata=props.get("wikidata"),
        description=props.get("description"),
    )


def relation_from(rel_type: str, subject: str, object_: str, props: dict[str, Any]) -> Relation:
    texts = props.get("evidence_texts") or ()
    # A read projects only the evidence lists asked for (kg.store.filters.Projection): the
    # others are absent, and their items None.
    unread = (None,) * len(texts)
    evidence = tuple(
        Evidence(text=text, start=start, end=end, article_id=article, sentence_index=sentence)
        for article, sentence, text, start, end in zip(
            props.get("evidence_articles") or unread,
            props.get("evidence_sentences") or unread,
            texts,
            props.get("evidence_starts") or unread,
            props.get("evidence_ends") or unread,
            strict=True,
        )
    )
    return Relation(
        type=rel_type,
        subject=subject,
        object=object_,
        status=props["status"],
        evidence=evidence,
        attributed_to=tuple(props.get("attributed_to") or ()),
        date=props.get("date"),
        date_text=props.get("date_text"),
        place=props.get("place"),
        quantity=props.get("quantity"),
        quantity_qualifier=props.get("quantity_qualifier"),
        topics=tuple(props.get("topics") or ()),
        claim=props.get("claim"),
        as_=props.get("as"),
        role=props.get("role"),
        confidence=props.get("confidence"),
        sources=tuple(props.get("sources") or ()),
        key=props["key"],
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
