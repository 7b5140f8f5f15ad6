"""The `kg` command, run as a user runs it, against the tests' real Neo4j."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kg.config import Settings
from kg.store import GraphStore
from loaders.document import schema_problems
from tests.conftest import ROOT, SEED, SEED_ID


def kg(*args: str, settings: Settings | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kg", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )


def test_extract_prints_a_document_that_validates(settings: Settings) -> None:
    result = kg("extract", str(SEED), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert schema_problems(document) == []
    assert document["article"]["id"] == SEED_ID
    assert len(document["relations"]) == 38


def test_extract_curated_of_an_unannotated_article_says_what_is_missing(
    settings: Settings, tmp_path: Path
) -> None:
    article = tmp_path / "new.txt"
    article.write_text("A new story\n\nSomething happened in a place today, officials said.\n")
    result = kg("extract", str(article), "--format", "json", "--extractor", "curated")
    assert result.returncode == 2
    assert "no curated annotation" in result.stderr


def test_extract_of_an_unannotated_article_uses_the_offline_rules(
    settings: Settings, tmp_path: Path
) -> None:
    article = tmp_path / "new.txt"
    article.write_text(
        "Putin meets Kim\n\nBy Example Wire | Created at 2024-06-19 10:00:00\n\n"
        "Russian President Vladimir Putin met with North Korean leader Kim Jong Un in "
        "Pyongyang on Wednesday, state media reported.\n"
    )
    result = kg("extract", str(article), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert schema_problems(document) == []
    found = {(r["type"], r["subject"], r["object"]) for r in document["relations"]}
    assert ("MET_WITH", "vladimir-putin", "kim-jong-un") in found
    assert ("LEADER_OF", "vladimir-putin", "russia") in found


async def test_load_writes_the_folder_and_reports_each_article(store: GraphStore) -> None:
    result = kg("load", "data/articles")
    assert result.returncode == 0, result.stderr
    assert f"{SEED_ID}: 22 entities, 35 relations, 29 sentences (facts: curated)" in result.stdout
    assert (await store.counts())["Article"] == 1


async def test_load_of_a_bad_file_names_it_and_writes_nothing(
    store: GraphStore, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"\xff\xfe not utf-8 \x00")
    result = kg("load", str(SEED), str(bad))
    assert result.returncode == 2
    assert f"{bad}: the article is binary" in result.stderr
    assert await store.counts() == {}


async def test_load_bulk_refuses_a_database_that_holds_a_graph_and_leaves_it_serving(
    seeded: GraphStore, settings: Settings
) -> None:
    before = await seeded.dump()
    result = kg("load", "--bulk", str(SEED))
    assert result.returncode == 2
    assert f"the database {settings.neo4j_database!r} is not empty" in result.stderr
    assert "`kg load` (without --bulk)" in result.stderr
    assert await seeded.dump() == before


def test_export_schema_check_passes_on_a_clean_tree() -> None:
    result = kg("export-schema", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_neo4j_status_names_the_running_server(settings: Settings) -> None:
    result = kg("neo4j", "status")
    assert result.returncode == 0, result.stdout
    assert "running, Bolt answers" in result.stdout


def test_score_prints_per_article_and_micro_averaged_figures() -> None:
    result = kg("score", "tests/corpus/heldout", "--extractor", "rules")
    assert result.returncode == 0, result.stderr
    assert "liveblog_kursk.txt" in result.stdout
    assert "all (micro)" in result.stdout
