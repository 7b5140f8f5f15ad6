"""Read kg's JSON Lines export (kg.store.export) back into the graph: `kg import`.

Each line is an interchange document whose `article` carries its stored text and sentences,
and which lists its `mentions`; it is checked like any document against its article, so a line
edited by hand or written by another tool gets the same clear errors as a new article. Every
line is checked before anything is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from kg.domain import Article, ArticleGraph, Sentence, WriteSummary
from kg.errors import InvalidDocument
from kg.store import GraphStore, article_batches
from loaders.document import document_to_graph
from loaders.parse import parse_json_article
from loaders.pipeline import check_entity_types
from loaders.resolve import resolve_article_graph


def read_lines(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(name, document) of every non-blank line of a JSON Lines file; names are `path:line`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidDocument(str(path), [f"cannot read it: {exc}"]) from exc
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name = f"{path}:{number}"
        try:
            document = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InvalidDocument(name, [f"not a JSON document: {exc}"]) from exc
        if not isinstance(document, dict) or not isinstance(document.get("article"), dict):
            raise InvalidDocument(name, ["a line must be a JSON object with an 'article'"])
        found.append((name, document))
    return found


def _exported_article(meta: dict[str, Any], name: str) -> Article:
    """The article as exported: its text and its sentences as they were, not re-split."""
    text, problems = meta.get("text"), []
    if not isinstance(text, str) or not text:
        raise InvalidDocument(name, ["article/text: the line carries no article text"])
    raw_sentences = meta.get("sentences")
    if not isinstance(raw_sentences, list):
        raise InvalidDocument(name, ["article/sentences: the line carries no sentences"])
    sentences = []
    for i, raw in enumerate(raw_sentences):
        fields = raw if isinstance(raw, dict) else {}
        start, end = fields.get("start"), fields.get("end")
        if (
            fields.get("index") != i
            or type(start) is not int
            or type(end) is not int
            or not 0 <= start <= end <= len(text)
            or not isinstance(fields.get("boilerplate", False), bool)
        ):
            problems.append(f"article/sentences/{i}: not a sentence of the text: {raw!r}")
            continue
        sentences.append(Sentence(i, text[start:end], start, end, fields.get("boilerplate", False)))
    for key in ("id", "title"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            problems.append(f"article/{key}: missing")
    if problems:
        raise InvalidDocument(name, problems)
    return Article(
        id=meta["id"],
        title=meta["title"],
        text=text,
        content_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        sentences=tuple(sentences),
        source=meta.get("source"),
        published=meta.get("published"),
        updated=meta.get("updated"),
        url=meta.get("url"),
    )


def _mentions(
    document: dict[str, Any], graph: ArticleGraph, name: str
) -> tuple[tuple[int, str], ...]:
    raw, problems = document["mentions"], []
    entity_ids = {e.id for e in graph.entities}
    pairs: set[tuple[int, str]] = set()
    for i, pair in enumerate(raw if isinstance(raw, list) else [raw]):
        if (
            isinstance(pair, list)
            and len(pair) == 2
            and type(pair[0]) is int
            and 0 <= pair[0] < len(graph.article.sentences)
            and pair[1] in entity_ids
        ):
            pairs.add((pair[0], pair[1]))
        else:
            problems.append(f"mentions/{i}: not a [sentence index, entity id] of this document")
    if problems:
        raise InvalidDocument(name, problems)
    return tuple(sorted(pairs))


def line_graph(document: dict[str, Any], name: str) -> ArticleGraph:
    """The graph one exported line describes, checked like any document against its article.

    A line without `sentences` (written by another tool) is parsed as a JSON article
    {title, source, published, updated, url, text}; without `mentions`, they are found as on load.
    """
    meta = document["article"]
    if "sentences" in meta:
        article = _exported_article(meta, name)
    else:
        fields = ("title", "source", "published", "updated", "url", "text")
        raw = json.dumps({k: meta.get(k) for k in fields}, ensure_ascii=False).encode("utf-8")
        article = parse_json_article(raw, name)
    entities, relations = document_to_graph(document, article, name)
    graph = resolve_article_graph(article, entities, relations)
    if "mentions" in document:
        graph = replace(graph, mentions=_mentions(document, graph, name))
    return graph


async def import_lines(
    store: GraphStore, lines: Sequence[tuple[str, dict[str, Any]]], batch_size: int = 100
) -> list[WriteSummary]:
    """Check every line first, then write the articles in file order, `batch_size` to a
    transaction."""
    graphs = [(name, line_graph(document, name)) for name, document in lines]
    check_entity_types(graphs)
    await store.apply_schema()
    ids = sorted({e.id for _, graph in graphs for e in graph.entities})
    stored = {entity_id: e.type for entity_id, e in (await store.entities(ids)).items()}
    check_entity_types(graphs, stored)
    summaries: list[WriteSummary] = []
    for batch in article_batches(graphs, batch_size, key=lambda item: item[1].article.id):
        summaries += await store.write_article_graphs([graph for _, graph in batch])
    return summaries
