"""Score an extractor's interchange document against a curated (gold) one.

Entities match on (id, type). Relations match on (type, subject, object), the pair unordered
for symmetric types (ontology.json); entries sharing a triple (several pieces of evidence,
several dates) count once. On the matched triples, status and date are compared as the *set*
of values over the triple's entries, so a triple whose entries disagree must disagree the
same way in both documents to count as right; a null date equals a null date.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InvalidDocument
from kg.ontology import relation_rules
from loaders.document import read_document, schema_problems

Triple = tuple[str, str, str]


@dataclass(frozen=True)
class Scores:
    """Counts of one kind of item, and the precision, recall and F1 they give.

    With nothing predicted, precision is 1.0 when the gold is empty too, else 0.0; with an empty
    gold, recall is 1.0 when nothing was predicted, else 0.0. F1 is 0.0 when both are 0.0.
    """

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        if predicted == 0:
            return 1.0 if self.false_negatives == 0 else 0.0
        return self.true_positives / predicted

    @property
    def recall(self) -> float:
        gold = self.true_positives + self.false_negatives
        if gold == 0:
            return 1.0 if self.false_positives == 0 else 0.0
        return self.true_positives / gold

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.true_positives,
            "fp": self.false_positives,
            "fn": self.false_negatives,
        }


@dataclass(frozen=True)
class Evaluation:
    """The scores of a predicted document; accuracies are None when no relation matched."""

    entities: Scores
    relations: Scores
    status_accuracy: float | None
    date_accuracy: float | None
    matched: int
    missing: list[str]
    spurious: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "entities": self.entities.as_dict(),
            "relations": self.relations.as_dict(),
            "status_accuracy": self.status_accuracy,
            "date_accuracy": self.date_accuracy,
            "matched": self.matched,
            "missing": list(self.missing),
            "spurious": list(self.spurious),
        }


@dataclass
class _Facts:
    """The entries of one triple in one document."""

    shown: str  # "TYPE subject -> object" as first written
    statuses: set[str]
    dates: set[str | None]


def _key(raw: dict[str, Any]) -> Triple:
    kind, subject, object_ = raw["type"], raw["subject"], raw["object"]
    rule = relation_rules().get(kind)
    if rule is not None and rule.symmetric and object_ < subject:
        subject, object_ = object_, subject
    return kind, subject, object_


def _triples(doc: dict[str, Any]) -> dict[Triple, _Facts]:
    triples: dict[Triple, _Facts] = {}
    for raw in doc.get("relations") or ():
        key = _key(raw)
        shown = f"{raw['type']} {raw['subject']} -> {raw['object']}"
        facts = triples.setdefault(key, _Facts(shown, set(), set()))
        facts.statuses.add(raw["status"])
        facts.dates.add(raw.get("date"))
    return triples


def _scores(predicted: set[Any], gold: set[Any]) -> Scores:
    return Scores(len(predicted & gold), len(predicted - gold), len(gold - predicted))


def evaluate(predicted: dict[str, Any], gold: dict[str, Any]) -> Evaluation:
    """Score `predicted` against `gold`; both are schema-valid interchange documents."""
    entities = _scores(
        {(e["id"], e["type"]) for e in predicted.get("entities") or ()},
        {(e["id"], e["type"]) for e in gold.get("entities") or ()},
    )
    ours, theirs = _triples(predicted), _triples(gold)
    matched = ours.keys() & theirs.keys()
    same_status = sum(ours[k].statuses == theirs[k].statuses for k in matched)
    same_date = sum(ours[k].dates == theirs[k].dates for k in matched)
    return Evaluation(
        entities=entities,
        relations=_scores(set(ours), set(theirs)),
        status_accuracy=same_status / len(matched) if matched else None,
        date_accuracy=same_date / len(matched) if matched else None,
        matched=len(matched),
        missing=sorted(theirs[k].shown for k in theirs.keys() - ours.keys()),
        spurious=sorted(ours[k].shown for k in ours.keys() - theirs.keys()),
    )


def _valid(path: Path) -> dict[str, Any]:
    doc = read_document(path)
    problems = schema_problems(doc)
    if problems:
        raise InvalidDocument(str(path), problems)
    return doc


def evaluate_files(predicted_path: Path, gold_path: Path) -> Evaluation:
    """Read, validate and score two documents; they must be about the same article."""
    predicted, gold = _valid(predicted_path), _valid(gold_path)
    ours, theirs = predicted["article"]["id"], gold["article"]["id"]
    if ours != theirs:
        raise InvalidDocument(
            str(predicted_path),
            [f"article/id: the document is for {ours!r}, the gold {gold_path} for {theirs!r}"],
        )
    return evaluate(predicted, gold)
