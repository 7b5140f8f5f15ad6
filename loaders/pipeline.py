"""The article pipeline: parse -> extract -> resolve -> write, one typed stage each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.domain import ArticleGraph, WriteSummary
from kg.errors import InvalidArticle, InvalidDocument
from kg.store import GraphStore
from loaders.document import document_to_graph
from loaders.extract import Extractor, extractor_name, lexical_document
from loaders.parse import parse_article
from loaders.resolve import resolve_article_graph

ARTICLE_SUFFIXES = (".txt", ".json", ".md")


@dataclass(frozen=True)
class LoadedArticle:
    """What loading one article did, and which extractor supplied its facts."""

    path: str
    extractor: str
    summary: WriteSummary


def build_article_graph(
    raw: bytes, name: str, extractor: Extractor, document: dict[str, Any] | None = None
) -> tuple[ArticleGraph, str]:
    """parse, extract (unless a document is given), resolve: the graph to write, nothing written."""
    article = parse_article(raw, name)
    used = "given"
    if document is None:
        document = extractor.run(article)
        used = extractor_name(document, extractor.name) if document is not None else "none"
    if document is None:
        document, used = lexical_document(article), "none"
    extraction = document.get("extraction")
    source = extraction.get("source") if isinstance(extraction, dict) else None
    label = f"{source} (the annotation of {name})" if source else f"{name} (document)"
    entities, relations = document_to_graph(document, article, label)
    return resolve_article_graph(article, entities, relations), used


async def load_article(
    store: GraphStore,
    raw: bytes,
    name: str,
    extractor: Extractor,
    document: dict[str, Any] | None = None,
) -> LoadedArticle:
    """Run the whole pipeline for one article; the write is one transaction."""
    graph, used = build_article_graph(raw, name, extractor, document)
    summary = await store.write_article_graph(graph)
    return LoadedArticle(name, used, summary)


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'AEIOU' else 'a'} {word}"


def check_entity_types(
    graphs: list[tuple[str, ArticleGraph]], stored: dict[str, str] | None = None
) -> None:
    """Every entity id keeps one type: across the articles of a batch, and against the graph
    (`stored`: id -> type). Raises InvalidDocument naming the files, before anything is written."""
    seen: dict[str, tuple[str, str]] = {
        entity_id: (kind, "the graph") for entity_id, kind in (stored or {}).items()
    }
    problems = []
    for name, graph in graphs:
        for entity in graph.entities:
            kind, where = seen.setdefault(entity.id, (entity.type, name))
            if kind != entity.type:
                problems.append(
                    f"{name}: entity {entity.id!r} is {_a(entity.type)} here "
                    f"but {_a(kind)} in {where}"
                )
    if problems:
        raise InvalidDocument("entity types", problems)


def article_files(paths: list[Path]) -> list[Path]:
    """The article files named, folders expanded (sorted); a missing path is an error."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in ARTICLE_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidArticle(f"{path}: no such file or folder")
    return files
