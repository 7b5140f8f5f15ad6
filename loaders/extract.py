"""extract: an Article -> the interchange document of what it says.

The curated extractor reads `data/annotations/<article id>.json`. Extraction for articles
nobody has annotated plugs in here behind the same `run(article)` interface.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from kg.domain import Article
from loaders.document import graph_to_document, read_document


class Extractor(Protocol):
    """Reads an article and returns its interchange document, or None when it has nothing."""

    name: str

    def run(self, article: Article) -> dict[str, Any] | None: ...


class CuratedExtractor:
    """The hand-made annotation of an article, when there is one."""

    name = "curated"

    def __init__(self, annotations_dir: Path) -> None:
        if not isinstance(annotations_dir, Path):
            raise TypeError(f"annotations_dir must be a Path, not {type(annotations_dir).__name__}")
        if annotations_dir.exists() and not annotations_dir.is_dir():
            raise ValueError(f"{annotations_dir} is not a folder of annotations")
        self.annotations_dir = annotations_dir

    def path_for(self, article: Article) -> Path:
        return self.annotations_dir / f"{article.id}.json"

    def run(self, article: Article) -> dict[str, Any] | None:
        path = self.path_for(article)
        if not path.is_file():
            return None
        document = read_document(path)
        # Errors about the document then name the annotation file, not only the article.
        extraction = {"extractor": self.name, "source": str(path)}
        return {**document, "extraction": {**extraction, **document.get("extraction", {})}}


def lexical_document(article: Article) -> dict[str, Any]:
    """A document with no entities or relations: the article's text and sentences alone."""
    return graph_to_document(article, (), ())


def with_extractor_name(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The document, saying which extractor made it (an extra key the format allows)."""
    return {**document, "extraction": {**document.get("extraction", {}), "extractor": name}}


def extractor_name(document: dict[str, Any], default: str) -> str:
    extraction = document.get("extraction")
    if isinstance(extraction, dict) and isinstance(extraction.get("extractor"), str):
        return str(extraction["extractor"])
    return default


class AutoExtractor:
    """The curated annotation where one exists, else the fallback (the offline rules)."""

    name = "auto"

    def __init__(self, curated: CuratedExtractor, fallback: Extractor) -> None:
        self.curated = curated
        self.fallback = fallback

    def run(self, article: Article) -> dict[str, Any] | None:
        document = self.curated.run(article)
        if document is not None:
            return with_extractor_name(document, self.curated.name)
        document = self.fallback.run(article)
        return None if document is None else with_extractor_name(document, self.fallback.name)
