"""`kg export` and `kg import`: the graph out as JSON Lines or neo4j-admin CSV, and back in.

The graph: the seed article (curated), the KCNA readout of tests/corpus/dev (offline rules),
then the seed again, so the two share entities and relations (SIGNED among them) and the shared
relations list their sources as [readout, seed]: not the order of the article ids.

The CSV round trip imports into a Neo4j of its own (home under pytest's temp folder, Bolt 17960,
HTTP 17961) with `neo4j-admin database import full` before its first start: slow.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from neo4j import AsyncDriver

from kg import neo4j_server
from kg.config import Settings
from kg.errors import ExportError
from kg.store import GraphStore, create_driver
from kg.store.admin_csv import ARRAY_DELIMITER, after_import_statements, write_csv
from kg.store.export import export_csv, export_documents
from loaders.document import schema_problems
from loaders.extract import AutoExtractor, CuratedExtractor
from loaders.gazetteer import default_gazetteer
from loaders.pipeline import load_article
from loaders.rules import RulesExtractor
from tests.conftest import ROOT, SEED, SEED_ID, own_neo4j_settings

KCNA = ROOT / "tests" / "corpus" / "dev" / "articles" / "kcna_readout.json"
KCNA_ID = "2024-11-30-respected-comrade-kim-jong-un-receives-russian-military-delegation"
BOLT_PORT, HTTP_PORT = 17960, 17961
PASSWORD = "kg-export-password"

Dump = dict[str, list[dict[str, Any]]]


def kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kg", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=300,
        check=False,
    )


async def _two_articles(store: GraphStore, settings: Settings) -> Dump:
    """Seed (already loaded), the readout, the seed again; the dump of that graph."""
    auto = AutoExtractor(
        CuratedExtractor(settings.annotations_dir), RulesExtractor(default_gazetteer())
    )
    loaded = await load_article(store, KCNA.read_bytes(), str(KCNA), auto)
    assert loaded.extractor == "rules"
    await load_article(store, SEED.read_bytes(), str(SEED), auto)
    dump = await store.dump()
    shared = [
        r["props"]
        for r in dump["relationships"]
        if r["type"] == "SIGNED" and r["props"]["sources"] == [KCNA_ID, SEED_ID]
    ]
    signed = [r["props"] for r in dump["relationships"] if r["type"] == "SIGNED"]
    assert shared, f"the two articles must share the SIGNED relation: {signed}"
    evidence = shared[0]["evidence_articles"]
    assert evidence[0] == KCNA_ID
    assert evidence[-1] == SEED_ID
    return dump


async def _empty(store: GraphStore) -> None:
    driver: AsyncDriver = store._driver  # the store owns no "delete everything"; tests do
    async with driver.session(database=store._database) as session:
        await (
            await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS")
        ).consume()


async def test_jsonl_export_loaded_into_an_empty_graph_gives_the_same_dump(
    seeded: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    before = await _two_articles(seeded, settings)
    out = tmp_path / "graph.jsonl"
    exported = kg("export", "--format", "jsonl", str(out))
    assert exported.returncode == 0, exported.stderr

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # The order that rebuilds the sources lists: the readout, then the reloaded seed.
    assert [d["article"]["id"] for d in lines] == [KCNA_ID, SEED_ID]
    for document in lines:
        assert schema_problems(document) == []
        article = document["article"]
        for relation in document["relations"]:
            evidence = relation["evidence"]
            assert article["text"][evidence["start"] : evidence["end"]] == evidence["text"]
            assert article["id"] in relation["sources"]
    seed_doc = lines[1]
    assert len(seed_doc["relations"]) == 38  # only the seed's own evidence: as `kg extract`

    await _empty(seeded)
    assert await seeded.counts() == {}
    imported = kg("import", str(out))
    assert imported.returncode == 0, imported.stderr
    assert f"{SEED_ID}: " in imported.stdout
    assert await seeded.dump() == before


async def test_one_article_export_holds_only_its_evidence(
    seeded: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    await _two_articles(seeded, settings)
    (document,) = await export_documents(seeded, [KCNA_ID])
    assert document["article"]["id"] == KCNA_ID
    assert all(r["evidence"]["text"] in document["article"]["text"] for r in document["relations"])
    out = tmp_path / "one.jsonl"
    assert kg("export", "--article", KCNA_ID, str(out)).returncode == 0
    assert json.loads(out.read_text(encoding="utf-8")) == document

    await _empty(seeded)
    assert kg("import", str(out)).returncode == 0
    dump = await seeded.dump()
    articles = [n["props"]["id"] for n in dump["nodes"] if "Article" in n["labels"]]
    assert articles == [KCNA_ID]
    for rel in dump["relationships"]:
        if "sources" in rel["props"]:
            assert set(rel["props"]["evidence_articles"]) == {KCNA_ID}

    missing = kg("export", "--article", "no-such-article", str(out))
    assert missing.returncode == 2
    assert "no article with id 'no-such-article'" in missing.stderr


def test_import_of_a_broken_line_names_it_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"article": {"id": "x", "title": "X"}, "entities": [], "relations": []}\n')
    result = kg("import", str(bad))
    assert result.returncode == 2
    assert f"{bad}:1" in result.stderr
    assert "the JSON article has no 'text'" in result.stderr


def test_csv_values_the_import_cannot_carry_are_refused(tmp_path: Path) -> None:
    node = {
        "labels": ["Entity", "Person"],
        "props": {"id": "x", "aliases": [f"a{ARRAY_DELIMITER}"]},
    }
    with pytest.raises(ExportError, match="U\\+001F"):
        write_csv({"nodes": [node], "relationships": []}, tmp_path)
    odd = {"labels": ["Thing"], "props": {"id": "y"}}
    with pytest.raises(ExportError, match="not one of"):
        write_csv({"nodes": [odd], "relationships": []}, tmp_path)


def test_csv_relationships_name_their_ends_by_the_import_numbers_of_their_nodes(
    tmp_path: Path,
) -> None:
    people = [
        {"labels": ["Entity", "Person"], "props": {"id": f"p{i}", "name": f"P {i}"}}
        for i in range(3)
    ]
    article = {"labels": ["Article"], "props": {"id": "a1", "title": "T"}}
    sentence = {"labels": ["Sentence"], "props": {"id": "a1#0", "text": "P 2 met P 0."}}
    met = {"type": "MET_WITH", "start": "p2", "end": "p0", "props": {"key": "MET_WITH|p2|p0"}}
    mention = {"type": "MENTIONS", "start": "a1#0", "end": "p2", "props": {}}
    dump = {"nodes": [*people, article, sentence], "relationships": [met, mention]}
    export = write_csv(dump, tmp_path)
    assert "--id-type=INTEGER" in export.command()

    def rows(path: Path) -> list[list[str]]:
        with path.open(encoding="utf-8", newline="") as f:
            return list(csv.reader(f))

    numbers: dict[tuple[str, str], str] = {}  # (kind of node, number) -> id
    for path in export.nodes:
        header, *body = rows(path)
        assert header[:3] == [header[0], "id:string", ":LABEL"]
        assert header[0].startswith(":ID(")
        space = header[0][4:-1]
        for row in body:
            assert (space, row[0]) not in numbers
            numbers[(space, row[0])] = row[1]
    ends = set()
    for path in export.relationships:
        header, *body = rows(path)
        start, end = header[0][len(":START_ID(") : -1], header[1][len(":END_ID(") : -1]
        ends |= {(numbers[(start, r[0])], r[2], numbers[(end, r[1])]) for r in body}
    assert ends == {("p2", "MET_WITH", "p0"), ("a1#0", "MENTIONS", "p2")}


# -- CSV through neo4j-admin into a fresh database -----------------------------------------------


@pytest.mark.slow
async def test_csv_export_imported_by_neo4j_admin_into_a_fresh_database_gives_the_same_dump(
    seeded: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    before = await _two_articles(seeded, settings)
    export = await export_csv(seeded, tmp_path / "csv")
    header = (tmp_path / "csv" / export.nodes[0].name).read_text(encoding="utf-8").split("\n")[0]
    assert header.startswith('":ID(')

    fresh = own_neo4j_settings(tmp_path / "fresh-neo4j", BOLT_PORT, HTTP_PORT, PASSWORD)
    command = export.command("neo4j", f"--report-file={tmp_path / 'import.report'}")
    assert command[0] == "neo4j-admin"
    report = await asyncio.to_thread(neo4j_server.import_database, fresh, command[1:])
    assert "IMPORT DONE" in report
    try:
        await asyncio.to_thread(neo4j_server.start, fresh)
        driver = create_driver(fresh)
        try:
            async with driver.session(database="neo4j") as session:
                for statement in after_import_statements(export.after_import):
                    await (await session.run(statement)).consume()  # type: ignore[arg-type]
            after = await GraphStore(driver, "neo4j").dump()
        finally:
            await driver.close()
    finally:
        await asyncio.to_thread(neo4j_server.stop, fresh)
    assert after == before
