"""Scoring an extractor on a corpus: a folder with `articles/` and `annotations/` of the same
names (`wire.txt` and `wire.json`), as under tests/corpus/dev and tests/corpus/heldout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg.errors import InvalidArticle
from loaders.document import read_document
from loaders.evaluate import Evaluation, Scores, evaluate
from loaders.extract import Extractor
from loaders.parse import read_article


@dataclass(frozen=True)
class CorpusScore:
    """Each article's evaluation, and the totals over all of them (micro-averaged)."""

    articles: dict[str, Evaluation]

    def total(self, part: str) -> Scores:
        scores = [getattr(e, part) for e in self.articles.values()]
        return Scores(
            sum(s.true_positives for s in scores),
            sum(s.false_positives for s in scores),
            sum(s.false_negatives for s in scores),
        )


def corpus_pairs(folder: Path) -> list[tuple[Path, Path]]:
    """(article, annotation) pairs of a corpus folder, sorted by name. An annotation is named
    after the article file (`wire.txt`, `wire.json`) or after the article's id, as in data/."""
    annotations = folder / "annotations"
    pairs = []
    for article in sorted((folder / "articles").iterdir()):
        by_name = annotations / f"{article.stem}.json"
        by_id = annotations / f"{read_article(article).id}.json"
        annotation = by_name if by_name.is_file() else by_id
        if annotation.is_file():
            pairs.append((article, annotation))
    if not pairs:
        raise InvalidArticle(f"{folder}: no article in articles/ has an annotation in annotations/")
    return pairs


def score_corpus(folder: Path, extractor: Extractor) -> CorpusScore:
    """Run the extractor on every annotated article of the folder and score it."""
    results = {}
    for article_path, annotation_path in corpus_pairs(folder):
        article = read_article(article_path)
        predicted = extractor.run(article) or {"entities": [], "relations": []}
        results[article_path.name] = evaluate(predicted, read_document(annotation_path))
    return CorpusScore(results)
