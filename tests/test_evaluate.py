"""Scoring an extractor's document against the curated one: pure functions and `kg eval`.

None of these tests touches Neo4j.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kg.errors import InvalidDocument
from loaders.document import read_document
from loaders.evaluate import Scores, evaluate, evaluate_files

ROOT = Path(__file__).resolve().parent.parent
SEED_ID = "2024-11-19-kim-jong-un-meets-with-russias-natural-resources-minister-in-pyongyang"
GOLD = ROOT / "data" / "annotations" / f"{SEED_ID}.json"
TRIPLES = 35  # 38 entries: MET_WITH, COOPERATES_WITH and one SUPPORTS are written twice

Doc = dict[str, Any]


@pytest.fixture
def gold() -> Doc:
    return read_document(GOLD)


def _copy(doc: Doc) -> Doc:
    return copy.deepcopy(doc)


def _entries(doc: Doc, kind: str, subject: str, object_: str) -> list[Doc]:
    return [
        r
        for r in doc["relations"]
        if (r["type"], r["subject"], r["object"]) == (kind, subject, object_)
    ]


def _write(path: Path, doc: Doc) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_the_seed_has_the_expected_shape(gold: Doc) -> None:
    assert len(gold["entities"]) == 22
    assert len(gold["relations"]) == 38


def test_gold_against_itself_scores_one_everywhere(gold: Doc) -> None:
    result = evaluate(gold, gold)
    for scores in (result.entities, result.relations):
        assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)
        assert scores.false_positives == scores.false_negatives == 0
    assert result.entities.true_positives == 22
    assert result.relations.true_positives == TRIPLES
    assert result.matched == TRIPLES
    assert result.status_accuracy == 1.0
    assert result.date_accuracy == 1.0
    assert result.missing == []
    assert result.spurious == []


def test_dropping_one_relation_lowers_recall_only(gold: Doc) -> None:
    predicted = _copy(gold)
    dropped = ("MET_WITH", "alexander-kozlov", "kim-jong-un")
    predicted["relations"] = [
        r for r in predicted["relations"] if (r["type"], r["subject"], r["object"]) != dropped
    ]
    assert len(predicted["relations"]) == 36  # both of its entries are gone
    result = evaluate(predicted, gold)
    assert result.relations.recall == 34 / 35
    assert result.relations.precision == 1.0
    assert result.relations.false_negatives == 1
    assert result.missing == ["MET_WITH alexander-kozlov -> kim-jong-un"]
    assert result.spurious == []


def test_a_symmetric_relation_matches_either_way(gold: Doc) -> None:
    predicted = _copy(gold)
    for kind, subject, object_ in (
        ("MET_WITH", "alexander-kozlov", "kim-jong-un"),
        ("COOPERATES_WITH", "russia", "north-korea"),
    ):
        for entry in _entries(predicted, kind, subject, object_):
            entry["subject"], entry["object"] = object_, subject
    result = evaluate(predicted, gold)
    assert result.relations == Scores(TRIPLES, 0, 0)
    assert result.status_accuracy == result.date_accuracy == 1.0


def test_a_directed_relation_reversed_does_not_match(gold: Doc) -> None:
    predicted = _copy(gold)
    (entry,) = _entries(predicted, "LEADER_OF", "kim-jong-un", "north-korea")
    entry["subject"], entry["object"] = "north-korea", "kim-jong-un"
    result = evaluate(predicted, gold)
    assert result.relations == Scores(TRIPLES - 1, 1, 1)
    assert result.missing == ["LEADER_OF kim-jong-un -> north-korea"]
    assert result.spurious == ["LEADER_OF north-korea -> kim-jong-un"]


def test_a_changed_status_lowers_status_accuracy_by_one(gold: Doc) -> None:
    predicted = _copy(gold)
    (entry,) = _entries(predicted, "DEPLOYED_TROOPS_TO", "north-korea", "russia")
    entry["status"] = "reported"
    result = evaluate(predicted, gold)
    assert result.relations == Scores(TRIPLES, 0, 0)
    assert result.status_accuracy == (TRIPLES - 1) / TRIPLES
    assert result.date_accuracy == 1.0


def test_a_changed_date_lowers_date_accuracy_and_null_equals_null(gold: Doc) -> None:
    predicted = _copy(gold)
    (entry,) = _entries(predicted, "LEADER_OF", "kim-jong-un", "north-korea")
    entry["date"] = "2024"
    result = evaluate(predicted, gold)
    assert result.date_accuracy == (TRIPLES - 1) / TRIPLES
    assert result.status_accuracy == 1.0


def test_duplicates_do_not_inflate_the_counts(gold: Doc) -> None:
    predicted = _copy(gold)
    predicted["relations"] = predicted["relations"] * 3
    predicted["entities"] = predicted["entities"] * 2
    extra = _entries(predicted, "TESTED", "north-korea", "north-korean-ballistic-missiles")[0]
    predicted["relations"].append({**extra, "type": "SANCTIONED"})
    predicted["relations"].append({**extra, "type": "SANCTIONED"})
    result = evaluate(predicted, gold)
    assert result.entities == Scores(22, 0, 0)
    assert result.relations == Scores(TRIPLES, 1, 0)
    assert result.spurious == ["SANCTIONED north-korea -> north-korean-ballistic-missiles"]
    assert result.status_accuracy == result.date_accuracy == 1.0


def test_an_entity_with_another_type_is_both_spurious_and_missing(gold: Doc) -> None:
    predicted = _copy(gold)
    person = next(e for e in predicted["entities"] if e["id"] == "kim-jong-un")
    person["type"] = "Organization"
    assert evaluate(predicted, gold).entities == Scores(21, 1, 1)


@pytest.mark.parametrize(
    ("scores", "precision", "recall", "f1"),
    [
        (Scores(0, 0, 0), 1.0, 1.0, 1.0),
        (Scores(0, 0, 3), 0.0, 0.0, 0.0),
        (Scores(0, 2, 0), 0.0, 0.0, 0.0),
        (Scores(1, 1, 2), 0.5, 1 / 3, 0.4),
    ],
)
def test_scores_define_the_empty_cases(
    scores: Scores, precision: float, recall: float, f1: float
) -> None:
    assert scores.precision == pytest.approx(precision)
    assert scores.recall == pytest.approx(recall)
    assert scores.f1 == pytest.approx(f1)


def test_nothing_matched_leaves_the_accuracies_undefined(gold: Doc) -> None:
    predicted = {**_copy(gold), "relations": []}
    result = evaluate(predicted, gold)
    assert result.relations == Scores(0, 0, TRIPLES)
    assert result.status_accuracy is None
    assert result.date_accuracy is None


def test_documents_for_different_articles_are_refused(gold: Doc, tmp_path: Path) -> None:
    other = _copy(gold)
    other["article"]["id"] = "some-other-article"
    predicted = _write(tmp_path / "predicted.json", other)
    with pytest.raises(InvalidDocument) as caught:
        evaluate_files(predicted, GOLD)
    assert caught.value.source == str(predicted)
    assert "some-other-article" in str(caught.value)


def test_an_invalid_document_is_refused_naming_it(gold: Doc, tmp_path: Path) -> None:
    broken = _copy(gold)
    broken["relations"][0]["status"] = "rumoured"
    predicted = _write(tmp_path / "predicted.json", broken)
    with pytest.raises(InvalidDocument) as caught:
        evaluate_files(predicted, GOLD)
    assert caught.value.source == str(predicted)
    assert any("relations/0/status" in p for p in caught.value.problems)


def kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kg", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_cli_prints_the_scores_as_json(gold: Doc, tmp_path: Path) -> None:
    predicted = _copy(gold)
    (entry,) = _entries(predicted, "LEADER_OF", "kim-jong-un", "north-korea")
    entry["subject"], entry["object"] = "north-korea", "kim-jong-un"
    p = _write(tmp_path / "predicted.json", predicted)
    g = _write(tmp_path / "gold.json", gold)
    result = kg("eval", str(p), str(g), "--format", "json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["entities"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "tp": 22,
        "fp": 0,
        "fn": 0,
    }
    assert scores["relations"]["tp"] == TRIPLES - 1
    assert (scores["relations"]["fp"], scores["relations"]["fn"]) == (1, 1)
    assert scores["relations"]["precision"] == pytest.approx(34 / 35)
    assert scores["relations"]["recall"] == pytest.approx(34 / 35)
    assert scores["status_accuracy"] == 1.0
    assert scores["date_accuracy"] == 1.0
    assert scores["missing"] == ["LEADER_OF kim-jong-un -> north-korea"]
    assert scores["spurious"] == ["LEADER_OF north-korea -> kim-jong-un"]


def test_cli_prints_a_table_by_default(tmp_path: Path) -> None:
    result = kg("eval", str(GOLD), str(GOLD))
    assert result.returncode == 0, result.stderr
    assert "relations" in result.stdout
    assert "status accuracy: 1.000" in result.stdout


def test_cli_exits_2_naming_a_broken_document(gold: Doc, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    g = _write(tmp_path / "gold.json", gold)
    result = kg("eval", str(broken), str(g), "--format", "json")
    assert result.returncode == 2
    assert "broken.json" in result.stderr
    assert result.stdout == ""
