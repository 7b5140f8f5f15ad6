"""Bad input to `kg load`, run as a user runs it, against the tests' real Neo4j.

Every broken article (tests/fixtures/bad/*) and every broken annotation
(tests/fixtures/bad/annotations/*, each paired with the good article
tests/fixtures/articles/wire_story.json) must end `kg load` with exit code 2, an error on stderr
that names the file and says what is wrong, no traceback, and the graph's dump byte-identical
before and after. Names carrying Cypher, JSON, shell or HTML injection strings are data: they load
and are stored verbatim. A batch with one bad article in it writes nothing.

The annotations corpus: `_control.json` is a valid annotation of wire_story.json; every other
file is that control with one thing broken (see DOCUMENTS for what each breaks), except
`injection_names.json`, which is valid and full of hostile names.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from neo4j import AsyncDriver

from kg.config import Settings
from kg.store import GraphStore
from loaders.extract import CuratedExtractor
from loaders.pipeline import load_article
from tests.conftest import FIXTURES, ROOT, SEED, SEED_ID

BAD = FIXTURES / "bad"
ANNOTATIONS = BAD / "annotations"
CONTROL = ANNOTATIONS / "_control.json"
INJECTION_DOC = ANNOTATIONS / "injection_names.json"
GOOD = FIXTURES / "articles" / "wire_story.json"
GOOD_ID = "2024-11-20-russia-and-north-korea-sign-deal-on-scientific-exchange"
OTHER_GOOD = FIXTURES / "articles" / "unknown_outlet.txt"  # no annotation: the offline rules
LIMIT = "5,000,000"

CYPHER = "x'}) MATCH (n) DETACH DELETE n //"
JSON_BREAK = '"}], "x": {"'
SHELL = "$(rm -rf /)"
HTML = "<script>alert('kg')</script>"


def kg_load(*paths: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`kg load PATHS` with KG_DATA_DIR=data_dir (its annotations/ feeds the curated extractor)."""
    env = {**os.environ, "KG_DATA_DIR": str(data_dir)}
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kg", "load", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )


async def snapshot(store: GraphStore) -> str:
    return json.dumps(await store.dump(), sort_keys=True, default=str)


async def _reseed(driver: AsyncDriver, settings: Settings) -> str:
    """Empty the graph, load the seed article with its curated facts; return the dump."""
    store = GraphStore(driver, settings.neo4j_database)
    async with driver.session(database=settings.neo4j_database) as session:
        await (
            await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS")
        ).consume()
    await store.apply_schema()
    await load_article(
        store, SEED.read_bytes(), str(SEED), CuratedExtractor(settings.annotations_dir)
    )
    return await snapshot(store)


@pytest.fixture(scope="module")
async def seed_dump(driver: AsyncDriver, settings: Settings) -> str:
    """The seeded graph's dump, made once for the module."""
    return await _reseed(driver, settings)


@pytest.fixture
async def seeded(driver: AsyncDriver, settings: Settings, seed_dump: str) -> GraphStore:
    """The graph holding exactly the seed article (conftest's `seeded`, without reloading it
    for every case: the graph is seeded again only when a test changed it)."""
    store = GraphStore(driver, settings.neo4j_database)
    if await snapshot(store) != seed_dump:
        await _reseed(driver, settings)
    return store


def data_dir_with(tmp_path: Path, annotation: Path | None, article_id: str = GOOD_ID) -> Path:
    """A KG_DATA_DIR whose annotations/ holds `annotation` as the curated file of `article_id`."""
    data = tmp_path / "data"
    (data / "annotations").mkdir(parents=True)
    if annotation is not None:
        shutil.copyfile(annotation, data / "annotations" / f"{article_id}.json")
    return data


def _tail(result: subprocess.CompletedProcess[str]) -> str:
    """The end of the output, where a traceback says what was raised."""
    lines = (result.stdout + result.stderr).strip().splitlines()
    return f"exit {result.returncode}: " + "\n".join(lines[-4:])


def assert_clean_failure(result: subprocess.CompletedProcess[str], pattern: str) -> None:
    """Exit 2 with `error: ...` matching `pattern` on stderr, and no traceback."""
    assert "Traceback" not in result.stderr, _tail(result)
    assert result.returncode == 2, _tail(result)
    assert result.stderr.startswith("error: "), _tail(result)
    assert re.search(pattern, result.stderr), (pattern, result.stderr)


def assert_same_graph(before: str, after: str) -> None:
    """Byte-identical dumps; when not, say which nodes came or went rather than print both."""
    if before == after:
        return
    old, new = json.loads(before), json.loads(after)

    def nodes(dump: dict[str, Any]) -> set[str]:
        return {json.dumps(n, sort_keys=True) for n in dump["nodes"]}

    def ids(rows: set[str]) -> list[str]:
        return sorted(str(json.loads(r)["props"].get("id")) for r in rows)

    added, removed = ids(nodes(new) - nodes(old)), ids(nodes(old) - nodes(new))
    pytest.fail(f"the graph changed: nodes added or changed {added}, removed or changed {removed}")


# --- broken articles --------------------------------------------------------------------------


@dataclass(frozen=True)
class BadArticle:
    make: Callable[[Path], Path]  # tmp_path -> the file (or folder) to load
    pattern: str  # a regular expression the error must match
    why: str


def _fixture(name: str) -> Callable[[Path], Path]:
    return lambda tmp_path: BAD / name


def _fifty_megabytes(tmp_path: Path) -> Path:
    big = tmp_path / "fifty_mb.txt"
    sentence = b"Officials met again in Pyongyang today. "
    with big.open("wb") as fh:
        fh.write(b"A Very Long Story\n\n")
        for _ in range(50 * 1024 * 1024 // len(sentence) + 1):
            fh.write(sentence)
    assert big.stat().st_size > 50 * 1024 * 1024
    return big


def _empty_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "no_articles"
    folder.mkdir()
    (folder / "notes.csv").write_text("not an article\n")
    return folder


ARTICLES: dict[str, BadArticle] = {
    "empty.txt": BadArticle(_fixture("empty.txt"), "the article is empty", "zero bytes"),
    "whitespace.txt": BadArticle(
        _fixture("whitespace.txt"), "the article is empty", "white space only"
    ),
    "binary.bin": BadArticle(
        _fixture("binary.bin"), r"the article is binary \(it contains NUL bytes\)", "a PNG header"
    ),
    "utf16.txt": BadArticle(
        _fixture("utf16.txt"), "the article is binary", "UTF-16 text: NUL bytes between letters"
    ),
    "latin1.txt": BadArticle(
        _fixture("latin1.txt"), r"not UTF-8 \(invalid byte at offset \d+\)", "Latin-1 text"
    ),
    "truncated_utf8.txt": BadArticle(
        _fixture("truncated_utf8.txt"),
        r"not UTF-8 \(invalid byte at offset 70\)",
        "UTF-8 cut inside a closing quote",
    ),
    "title_only.txt": BadArticle(
        _fixture("title_only.txt"), "has a title but no body text", "title and byline, no body"
    ),
    # "No header": a text article needs no byline (a plain title + body loads, see
    # tests/fixtures/articles/unknown_outlet.txt); what it cannot lack is a body below the title.
    "single_line.txt": BadArticle(
        _fixture("single_line.txt"),
        "has a title but no body text",
        "one line, no newline: a title and nothing else",
    ),
    "appeal_only.txt": BadArticle(
        _fixture("appeal_only.txt"),
        "has a title but no body text",
        "the body is all publisher appeal (boilerplate)",
    ),
    "invalid.json": BadArticle(
        _fixture("invalid.json"), "not valid JSON: .* at line 2", "a JSON article cut short"
    ),
    "not_object.json": BadArticle(
        _fixture("not_object.json"), "must be an object with title and text", "a JSON list"
    ),
    "no_text.json": BadArticle(_fixture("no_text.json"), "has no 'text'", "no text field"),
    "json_blank_text.json": BadArticle(
        _fixture("json_blank_text.json"), "has no 'text'", "text is white space"
    ),
    "json_no_title.json": BadArticle(
        _fixture("json_no_title.json"), "the article has no title", "no title field"
    ),
    "json_blank_title.json": BadArticle(
        _fixture("json_blank_title.json"), "the article has no title", "title is white space"
    ),
    "json_wrong_types.json": BadArticle(
        _fixture("json_wrong_types.json"),
        "these fields must be strings: published, text",
        "a number and a list where strings belong",
    ),
    # BUG: json.loads raises RecursionError, which is no InvalidArticle: a traceback, exit 1.
    "json_deep_nesting.json": BadArticle(
        _fixture("json_deep_nesting.json"),
        r"json_deep_nesting\.json: .*(not valid JSON|nest)",
        "3000 nested lists",
    ),
    # BUG: a "\ud83d" escape gives a lone surrogate; hashing the text raises UnicodeEncodeError.
    "json_lone_surrogate.json": BadArticle(
        _fixture("json_lone_surrogate.json"),
        r"json_lone_surrogate\.json: .*surrogate",
        "an unpaired UTF-16 surrogate escape in the text",
    ),
    # BUG: `kg load` sniffs the content (parse_article) where read_article and `kg extract` go
    # by the suffix: `kg extract` rejects this file as not JSON, `kg load` loads it as text.
    "plain_text.json": BadArticle(
        _fixture("plain_text.json"), "not valid JSON", "a plain-text article named .json"
    ),
    "fifty_mb.txt": BadArticle(
        _fifty_megabytes, f"the article is [0-9,]+ bytes, over the limit of {LIMIT}", "50 MB"
    ),
    "missing.txt": BadArticle(
        lambda tmp_path: tmp_path / "missing.txt", "no such file or folder", "not there"
    ),
    "empty-folder": BadArticle(
        _empty_folder, "no article files in", "a folder with no .txt/.json/.md in it"
    ),
}


@pytest.mark.parametrize("name", list(ARTICLES))
async def test_bad_article_is_rejected_by_name_and_writes_nothing(
    seeded: GraphStore, tmp_path: Path, name: str
) -> None:
    case = ARTICLES[name]
    path = case.make(tmp_path)
    before = await snapshot(seeded)
    result = kg_load(path, data_dir=data_dir_with(tmp_path, None))
    assert_clean_failure(result, case.pattern)
    assert str(path) in result.stderr.splitlines()[0], result.stderr  # the file is named
    assert_same_graph(before, await snapshot(seeded))


# --- broken annotations, each paired with the good article ------------------------------------


@dataclass(frozen=True)
class BadDocument:
    pattern: str
    why: str
    names_annotation: bool = False  # unreadable files are named themselves, not via the article
    against_graph: bool = False  # found by comparing with the graph: the article file is named


DOCUMENTS: dict[str, BadDocument] = {
    "unknown_entity_type.json": BadDocument(
        r"entities/0/type: 'City' is not one of", "entity type City is not in the ontology"
    ),
    "unknown_relation_type.json": BadDocument(
        r"relations/0/type: 'INVADED' is not one of", "relation type INVADED is not either"
    ),
    "dangling_subject.json": BadDocument(
        r"relations/0: subject 'russian-ministry' is not an entity of this document",
        "a subject id no entity has",
    ),
    "dangling_place.json": BadDocument(
        r"relations/0: place 'moscow' is not an entity of this document", "a place id, likewise"
    ),
    "dangling_attributed_to.json": BadDocument(
        r"relations/1: attributed_to 'kcna' is not an entity of this document",
        "an attributed_to id, likewise",
    ),
    "evidence_not_in_text.json": BadDocument(
        r"relations/0/evidence: the text does not occur in the article: "
        r"'Russia and North Korea signed a military pact on Wednesday\.'",
        "evidence (no offsets) the article does not contain",
    ),
    "offsets_out_of_range.json": BadDocument(
        r"relations/0/evidence: offsets 5000\.\.5095 are outside the article \(0\.\.246\)",
        "offsets past the end",
    ),
    "offsets_negative.json": BadDocument(
        r"relations/0/evidence: offsets -1\.\.94 are outside the article", "a negative start"
    ),
    "offsets_at_other_text.json": BadDocument(
        r"relations/0/evidence: the article has 'Mr\. Kozlov said .* at 151\.\.246, "
        r"not the evidence text",
        "offsets in range that point at other words",
    ),
    "duplicate_id_different_types.json": BadDocument(
        r"entities/4: id 'russia' is declared twice, as Country and Person",
        "one id declared as two types",
    ),
    "forbidden_subject_type.json": BadDocument(
        r"relations/2: LEADER_OF cannot go from Country 'russia' to Country 'north-korea'",
        "a relation between types the ontology does not allow",
    ),
    "place_not_a_place.json": BadDocument(
        r"relations/0: place 'alexander-kozlov' is a Person, not a Place or Country",
        "a person as the place",
    ),
    "wrong_article_id.json": BadDocument(
        r"article/id: the document is for '2024-11-20-another-article'",
        "an annotation of another article",
    ),
    "stale_content_hash.json": BadDocument(
        r"article/content_sha256: the article's text has changed since annotation",
        "the hash of another text",
    ),
    "entity_id_not_a_slug.json": BadDocument(
        r"entities/4/id: 'Alexander Kozlov' does not match", "an id with spaces and capitals"
    ),
    "date_not_iso.json": BadDocument(
        r"relations/0/date: 'Wednesday' does not match", "a date that is not ISO"
    ),
    "status_not_in_enum.json": BadDocument(
        r"relations/0/status: 'rumoured' is not one of", "a status outside the enum"
    ),
    "confidence_out_of_range.json": BadDocument(
        r"relations/0/confidence: 1\.5 is greater than the maximum of 1", "confidence 1.5"
    ),
    "name_not_a_string.json": BadDocument(
        r"entities/0/name: 42 is not of type 'string'", "a number as a name"
    ),
    "missing_parts.json": BadDocument(
        r"'entities' is a required property(.|\n)*'relations' is a required property",
        "no entities, no relations",
    ),
    "empty_evidence.json": BadDocument(
        r"relations/0/evidence/text: '' should be non-empty", "empty evidence text"
    ),
    "empty.json": BadDocument(r"cannot read it as JSON", "zero bytes", names_annotation=True),
    "truncated.json": BadDocument(
        r"cannot read it as JSON: Unterminated string", "cut short", names_annotation=True
    ),
    "list.json": BadDocument(
        r"the document must be a JSON object", "a JSON list", names_annotation=True
    ),
    "latin1.json": BadDocument(
        r"cannot read it as JSON: 'utf-8' codec can't decode",
        "Latin-1 encoded",
        names_annotation=True,
    ),
    # BUG: JSON Schema counts 0.0 as an integer, then `text[0.0:95.0]` raises TypeError.
    "offsets_as_floats.json": BadDocument(
        r"relations/0/evidence.*(integer|whole|offsets)", "offsets 0.0 and 95.0"
    ),
    # BUG: json.loads takes the non-JSON `NaN`, and NaN passes the 0..1 range: it is stored.
    "confidence_nan.json": BadDocument(
        r"NaN is not a JSON number", "confidence NaN (not JSON)", names_annotation=True
    ),
    # BUG: a lone surrogate escape passes validation; the driver cannot encode it: a traceback.
    "lone_surrogate.json": BadDocument(r"surrogate", "a description with a '\\ud800' escape"),
    # BUG: the error is printed as Rich markup: "[/red]" in it raises MarkupError (a
    # traceback), and "[bold]"/"[a-z]" vanish from every message (see the id pattern shown
    # as '^*$' for entity_id_not_a_slug.json).
    "evidence_with_markup.json": BadDocument(
        re.escape(
            "the text does not occur in the article: "
            "'Russia [/red] and [bold]North Korea[/bold] signed [a-z] pacts.'"
        ),
        "evidence with square brackets, as Rich markup has them",
    ),
    # Found before any write, against one read of the graph, and named by file.
    "type_conflict_with_graph.json": BadDocument(
        r"wire_story.json: entity 'kim-jong-un' is an Organization here but a Person in the graph",
        "kim-jong-un, a Person in the seed graph, declared an Organization",
        against_graph=True,
    ),
}


@pytest.mark.parametrize("name", list(DOCUMENTS))
async def test_bad_annotation_is_rejected_by_name_and_writes_nothing(
    seeded: GraphStore, tmp_path: Path, name: str
) -> None:
    case = DOCUMENTS[name]
    data = data_dir_with(tmp_path, ANNOTATIONS / name)
    before = await snapshot(seeded)
    result = kg_load(GOOD, data_dir=data)
    assert_clean_failure(result, case.pattern)
    if case.against_graph:
        assert f"  - {GOOD}: entity" in result.stderr, result.stderr
        assert_same_graph(before, await snapshot(seeded))
        return
    # Every error names the annotation file first; a check against the article names it too.
    assert f"error: {data / 'annotations' / f'{GOOD_ID}.json'}" in result.stderr, result.stderr
    if not case.names_annotation:
        assert f"(the annotation of {GOOD})" in result.stderr, result.stderr
    assert_same_graph(before, await snapshot(seeded))


async def test_error_of_a_broken_annotation_names_the_annotation_file(
    seeded: GraphStore, tmp_path: Path
) -> None:
    """The broken file is the annotation; the error says only "wire_story.json (document)".

    FAILS today: document problems name the article and leave the user to work out which
    annotation file (KG_DATA_DIR/annotations/<article id>.json) holds them.
    """
    data = data_dir_with(tmp_path, ANNOTATIONS / "dangling_subject.json")
    result = kg_load(GOOD, data_dir=data)
    assert_clean_failure(result, "is not an entity of this document")
    assert str(data / "annotations" / f"{GOOD_ID}.json") in result.stderr, result.stderr


def test_every_fixture_has_a_row() -> None:
    """A new file under tests/fixtures/bad/ gets a row in a table here (or it tests nothing)."""
    articles = {p.name for p in BAD.iterdir() if p.is_file()}
    assert articles == {name for name in ARTICLES if (BAD / name).is_file()}
    documents = {p.name for p in ANNOTATIONS.glob("*.json")}
    assert documents == set(DOCUMENTS) | {CONTROL.name, INJECTION_DOC.name}


# --- controls: the good article and its valid annotation load ---------------------------------


async def test_control_annotation_loads(seeded: GraphStore, tmp_path: Path) -> None:
    """Each broken annotation is this one with one thing broken: this one loads."""
    result = kg_load(GOOD, data_dir=data_dir_with(tmp_path, CONTROL))
    assert result.returncode == 0, result.stderr
    assert f"{GOOD_ID}: 4 entities, 2 relations, 4 sentences (facts: curated)" in result.stdout
    assert (await seeded.counts())["Article"] == 2


# --- injection strings in names are data ------------------------------------------------------


def _canonical(rows: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(row, sort_keys=True, default=str) for row in rows]


async def test_injection_strings_in_names_load_verbatim_and_change_nothing_else(
    seeded: GraphStore, tmp_path: Path
) -> None:
    doc = json.loads(INJECTION_DOC.read_text(encoding="utf-8"))
    before = await seeded.dump()
    result = kg_load(GOOD, data_dir=data_dir_with(tmp_path, INJECTION_DOC))
    assert result.returncode == 0, result.stderr
    after = await seeded.dump()

    # Everything that was there is there, unchanged (the seed's russia and north-korea too).
    after_nodes, after_rels = _canonical(after["nodes"]), _canonical(after["relationships"])
    assert set(_canonical(before["nodes"])) <= set(after_nodes)
    assert set(_canonical(before["relationships"])) <= set(after_rels)

    # What is new is the article's contribution and nothing else.
    before_nodes = set(_canonical(before["nodes"]))
    new_nodes = [
        n for n, c in zip(after["nodes"], after_nodes, strict=True) if c not in before_nodes
    ]
    old_entities = {n["props"]["id"] for n in before["nodes"] if "Entity" in n["labels"]}
    declared = {e["id"] for e in doc["entities"]}
    assert sorted(n["props"]["id"] for n in new_nodes if "Entity" in n["labels"]) == sorted(
        declared - old_entities
    )
    assert [n["props"]["id"] for n in new_nodes if "Article" in n["labels"]] == [GOOD_ID]
    assert sorted(n["props"]["id"] for n in new_nodes if "Sentence" in n["labels"]) == [
        f"{GOOD_ID}#{i}" for i in range(4)
    ]
    assert len(new_nodes) == len(declared - old_entities) + 1 + 4
    before_rels = set(_canonical(before["relationships"]))
    for rel, canonical in zip(after["relationships"], after_rels, strict=True):
        if canonical in before_rels:
            continue
        if rel["type"] == "HAS_SENTENCE":
            assert rel["start"] == GOOD_ID
        elif rel["type"] == "MENTIONS":
            assert rel["start"].startswith(f"{GOOD_ID}#")
        else:
            assert rel["props"]["sources"] == [GOOD_ID], rel

    # The names and qualifiers are stored as given, byte for byte.
    stored = await seeded.entities(sorted(declared))
    for given in (e for e in doc["entities"] if e["id"].startswith("injection-")):
        entity = stored[given["id"]]
        assert entity.name == given["name"]
        assert list(entity.aliases) == given.get("aliases", [])
        assert entity.description == given.get("description")
    assert stored["injection-cypher"].name == CYPHER
    assert stored["injection-json"].name == JSON_BREAK
    assert stored["injection-shell"].name == SHELL
    assert stored["injection-html"].name == HTML
    relations = (await seeded.article_relations([GOOD_ID]))[GOOD_ID]
    heads = next(r.relation for r in relations if r.relation.type == "HEADS")
    assert heads.role == JSON_BREAK
    signed = next(r.relation for r in relations if r.relation.object == "injection-cypher")
    assert signed.date_text == CYPHER
    assert list(signed.topics) == [SHELL, HTML]
    assert (await seeded.articles_by_id([SEED_ID]))[SEED_ID].id == SEED_ID


async def test_injection_strings_in_an_articles_metadata_load_verbatim(
    seeded: GraphStore, tmp_path: Path
) -> None:
    article = tmp_path / "hostile.json"
    meta = {"title": CYPHER, "source": JSON_BREAK, "url": SHELL, "published": None}
    text = "Officials met again on Tuesday. Nothing else happened, they said."
    article.write_text(json.dumps({**meta, "text": text}), encoding="utf-8")
    before = await seeded.counts()
    result = kg_load(article, data_dir=data_dir_with(tmp_path, None))
    assert result.returncode == 0, result.stderr
    stored = (await seeded.articles_by_id(["x-match-n-detach-delete-n"]))[
        "x-match-n-detach-delete-n"
    ]
    assert (stored.title, stored.source, stored.url, stored.text) == (
        CYPHER,
        JSON_BREAK,
        SHELL,
        text,
    )
    after = await seeded.counts()
    assert after["Article"] == before["Article"] + 1
    assert after["Entity"] >= before["Entity"]


# --- batches: every article is checked before any is written ----------------------------------


@pytest.mark.parametrize(
    ("bad_article", "annotation", "pattern"),
    [
        pytest.param(BAD / "binary.bin", CONTROL, "the article is binary", id="bad-article-last"),
        pytest.param(BAD / "single_line.txt", CONTROL, "no body text", id="no-body-article-last"),
        pytest.param(
            GOOD,
            ANNOTATIONS / "dangling_subject.json",
            "is not an entity of this document",
            id="good-article-with-a-broken-annotation",
        ),
        # The type clash is found before the first write, so the batch stays whole.
        pytest.param(
            GOOD,
            ANNOTATIONS / "type_conflict_with_graph.json",
            "is an Organization here but a Person in the graph",
            id="annotation-clashing-with-the-graph",
        ),
    ],
)
async def test_batch_with_one_bad_article_writes_nothing(
    seeded: GraphStore, tmp_path: Path, bad_article: Path, annotation: Path, pattern: str
) -> None:
    data = data_dir_with(tmp_path, annotation)
    before = await snapshot(seeded)
    result = kg_load(OTHER_GOOD, bad_article, data_dir=data)
    assert_clean_failure(result, pattern)
    assert result.stdout == ""  # no "<article id>: n entities ..." line: nothing was written
    assert_same_graph(before, await snapshot(seeded))


async def test_batch_with_the_bad_article_first_writes_nothing(
    seeded: GraphStore, tmp_path: Path
) -> None:
    before = await snapshot(seeded)
    result = kg_load(
        BAD / "latin1.txt", OTHER_GOOD, GOOD, data_dir=data_dir_with(tmp_path, CONTROL)
    )
    assert_clean_failure(result, "latin1.txt: the article is not UTF-8")
    assert_same_graph(before, await snapshot(seeded))


async def test_batch_of_two_articles_declaring_one_id_as_two_types_writes_nothing(
    seeded: GraphStore, tmp_path: Path
) -> None:
    """Each document is fine alone; together they make `pyongyang-accord` two types.

    FAILS today: the first article is written before the second one's clash is found.
    """
    data = data_dir_with(tmp_path, None)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    for path, title, kind in (
        (first, "Accord Signed in Pyongyang", "Treaty"),
        (second, "Accord Staff Arrive in Pyongyang", "Organization"),
    ):
        text = "North Korea signed the Pyongyang Accord on Monday, officials said."
        article = {"title": title, "published": "2024-11-19T10:00:00", "text": text}
        path.write_text(json.dumps(article), encoding="utf-8")
        article_id = f"2024-11-19-{title.lower().replace(' ', '-')}"
        document = {
            "article": {"id": article_id, "title": title},
            "entities": [{"id": "pyongyang-accord", "type": kind, "name": "Pyongyang Accord"}],
            "relations": [],
        }
        (data / "annotations" / f"{article_id}.json").write_text(json.dumps(document))
    before = await snapshot(seeded)
    result = kg_load(first, second, data_dir=data)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "pyongyang-accord" in result.stderr
    assert_same_graph(before, await snapshot(seeded))
