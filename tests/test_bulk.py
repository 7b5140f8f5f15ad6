"""Bulk import: the graph built in memory for neo4j-admin is the graph the writer writes.

GraphBuilder's dump is compared with the dump of the same articles written by
write_article_graphs into the test Neo4j. The whole bulk import (CSV, neo4j-admin, restart,
after-import.cypher) runs against a Neo4j of its own (home under pytest's temp folder, Bolt
17970, HTTP 17971), since it stops and replaces that server's database.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bench.synthetic import generate
from kg import neo4j_server
from kg.bulk import NotEmpty, bulk_import, database_counts
from kg.config import Settings
from kg.domain import ArticleGraph, Entity
from kg.errors import ExportError, InvalidDocument, KgError
from kg.store import GraphStore, article_batches, canonical_dump, create_driver
from kg.store.admin_csv import CsvExport, after_import_statements, write_csv
from kg.store.bulk import GraphBuilder
from loaders.extract import AutoExtractor, CuratedExtractor
from loaders.gazetteer import default_gazetteer
from loaders.pipeline import build_article_graph
from loaders.rules import RulesExtractor
from tests.conftest import ROOT, SEED, own_neo4j_settings

Dump = dict[str, list[dict[str, Any]]]


def _built(graphs: Sequence[ArticleGraph]) -> Dump:
    builder = GraphBuilder()
    for graph in graphs:
        builder.add(graph)
    return canonical_dump(builder.dump())


async def _written(store: GraphStore, graphs: Sequence[ArticleGraph], batch: int = 40) -> Dump:
    for chunk in article_batches(graphs, batch, key=lambda g: g.article.id):
        await store.write_article_graphs(chunk)
    return await store.dump()


def _corpus(articles: int) -> list[ArticleGraph]:
    return list(itertools.islice(generate(1000), articles))


def _shortened(graph: ArticleGraph) -> ArticleGraph:
    """A new version of an article: half its relations, its last sentence gone."""
    article = graph.article
    kept = article.sentences[:-1]
    return dataclasses.replace(
        graph,
        article=dataclasses.replace(article, sentences=kept),
        relations=graph.relations[: len(graph.relations) // 2],
        mentions=tuple(m for m in graph.mentions if m[0] < len(kept)),
    )


@pytest.fixture
def seeded_graphs(settings: Settings) -> list[ArticleGraph]:
    """The seed, the KCNA readout (which shares a relation with it), the seed again."""
    auto = AutoExtractor(
        CuratedExtractor(settings.annotations_dir), RulesExtractor(default_gazetteer())
    )
    kcna = ROOT / "tests" / "corpus" / "dev" / "articles" / "kcna_readout.json"
    seed, _ = build_article_graph(SEED.read_bytes(), str(SEED), auto)
    readout, _ = build_article_graph(kcna.read_bytes(), str(kcna), auto)
    return [seed, readout, seed]


async def test_builder_gives_the_graph_the_writer_writes_for_a_synthetic_corpus(
    store: GraphStore,
) -> None:
    graphs = _corpus(150)
    built = _built(graphs)
    shared = [r for r in built["relationships"] if len(r["props"].get("sources", [])) > 1]
    assert shared, "the corpus must state some relations in several articles"
    assert built == await _written(store, graphs)


async def test_builder_replaces_a_reloaded_articles_contribution_as_the_writer_does(
    store: GraphStore,
) -> None:
    first = _corpus(60)
    again = [_shortened(first[3]), first[10], _shortened(first[20])]
    graphs = first + again
    built = _built(graphs)
    assert built == await _written(store, graphs)
    # Reloading must have taken something away, or this test could not fail.
    assert len(built["relationships"]) < len(_built(first)["relationships"])


async def test_builder_seed_and_readout_twice_match_the_writer(
    store: GraphStore, seeded_graphs: list[ArticleGraph]
) -> None:
    assert _built(seeded_graphs) == await _written(store, seeded_graphs, batch=1)


async def test_builder_leaves_out_relations_and_mentions_whose_entity_is_not_in_the_graph(
    store: GraphStore,
) -> None:
    graph = _corpus(1)[0]
    missing = graph.relations[0].subject
    lacking = dataclasses.replace(
        graph, entities=tuple(e for e in graph.entities if e.id != missing)
    )
    built = _built([lacking])
    assert not any(missing in (r["start"], r["end"]) for r in built["relationships"])
    assert built == await _written(store, [lacking])


def test_builder_refuses_an_entity_whose_type_clashes_and_takes_nothing_of_that_article() -> None:
    first, second = _corpus(2)
    builder = GraphBuilder()
    builder.add(first)
    before = canonical_dump(builder.dump())
    entity = first.entities[0]
    other = "Treaty" if entity.type != "Treaty" else "Person"
    clashing = dataclasses.replace(
        second, entities=(*second.entities, Entity(entity.id, other, entity.name))
    )
    with pytest.raises(InvalidDocument, match=f"is a {entity.type} in the graph, not a {other}"):
        builder.add(clashing)
    assert canonical_dump(builder.dump()) == before


def test_csv_fills_empty_lists_in_one_pass_per_label_when_every_member_has_the_list(
    tmp_path: Path,
) -> None:
    graphs = _corpus(50)
    bare = Entity("person-without-aliases", "Person", "Nobody Known")
    graphs[0] = dataclasses.replace(graphs[0], entities=(*graphs[0].entities, bare))
    builder = GraphBuilder()
    for graph in graphs:
        builder.add(graph)
    export = write_csv(builder.dump(), tmp_path)
    fills = [
        line
        for line in export.after_import.read_text(encoding="utf-8").splitlines()
        if line.startswith("MATCH") and "IS NULL" in line
    ]
    assert fills == [
        "MATCH (n:Entity) WHERE n.`aliases` IS NULL CALL (n) "
        "{ SET n.`aliases` = coalesce(n.`aliases`, []) } IN TRANSACTIONS OF 10000 ROWS;"
    ]


def _csv_rows(export: CsvExport) -> Counter[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every data row of the export's files, with the header it sits under."""
    rows: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    for path in (*export.nodes, *export.relationships):
        with path.open(encoding="utf-8", newline="") as f:
            header, *body = csv.reader(f)
        rows.update((tuple(header), tuple(row)) for row in body)
    return rows


def test_csv_written_in_parts_side_by_side_holds_the_rows_written_whole(tmp_path: Path) -> None:
    dump = GraphBuilder()
    for graph in _corpus(300):
        dump.add(graph)
    whole = write_csv(dump.dump(), tmp_path / "whole")
    parted = write_csv(dump.dump(), tmp_path / "parted", parts=3)
    assert len(parted.relationships) > len(whole.relationships)  # each part has its files
    assert _csv_rows(parted) == _csv_rows(whole)
    assert parted.after_import.read_text() == whole.after_import.read_text()


def test_a_value_csv_cannot_carry_is_named_when_a_forked_part_meets_it(tmp_path: Path) -> None:
    good = {"labels": ["Entity", "Person"], "props": {"id": "p0", "aliases": ["A"]}}
    bad = {"labels": ["Entity", "Person"], "props": {"id": "p1", "aliases": ["a\x1fb"]}}
    with pytest.raises(ExportError, match=r"node 'p1'.*U\+001F"):
        write_csv({"nodes": [good, bad], "relationships": []}, tmp_path / "node", parts=2)
    stray = {"type": "MET_WITH", "start": "p0", "end": "nobody", "props": {"key": "k"}}
    met = {"type": "MET_WITH", "start": "p0", "end": "p0", "props": {"key": "m"}}
    with pytest.raises(ExportError, match="MET_WITH 'p0'->'nobody': an end is not"):
        write_csv({"nodes": [good], "relationships": [met, stray]}, tmp_path / "rel", parts=2)


def _article_and_relation(text: str, evidence: list[str]) -> Dump:
    people = [{"labels": ["Entity", "Person"], "props": {"id": f"p{i}"}} for i in range(2)]
    article = {"labels": ["Article"], "props": {"id": "a1", "text": text}}
    met = {"type": "MET_WITH", "start": "p0", "end": "p1"}
    met["props"] = {"key": "MET_WITH|p0|p1", "evidence_texts": evidence}
    return {"nodes": [*people, article], "relationships": [met]}


def test_csv_carries_line_breaks_so_that_no_cell_spans_lines(tmp_path: Path) -> None:
    dump = _article_and_relation("One.\nTwo.\r\nThree.", ["Met\nhim.", "Again."])
    export = write_csv(dump, tmp_path, parts=2)
    assert "--multiline-fields=false" in export.command()
    for path in (*export.nodes, *export.relationships):
        text = path.read_text(encoding="utf-8")
        assert "\r" not in text
        assert text.count("\n") == len(list(csv.reader(text.splitlines()))), path.name
    restores = [s for s in after_import_statements(export.after_import) if "uE000" in s]
    assert len(restores) == 2
    assert restores[0].startswith("MATCH (n:Article) WHERE n.`text` CONTAINS")
    assert restores[1].startswith("MATCH ()-[n:MET_WITH]->() WHERE any(x IN n.`evidence_texts`")


def test_a_value_holding_a_line_break_carrier_is_written_as_a_multi_line_cell(
    tmp_path: Path,
) -> None:
    text = "Private \ue000 use.\nNext line."
    export = write_csv(_article_and_relation(text, ["Met."]), tmp_path, parts=2)
    assert "--multiline-fields=true" in export.command()
    cells = []
    for path in export.nodes:
        with path.open(encoding="utf-8", newline="") as f:
            cells += [cell for row in csv.reader(f) for cell in row]
    assert text in cells
    assert not [s for s in after_import_statements(export.after_import) if "uE000" in s]


def test_csv_parts_below_one_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="parts must be at least 1"):
        write_csv({"nodes": [], "relationships": []}, tmp_path, parts=0)


async def test_a_relation_stated_without_topics_stores_none_and_reads_back_empty(
    store: GraphStore,
) -> None:
    graph = _corpus(1)[0]
    assert all(not r.topics and not r.attributed_to for r in graph.relations)
    dump = await _written(store, [graph])
    stored = [r["props"] for r in dump["relationships"] if "key" in r["props"]]
    assert stored
    assert not any("topics" in p or "attributed_to" in p for p in stored)
    found = (await store.article_relations([graph.article.id]))[graph.article.id]
    assert found
    assert {(f.relation.topics, f.relation.attributed_to) for f in found} == {((), ())}


async def test_bulk_import_refuses_a_server_that_is_not_the_local_one(
    settings: Settings,
) -> None:
    remote = settings.model_copy(update={"neo4j_uri": "neo4j+s://graph.example.org:7687"})
    with pytest.raises(KgError, match="names another server"):
        await bulk_import(remote, _corpus(5))
    assert neo4j_server.status(settings).bolt_ready


async def test_bulk_import_refuses_a_server_that_kg_does_not_run_itself(
    settings: Settings, tmp_path: Path
) -> None:
    # The test server answers at NEO4J_URI, but it is not the server of this (empty) home.
    elsewhere = settings.model_copy(update={"neo4j_home": tmp_path / "no-server-here"})
    with pytest.raises(KgError, match="is not running: start it with `kg neo4j start`"):
        await bulk_import(elsewhere, _corpus(5))
    assert neo4j_server.status(settings).bolt_ready


async def test_bulk_import_refuses_a_database_that_is_not_empty(
    seeded: GraphStore, settings: Settings
) -> None:
    before = await seeded.dump()
    with pytest.raises(NotEmpty, match=r"not empty .*kg load"):
        await bulk_import(settings, _corpus(5))
    assert neo4j_server.status(settings).bolt_ready
    assert await seeded.dump() == before


# -- the whole import, on a Neo4j of its own ----------------------------------------------------


@pytest.fixture(scope="module")
def own_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A Neo4j of this module's own: a bulk import stops it and replaces its database."""
    own = own_neo4j_settings(
        tmp_path_factory.mktemp("bulk") / "neo4j", 17970, 17971, "kg-bulk-password"
    )
    neo4j_server.start(own)
    try:
        yield own
    finally:
        neo4j_server.stop(own)


@pytest.fixture
async def own_server(own_neo4j: Settings) -> Settings:
    """That Neo4j, running, with an empty database."""
    neo4j_server.start(own_neo4j)  # a no-op when it runs
    driver = create_driver(own_neo4j)
    try:
        async with driver.session(database=own_neo4j.neo4j_database) as session:
            await (await session.run("MATCH (n) DETACH DELETE n")).consume()
    finally:
        await driver.close()
    return own_neo4j


async def test_bulk_import_of_clashing_articles_imports_nothing_and_restarts_the_server(
    own_server: Settings,
) -> None:
    graphs = _corpus(2)
    entity = graphs[0].entities[0]
    other = "Treaty" if entity.type != "Treaty" else "Person"
    clashing = dataclasses.replace(
        graphs[1], entities=(*graphs[1].entities, Entity(entity.id, other, entity.name))
    )
    with pytest.raises(InvalidDocument, match=f"not a {other}"):
        await bulk_import(own_server, [graphs[0], clashing])
    assert neo4j_server.status(own_server).bolt_ready
    assert await database_counts(own_server) == {}


async def test_bulk_import_into_an_empty_database_gives_the_graph_the_writer_gives(
    store: GraphStore, own_server: Settings
) -> None:
    graphs = _corpus(200)
    written = await _written(store, graphs)
    done = await bulk_import(own_server, graphs)
    assert (done.articles, done.nodes, done.relationships) == (
        200,
        len(written["nodes"]),
        len(written["relationships"]),
    )
    driver = create_driver(own_server)
    try:
        imported = GraphStore(driver, own_server.neo4j_database)
        assert await imported.dump() == written
        assert await imported.missing_schema() == []
    finally:
        await driver.close()
