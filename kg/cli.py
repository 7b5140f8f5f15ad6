"""The `kg` command line: the local Neo4j, loading, serving, extracting, exporting the schema.

The entry point builds the Settings once and, where it needs Neo4j, the one driver it passes
down; nothing happens at import time.
"""

from __future__ import annotations

import asyncio
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from kg.config import Settings
from kg.domain import ArticleGraph
from kg.errors import KgError

app = typer.Typer(
    no_args_is_help=True, help="kg: a knowledge graph of news in Neo4j, over GraphQL."
)
neo4j_app = typer.Typer(no_args_is_help=True, help="Run the project's local Neo4j server.")
app.add_typer(neo4j_app, name="neo4j")
api_app = typer.Typer(no_args_is_help=True, help="Run the API in the background.")
app.add_typer(api_app, name="api")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _fail(exc: Exception) -> typer.Exit:
    # The message quotes input (evidence, names): escape it so "[/red]" is text, not markup.
    err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False)
    return typer.Exit(code=2)


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Provision Neo4j from Maven Central (once), start it, wait until Bolt answers."""
    from kg import neo4j_server

    settings = Settings()
    try:
        status = neo4j_server.start(settings)
    except KgError as exc:
        raise _fail(exc) from exc
    out.print(f"Neo4j {status.version} running (pid {status.pid})")
    out.print(f"  Bolt:          {status.bolt_uri}")
    out.print(f"  Neo4j Browser: {status.http_url}  (user {settings.neo4j_user})")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j server, cleanly."""
    from kg import neo4j_server

    try:
        stopped = neo4j_server.stop(Settings())
    except KgError as exc:
        raise _fail(exc) from exc
    out.print("Neo4j stopped" if stopped else "Neo4j was not running")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say whether the local Neo4j server runs and answers; exit 1 when it does not."""
    from kg import neo4j_server

    status = neo4j_server.status(Settings())
    state = "running" if status.running else "stopped"
    ready = "Bolt answers" if status.bolt_ready else "Bolt does not answer"
    out.print(f"Neo4j {status.version}: {state}, {ready} ({status.bolt_uri}, {status.http_url})")
    if not (status.running and status.bolt_ready):
        raise typer.Exit(code=1)


class ExtractorChoice(StrEnum):
    auto = "auto"
    curated = "curated"
    rules = "rules"
    llm = "llm"


def _extractor(settings: Settings, choice: ExtractorChoice) -> Any:
    """auto: the curated annotation where one exists, else the offline rules."""
    from loaders.extract import AutoExtractor, CuratedExtractor
    from loaders.gazetteer import default_gazetteer
    from loaders.rules import RulesExtractor

    curated = CuratedExtractor(settings.annotations_dir)
    if choice is ExtractorChoice.curated:
        return curated
    if choice is ExtractorChoice.llm:
        from loaders.llm import LlmExtractor

        return LlmExtractor.from_settings(settings, default_gazetteer())
    rules = RulesExtractor(default_gazetteer())
    return rules if choice is ExtractorChoice.rules else AutoExtractor(curated, rules)


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="article files or folders of them")],
    extractor: Annotated[ExtractorChoice, typer.Option(help="where the facts come from")] = (
        ExtractorChoice.auto
    ),
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="articles written per transaction")
    ] = 100,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="first load into an EMPTY database of the local Neo4j: build the graph in "
            "memory and import it with neo4j-admin (the server restarts once)",
        ),
    ] = False,
) -> None:
    """Load articles: every one is checked first, then they are written in transactions of
    --batch-size articles (each all or nothing; an interrupted load is finished by re-running).
    With --bulk, an empty database is built offline by neo4j-admin instead: the same graph."""
    from loaders.pipeline import article_files, build_article_graph, check_entity_types

    settings = Settings()
    chosen = _extractor(settings, extractor)
    try:
        files = article_files(paths)
        if not files:
            raise KgError(f"no article files in {', '.join(map(str, paths))}")
        built = [(f, *build_article_graph(f.read_bytes(), str(f), chosen)) for f in files]
        check_entity_types([(str(f), graph) for f, graph, _ in built])
    except KgError as exc:
        raise _fail(exc) from exc
    graphs = [(str(f), graph, used) for f, graph, used in built]
    try:
        if bulk:
            asyncio.run(_bulk(settings, [graph for _, graph, _ in graphs]))
            return
        asyncio.run(_write_all(settings, graphs, batch_size))
    except KgError as exc:
        raise _fail(exc) from exc


async def _bulk(settings: Settings, graphs: list[ArticleGraph]) -> None:
    from kg.bulk import bulk_import

    done = await bulk_import(settings, graphs)
    steps = ", ".join(f"{name.removesuffix('_s')} {s:.1f} s" for name, s in done.seconds.items())
    out.print(
        f"bulk import: {done.articles} articles, {done.nodes:,} nodes, "
        f"{done.relationships:,} relationships ({steps})",
        highlight=False,
    )


async def _write_all(
    settings: Settings, graphs: list[tuple[str, Any, str]], batch_size: int
) -> None:
    from kg.store import GraphStore, article_batches, create_driver
    from loaders.pipeline import check_entity_types

    driver = create_driver(settings)
    try:
        store = GraphStore(
            driver, settings.neo4j_database, settings.query_timeout_s, settings.neo4j_retry_s
        )
        await store.apply_schema()
        # A clash with the graph is found before the first write, so a batch stays whole.
        ids = sorted({e.id for _, graph, _ in graphs for e in graph.entities})
        stored = {entity_id: e.type for entity_id, e in (await store.entities(ids)).items()}
        check_entity_types([(name, graph) for name, graph, _ in graphs], stored)
        columns = (
            TextColumn("loading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
        )
        # A bar on a terminal; in a log (CI, make) the per-article lines say it all.
        with Progress(*columns, console=err, disable=not err.is_terminal) as progress:
            task = progress.add_task("", total=len(graphs))
            for batch in article_batches(graphs, batch_size, key=lambda item: item[1].article.id):
                summaries = await store.write_article_graphs([graph for _, graph, _ in batch])
                for (_, _, used), summary in zip(batch, summaries, strict=True):
                    progress.update(task, advance=1, description=summary.article_id)
                    out.print(
                        f"{summary.article_id}: {summary.entities} entities, "
                        f"{summary.relations} relations, {summary.sentences} sentences "
                        f"(facts: {used})",
                        highlight=False,
                    )
    finally:
        await driver.close()


class OutputFormat(StrEnum):
    json = "json"


@app.command()
def extract(
    article: Annotated[Path, typer.Argument(help="an article file (text or JSON)")],
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.json,
    extractor: Annotated[ExtractorChoice, typer.Option()] = ExtractorChoice.auto,
) -> None:
    """Print the interchange document of what an article says (checked against its text)."""
    from loaders.document import graph_to_document
    from loaders.parse import read_article
    from loaders.pipeline import build_article_graph

    settings = Settings()
    chosen = _extractor(settings, extractor)
    try:
        parsed = read_article(article)
        if chosen.run(parsed) is None:  # only the curated extractor can have nothing
            raise KgError(f"{article}: no curated annotation ({chosen.path_for(parsed)})")
        graph, _ = build_article_graph(article.read_bytes(), str(article), chosen)
    except KgError as exc:
        raise _fail(exc) from exc
    document = graph_to_document(graph.article, graph.entities, graph.relations)
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default: KG_API_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default: KG_API_PORT")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql) and /health."""
    import os

    import uvicorn

    settings = Settings()
    host = host or settings.api_host
    port = port or settings.api_port
    shown = "127.0.0.1" if host == "0.0.0.0" else host  # noqa: S104 - only for the printed URL
    out.print(f"GraphiQL:       http://{shown}:{port}/graphql")
    out.print(f"Health:         http://{shown}:{port}/health")
    out.print(f"Neo4j:          {settings.neo4j_uri} (database {settings.neo4j_database})")
    if workers > 1:  # each worker builds its own app, and so its own driver, from the env
        os.environ.setdefault("KG_API_HOST", host)
        uvicorn.run(
            "kg.api.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )
    else:
        from kg.api.app import create_served_app

        uvicorn.run(create_served_app(settings), host=host, port=port, log_level="info")


def _api_files(settings: Settings) -> tuple[Path, Path]:
    run_dir = settings.neo4j_home.parent  # .kg/ by default: ignored, beside the local Neo4j
    return run_dir / "api.pid", run_dir / "api.log"


def _api_pid(pid_file: Path) -> int | None:
    import os

    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _print_urls(settings: Settings, host: str, port: int) -> None:
    from kg.neo4j_server import is_local
    from kg.neo4j_server import status as neo4j_status

    out.print(f"GraphiQL:       http://{host}:{port}/graphql", highlight=False)
    out.print(f"Health:         http://{host}:{port}/health", highlight=False)
    if not is_local(settings):  # another Neo4j (Aura, Docker, a cluster): its own console
        out.print(f"Neo4j:          {settings.neo4j_uri} as {settings.neo4j_user}", highlight=False)
        return
    # The local development server's password is the project default unless set otherwise.
    password = settings.neo4j_password.get_secret_value()
    out.print(f"Neo4j Browser:  {neo4j_status(settings).http_url}", highlight=False)
    out.print(
        f"  connect to {settings.neo4j_uri} as {settings.neo4j_user} / {password}"
        "  (NEO4J_PASSWORD; style: drag schema/kg.grass onto Browser)",
        highlight=False,
    )


@api_app.command("start")
def api_start() -> None:
    """Start `kg serve` in the background, wait until /health answers, print the URLs."""
    import subprocess
    import time
    import urllib.request

    settings = Settings()
    pid_file, log_file = _api_files(settings)
    host, port = settings.api_host, settings.api_port
    health = f"http://{host}:{port}/health"
    if _api_pid(pid_file) is None:
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own console script, no shell
                [sys.executable, "-m", "kg", "serve", "--host", host, "--port", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if _api_pid(pid_file) is None or time.monotonic() > deadline:
            tail = log_file.read_text(errors="replace").splitlines()[-20:]
            raise _fail(KgError(f"the API did not come up at {health}:\n" + "\n".join(tail)))
        time.sleep(0.5)
    out.print(f"API running (pid {_api_pid(pid_file)}, log {log_file})", highlight=False)
    _print_urls(settings, host, port)


@api_app.command("stop")
def api_stop() -> None:
    """Stop the background API."""
    import os
    import signal

    pid_file, _ = _api_files(Settings())
    pid = _api_pid(pid_file)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
    pid_file.unlink(missing_ok=True)
    out.print("API stopped" if pid else "API was not running")


class EvalFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("eval")
def evaluate_command(
    predicted: Annotated[Path, typer.Argument(help="the extractor's interchange document")],
    gold: Annotated[Path, typer.Argument(help="the curated document for the same article")],
    output_format: Annotated[EvalFormat, typer.Option("--format")] = EvalFormat.text,
) -> None:
    """Score a document against a curated one: P/R/F1 of entities and relations, and more."""
    from rich.table import Table

    from loaders.evaluate import evaluate_files

    try:
        result = evaluate_files(predicted, gold)
    except KgError as exc:
        raise _fail(exc) from exc
    if output_format is EvalFormat.json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")
        return
    table = Table("", "precision", "recall", "F1", "tp", "fp", "fn")
    for name, scores in (("entities", result.entities), ("relations", result.relations)):
        rates = (scores.precision, scores.recall, scores.f1)
        counts = (scores.true_positives, scores.false_positives, scores.false_negatives)
        table.add_row(name, *(f"{v:.3f}" for v in rates), *(str(n) for n in counts))
    out.print(table)
    for name, accuracy in (("status", result.status_accuracy), ("date", result.date_accuracy)):
        shown = "n/a" if accuracy is None else f"{accuracy:.3f}"
        out.print(f"{name} accuracy: {shown} (over {result.matched} matched relations)")
    for name, triples in (("missing", result.missing), ("spurious", result.spurious)):
        out.print(f"{name} relations: {len(triples)}", highlight=False)
        for triple in triples:
            out.print(f"  {triple}", highlight=False, markup=False)


@app.command("score")
def score_command(
    folders: Annotated[list[Path], typer.Argument(help="corpus folders (articles/, annotations/)")],
    extractor: Annotated[ExtractorChoice, typer.Option()] = ExtractorChoice.rules,
) -> None:
    """Score an extractor on annotated corpora: relation and entity P/R/F1 per article."""
    from rich.table import Table

    from loaders.corpus import score_corpus

    chosen = _extractor(Settings(), extractor)
    table = Table(
        "corpus",
        "article",
        "entity F1",
        "relation P",
        "relation R",
        "relation F1",
        "status acc.",
        "date acc.",
    )
    for column in table.columns[:2]:  # names are data: wrap them, never cut them short
        column.overflow = "fold"
    for folder in folders:
        try:
            result = score_corpus(folder, chosen)
        except KgError as exc:
            raise _fail(exc) from exc
        for name, ev in result.articles.items():
            table.add_row(
                folder.name,
                name,
                f"{ev.entities.f1:.2f}",
                f"{ev.relations.precision:.2f}",
                f"{ev.relations.recall:.2f}",
                f"{ev.relations.f1:.2f}",
                _rate(ev.status_accuracy),
                _rate(ev.date_accuracy),
            )
        entities, relations = result.total("entities"), result.total("relations")
        table.add_row(
            folder.name,
            "[b]all (micro)[/b]",
            f"{entities.f1:.2f}",
            f"{relations.precision:.2f}",
            f"{relations.recall:.2f}",
            f"{relations.f1:.2f}",
            "",
            "",
        )
    # In a log or a pipe there is no terminal width to respect: print the table whole.
    (out if out.is_terminal else Console(width=160)).print(table)


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@app.command("export")
def export_command(
    out_path: Annotated[
        Path, typer.Argument(metavar="OUT", help="jsonl: a file ('-' for stdout); csv: a folder")
    ],
    output_format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.jsonl,
    article: Annotated[
        list[str] | None, typer.Option(help="only this article (jsonl; repeatable)")
    ] = None,
) -> None:
    """Export the graph: interchange documents as JSON Lines, or CSV for neo4j-admin import."""
    import shlex

    from kg.store import GraphStore, create_driver
    from kg.store import export as graph_export

    settings = Settings()
    if output_format is ExportFormat.csv and article:
        raise _fail(KgError("--article works with --format jsonl; the CSV files hold the graph"))

    async def run() -> Any:
        driver = create_driver(settings)
        try:
            store = GraphStore(
                driver, settings.neo4j_database, settings.query_timeout_s, settings.neo4j_retry_s
            )
            if output_format is ExportFormat.csv:
                return await graph_export.export_csv(store, out_path)
            return await graph_export.export_documents(store, article or None)
        finally:
            await driver.close()

    try:
        result = asyncio.run(run())
        if output_format is ExportFormat.jsonl:
            text = graph_export.document_lines(result)
            if str(out_path) == "-":
                sys.stdout.write(text)
            else:
                out_path.write_text(text, encoding="utf-8")
                err.print(f"{out_path}: {len(result)} articles", highlight=False)
            return
    except (KgError, OSError) as exc:
        raise _fail(exc) from exc
    files = len(result.nodes) + len(result.relationships)
    out.print(f"{out_path}: {files} CSV files and {result.after_import.name}", highlight=False)
    out.print("Import into a stopped, empty database (then start it), with:", highlight=False)
    out.print(shlex.join(result.command(settings.neo4j_database)), highlight=False, markup=False)
    out.print(
        f"then run {result.after_import} once (constraints, indexes, empty lists)",
        highlight=False,
    )


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="a JSON Lines file written by `kg export`")],
) -> None:
    """Load the articles of a JSON Lines export: every line is checked first, then written."""
    from kg.store import GraphStore, create_driver
    from loaders.exported import import_lines, read_lines

    settings = Settings()

    async def run(lines: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        driver = create_driver(settings)
        try:
            store = GraphStore(
                driver, settings.neo4j_database, settings.query_timeout_s, settings.neo4j_retry_s
            )
            return await import_lines(store, lines)
        finally:
            await driver.close()

    try:
        summaries = asyncio.run(run(read_lines(path)))
    except KgError as exc:
        raise _fail(exc) from exc
    for summary in summaries:
        out.print(
            f"{summary.article_id}: {summary.entities} entities, {summary.relations} relations, "
            f"{summary.sentences} sentences",
            highlight=False,
        )


@app.command("export-schema")
def export_schema(
    check: Annotated[bool, typer.Option(help="exit 1 if the files differ, write nothing")] = False,
) -> None:
    """Write schema/schema.graphql and schema/constraints.cypher from the code and ontology."""
    from kg.api.exports import schema_exports

    stale = []
    for path, text in schema_exports().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not check:
            path.write_text(text, encoding="utf-8")
    verb = "differ from the code" if check else "written"
    for path in stale:
        out.print(f"{path}: {verb}")
    if check and stale:
        raise typer.Exit(code=1)


def main() -> None:
    app()
