"""The interchange document (schema/article-graph.schema.json): read, validate, check against
its article, and turn into domain objects. Every problem is collected, so one error lists all.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from kg.domain import (
    Article,
    Entity,
    Evidence,
    Relation,
    article_metadata,
    entity_record,
    relation_qualifiers,
)
from kg.errors import InvalidDocument
from kg.ontology import relation_rules
from kg.resources import schema_file


@cache
def _validator() -> Draft202012Validator:
    with schema_file("article-graph.schema.json").open(encoding="utf-8") as fh:
        return Draft202012Validator(json.load(fh))


def read_document(path: Path) -> dict[str, Any]:
    """Load an interchange document from a file; not JSON is an InvalidDocument naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise InvalidDocument(str(path), [f"cannot read it as JSON: {exc}"]) from exc
    except RecursionError as exc:
        raise InvalidDocument(str(path), ["cannot read it as JSON: nested too deeply"]) from exc
    if not isinstance(data, dict):
        raise InvalidDocument(str(path), ["the document must be a JSON object"])
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# The schema's own patterns: they accept "x\n" when searched, as JSON Schema does.
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?(/[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?$")


def _whole_patterns(doc: dict[str, Any]) -> list[str]:
    """JSON Schema patterns search, and "$" lets a trailing newline through: catch those."""
    problems = []
    for i, entity in enumerate(doc.get("entities") or ()):
        entity_id = entity.get("id") if isinstance(entity, dict) else None
        if isinstance(entity_id, str) and _ID.search(entity_id) and not _ID.fullmatch(entity_id):
            problems.append(f"entities/{i}/id: {entity['id']!r} does not match: not a slug")
    for i, relation in enumerate(doc.get("relations") or ()):
        if isinstance(relation, dict) and isinstance(relation.get("date"), str):
            date = relation["date"]
            if _DATE.search(date) and not _DATE.fullmatch(date):
                problems.append(f"relations/{i}/date: {date!r} does not match: not an ISO date")
    return problems


def _text_problems(value: Any, where: str) -> list[str]:
    """Strings that cannot be stored (unpaired surrogates) and numbers that are no numbers."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return [f"{where}: holds an unpaired surrogate, not text"]
        return []
    if isinstance(value, float) and value != value:  # NaN, from a document built in Python
        return [f"{where}: NaN is not a number"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _text_problems(v, f"{where}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _text_problems(v, f"{where}/{i}")]
    return []


def schema_problems(doc: dict[str, Any]) -> list[str]:
    """Where the document breaks the interchange JSON schema, as readable lines."""
    problems = [p.removeprefix("/") for p in _text_problems(doc, "")]
    for error in sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        problems.append(f"{where}: {error.message}")
    return problems + _whole_patterns(doc)


def _entities(doc: dict[str, Any], problems: list[str]) -> dict[str, Entity]:
    entities: dict[str, Entity] = {}
    for i, raw in enumerate(doc["entities"]):
        entity = Entity(
            id=raw["id"],
            type=raw["type"],
            name=raw["name"],
            aliases=tuple(dict.fromkeys(raw.get("aliases") or ())),
            wikidata=raw.get("wikidata"),
            description=raw.get("description"),
        )
        seen = entities.get(entity.id)
        if seen is not None and seen.type != entity.type:
            problems.append(
                f"entities/{i}: id {entity.id!r} is declared twice, "
                f"as {seen.type} and {entity.type}"
            )
        elif seen is not None:
            aliases = tuple(dict.fromkeys(seen.aliases + entity.aliases))
            entities[entity.id] = Entity(
                seen.id,
                seen.type,
                seen.name,
                aliases,
                seen.wikidata or entity.wikidata,
                seen.description or entity.description,
            )
        else:
            entities[entity.id] = entity
    return entities


def _evidence(raw: dict[str, Any], article: Article, where: str, problems: list[str]) -> Evidence:
    text, start, end = raw["text"], raw.get("start"), raw.get("end")
    # JSON Schema counts 0.0 as an integer; slicing does not.
    if any(v is not None and type(v) is not int for v in (start, end)):
        problems.append(f"{where}/evidence: offsets must be whole numbers, not {start!r}..{end!r}")
        return Evidence(text)
    if start is None or end is None:
        found = article.text.find(text)  # offsets are optional in the format: locate the words
        if found < 0:
            problems.append(f"{where}/evidence: the text does not occur in the article: {text!r}")
            return Evidence(text)
        start, end = found, found + len(text)
    elif not 0 <= start <= end <= len(article.text):
        problems.append(
            f"{where}/evidence: offsets {start}..{end} are outside the article "
            f"(0..{len(article.text)})"
        )
        return Evidence(text)
    elif article.text[start:end] != text:
        problems.append(
            f"{where}/evidence: the article has {article.text[start:end]!r} at {start}..{end}, "
            f"not the evidence text {text!r}"
        )
        return Evidence(text)
    sentence = next((s.index for s in article.sentences if s.start <= start < s.end), None)
    return Evidence(text, start, end, article.id, sentence)


_PLACE_TYPES = frozenset({"Place", "Country"})


def _relation(
    i: int,
    raw: dict[str, Any],
    entities: dict[str, Entity],
    article: Article,
    problems: list[str],
) -> Relation:
    where = f"relations/{i}"
    for role in ("subject", "object", "place"):
        ref = raw.get(role)
        if ref is not None and ref not in entities:
            problems.append(f"{where}: {role} {ref!r} is not an entity of this document")
    for ref in raw.get("attributed_to") or ():
        if ref not in entities:
            problems.append(f"{where}: attributed_to {ref!r} is not an entity of this document")
    place = entities.get(raw.get("place") or "")
    if place is not None and place.type not in _PLACE_TYPES:
        problems.append(f"{where}: place {place.id!r} is a {place.type}, not a Place or Country")
    rule = relation_rules()[raw["type"]]
    subject, object_ = entities.get(raw["subject"]), entities.get(raw["object"])
    if subject and object_ and not rule.allows(subject.type, object_.type):
        problems.append(
            f"{where}: {raw['type']} cannot go from {subject.type} {subject.id!r} "
            f"to {object_.type} {object_.id!r}"
        )
    return Relation(
        type=raw["type"],
        subject=raw["subject"],
        object=raw["object"],
        status=raw["status"],
        evidence=(_evidence(raw["evidence"], article, where, problems),),
        attributed_to=tuple(dict.fromkeys(raw.get("attributed_to") or ())),
        date=raw.get("date"),
        date_text=raw.get("date_text"),
        place=raw.get("place"),
        quantity=raw.get("quantity"),
        quantity_qualifier=raw.get("quantity_qualifier"),
        topics=tuple(dict.fromkeys(raw.get("topics") or ())),
        claim=raw.get("claim"),
        as_=raw.get("as"),
        role=raw.get("role"),
        confidence=raw.get("confidence"),
        sources=(article.id,),
    )


def document_to_graph(
    doc: dict[str, Any], article: Article, source: str
) -> tuple[tuple[Entity, ...], tuple[Relation, ...]]:
    """Check a document against the schema and its article; return its entities and relations.

    Raises InvalidDocument listing every problem: schema breaks, a different article (id or
    hash), unresolved ids, disallowed subject/object types, evidence not at its offsets.
    """
    problems = schema_problems(doc)
    if problems:
        raise InvalidDocument(source, problems)
    meta = doc["article"]
    if meta["id"] != article.id:
        problems.append(f"article/id: the document is for {meta['id']!r}, not {article.id!r}")
    if meta.get("content_sha256") not in (None, article.content_sha256):
        problems.append("article/content_sha256: the article's text has changed since annotation")
    entities = _entities(doc, problems)
    relations = tuple(
        _relation(i, raw, entities, article, problems) for i, raw in enumerate(doc["relations"])
    )
    if problems:
        raise InvalidDocument(source, problems)
    return tuple(entities.values()), relations


def _relation_entries(relation: Relation) -> list[dict[str, Any]]:
    base: dict[str, Any] = {
        "type": relation.type,
        "subject": relation.subject,
        "object": relation.object,
        **relation_qualifiers(relation),
    }
    # The format carries one piece of evidence per entry: one entry per piece, same identity.
    return [
        {**base, "evidence": {"text": e.text, "start": e.start, "end": e.end}}
        for e in relation.evidence
    ]


def graph_to_document(
    article: Article, entities: tuple[Entity, ...], relations: tuple[Relation, ...]
) -> dict[str, Any]:
    """The interchange document of an article's entities and relations."""
    return {
        "article": article_metadata(article),
        "entities": [entity_record(e) for e in entities],
        "relations": [entry for r in relations for entry in _relation_entries(r)],
    }
