"""Provision and run a local Neo4j Community server from Maven Central jars, without Docker.

The jars are fetched once by Maven into a cache outside the repo; each server "home"
(conf, data, logs, pid) lives in `settings.neo4j_home`. Linux only (/proc, process groups).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import DEVNULL, PIPE, STDOUT
from urllib.parse import urlsplit

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

from kg.config import NEO4J_BROWSER_VERSION, NEO4J_VERSION, Settings
from kg.errors import Neo4jServerError

log = logging.getLogger(__name__)

_POM_TEMPLATE = Path(__file__).resolve().parent / "neo4j_runtime.pom.xml"
_ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
_LOCAL_HOSTS = {"127.0.0.1", "localhost"}
_STOP_GRACE_S = 60.0
_JVM_FLAGS = [  # what Neo4j's own launcher passes on Java 17+
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
]
_SET_PASSWORD = ["org.neo4j.cli.AdminTool", "dbms", "set-initial-password"]


@dataclass(frozen=True)
class ServerStatus:
    """What `status` sees of the local server of one home."""

    running: bool
    pid: int | None
    bolt_uri: str
    http_url: str
    home: Path
    version: str
    bolt_ready: bool


def provision(settings: Settings) -> Path:
    """Make sure the Neo4j jars are in the cache and return their `lib` folder."""
    _java()
    root = settings.neo4j_cache.expanduser().resolve() / f"neo4j-{NEO4J_VERSION}"
    lib, marker = root / "lib", root / "lib.complete"
    if marker.is_file() and lib.is_dir():
        return lib
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".lock"):
        if marker.is_file() and lib.is_dir():  # another process finished while we waited
            return lib
        mvn = shutil.which("mvn")
        if mvn is None:
            raise Neo4jServerError("Maven (`mvn`) is not on PATH; it is needed once to fetch Neo4j")
        for stale in root.glob("lib-*"):  # temp dirs of runs that were killed mid-download
            shutil.rmtree(stale, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix="lib-", dir=root) as tmp:
            pom, out = Path(tmp) / "pom.xml", Path(tmp) / "lib"
            pom.write_text(
                _POM_TEMPLATE.read_text(encoding="utf-8")
                .replace("@NEO4J_VERSION@", NEO4J_VERSION)
                .replace("@NEO4J_BROWSER_VERSION@", NEO4J_BROWSER_VERSION),
                encoding="utf-8",
            )
            goal = ["dependency:copy-dependencies", f"-DoutputDirectory={out}"]
            cmd = [mvn, "-q", "-B", "-f", str(pom), *goal]
            done = _run(cmd, "fetching Neo4j jars with Maven", timeout=1800)
            if not any(out.glob("*.jar")):
                raise Neo4jServerError(f"Maven fetched no jars:\n{_tail(done.stdout)}")
            if lib.exists():  # a copy without marker is from an interrupted run
                shutil.rmtree(lib)
            out.rename(lib)
        marker.write_text(f"neo4j {NEO4J_VERSION}, browser {NEO4J_BROWSER_VERSION}\n")
    return lib


def start(settings: Settings) -> ServerStatus:
    """Start the local server (or find it already running) and wait until Bolt answers."""
    _require_local(settings)
    home = _home(settings)
    (home / "run").mkdir(parents=True, exist_ok=True)
    with _locked(home / "run" / "kg-neo4j.lock"):
        pid = _live_pid(home)
        if pid is not None:  # ours already: at most wait for it to finish starting
            _wait_ready(settings, home, lambda: _live_pid(home) == pid)
            return _status(settings, home, pid, bolt_ready=True)
        for port, what in ((settings.bolt_port, "Bolt"), (settings.neo4j_http_port, "HTTP")):
            if not _port_free(port):
                raise Neo4jServerError(
                    f"{what} port 127.0.0.1:{port} is already in use by another process "
                    f"(not the kg Neo4j of {home}); stop it or choose another port "
                    "(NEO4J_URI / KG_NEO4J_HTTP_PORT)"
                )
        lib, java = provision(settings), _java()
        for sub in ("conf", "data", "logs", "plugins", "import"):
            (home / sub).mkdir(exist_ok=True)
        _write_conf(settings, home)
        env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
        if not (home / "data" / "databases" / "system").exists():  # never started yet
            password = settings.neo4j_password.get_secret_value()
            admin = [java, "-cp", f"{lib}/*", *_SET_PASSWORD, password]
            _run(admin, "setting the initial password", env=env)
        cmd = [
            java,
            "-cp",
            f"{home}/plugins/*:{home}/conf/*:{lib}/*",
            f"-Xms{settings.neo4j_heap}",
            f"-Xmx{settings.neo4j_heap}",
            *_JVM_FLAGS,
            *_class_archive_flags(lib, java, home),
            _ENTRY_POINT,
            f"--home-dir={home}",
            f"--config-dir={home}/conf",
            "--console-mode",
        ]
        user_log = home / "logs" / "neo4j.log"
        since = user_log.stat().st_size if user_log.is_file() else 0
        child = _spawn_detached(java, cmd, env, home / "logs" / "console.log")
        _pid_file(home).write_text(f"{child}\n")
        try:
            _wait_ready(settings, home, lambda: _child_running(child), since)
        except Neo4jServerError:
            if not _child_running(child):
                _pid_file(home).unlink(missing_ok=True)
            raise
        return _status(settings, home, child, bolt_ready=True)


def import_database(settings: Settings, arguments: list[str], timeout_s: float = 3600) -> str:
    """Run `neo4j-admin <arguments>` (such as `database import full ...`) on this home with
    the provisioned jars; the server must be stopped. Returns neo4j-admin's output."""
    _require_local(settings)
    home = _home(settings)
    (home / "run").mkdir(parents=True, exist_ok=True)
    with _locked(home / "run" / "kg-neo4j.lock"):
        if _live_pid(home) is not None:
            raise Neo4jServerError(f"the Neo4j of {home} is running: stop it before an import")
        lib, java = provision(settings), _java()
        for sub in ("conf", "data", "logs"):
            (home / sub).mkdir(exist_ok=True)
        _write_conf(settings, home)
        env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
        cmd = [java, *_JVM_FLAGS, "-cp", f"{lib}/*", "org.neo4j.cli.AdminTool"]
        done = _run([*cmd, *arguments], "neo4j-admin", env=env, timeout=timeout_s)
        return done.stdout


def stop(settings: Settings) -> bool:
    """Stop the server of this home; True if one was running."""
    home = _home(settings)
    if not (home / "run").is_dir():
        return False
    with _locked(home / "run" / "kg-neo4j.lock"):
        pid = _live_pid(home)
        if pid is not None:
            _signal_group(pid, signal.SIGTERM)  # Neo4j shuts down cleanly on SIGTERM
            if _wait_exit(pid, home, _STOP_GRACE_S):
                _keep_class_archive(home)
            else:
                log.warning(
                    "Neo4j (pid %d) ignored SIGTERM for %.0fs; killing it", pid, _STOP_GRACE_S
                )
                _signal_group(pid, signal.SIGKILL)
                if not _wait_exit(pid, home, 10.0):
                    raise Neo4jServerError(f"Neo4j (pid {pid}) survived SIGKILL")
        _pid_file(home).unlink(missing_ok=True)
        return pid is not None


def status(settings: Settings) -> ServerStatus:
    """Whether the server of this home runs, and whether Bolt answers a query."""
    home = _home(settings)
    pid = _live_pid(home)
    ready = False
    if pid is not None:
        with contextlib.suppress(DriverError, Neo4jError, OSError):
            _ping(settings)
            ready = True
    return _status(settings, home, pid, bolt_ready=ready)


def _status(settings: Settings, home: Path, pid: int | None, *, bolt_ready: bool) -> ServerStatus:
    http_url = f"http://127.0.0.1:{settings.neo4j_http_port}/browser/"
    running = pid is not None
    return ServerStatus(running, pid, settings.neo4j_uri, http_url, home, NEO4J_VERSION, bolt_ready)


def _class_archive_flags(lib: Path, java: str, home: Path) -> list[str]:
    """The JVM flags for the server's class-data archive (AppCDS): the classes Neo4j loads
    as it starts, mapped from one file instead of read from 200 jars and verified again, so
    a start takes about 3 s less. The first start without one writes it when the server
    stops (`_keep_class_archive`), once per Java for all homes: their plugins and conf
    folders hold no jars, so every server's class path is the same lib's. An archive the
    JVM cannot use is ignored with a warning in console.log, and the server starts without."""
    binary = Path(java).resolve()
    which = hashlib.sha256(f"{binary}:{binary.stat().st_mtime_ns}".encode()).hexdigest()[:12]
    archive = lib.parent / f"server-{which}.jsa"
    pending = home / "run" / "class-archive.pending"
    if pending.is_file():  # a server that never stopped cleanly: what it wrote is not whole
        Path(pending.read_text(encoding="utf-8").split()[0]).unlink(missing_ok=True)
        pending.unlink()
    if archive.is_file():
        return [f"-XX:SharedArchiveFile={archive}"]
    written = archive.with_name(f"{archive.stem}-{os.getpid()}.jsa.tmp")
    pending.write_text(f"{written}\n{archive}\n", encoding="utf-8")
    return [f"-XX:ArchiveClassesAtExit={written}"]


def _keep_class_archive(home: Path) -> None:
    """After a clean stop of a server that was writing the class-data archive, keep it."""
    pending = home / "run" / "class-archive.pending"
    if pending.is_file():
        written, archive = pending.read_text(encoding="utf-8").split()
        pending.unlink()
        if Path(written).is_file():
            os.replace(written, archive)


def _home(settings: Settings) -> Path:
    return settings.neo4j_home.expanduser().resolve()


def _pid_file(home: Path) -> Path:
    return home / "run" / "kg-neo4j.pid"


def is_local(settings: Settings) -> bool:
    """True when NEO4J_URI names this machine's server, the one `start` runs."""
    url = urlsplit(settings.neo4j_uri)
    return url.hostname in _LOCAL_HOSTS and url.scheme in {"bolt", "neo4j"}


def _require_local(settings: Settings) -> None:
    """A non-local NEO4J_URI names someone else's server: there is nothing for us to start."""
    if not is_local(settings):
        raise Neo4jServerError(
            f"NEO4J_URI={settings.neo4j_uri} is not a local bolt:// or neo4j:// address on "
            "127.0.0.1/localhost, so it names an external Neo4j: there is no local server "
            "to start or stop; unset NEO4J_URI to use the local one"
        )


def _java() -> str:
    """The `java` to run Neo4j with (JAVA_HOME first, then PATH); it must be 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if java is None:
        raise Neo4jServerError("Java 17+ is needed to run Neo4j: install it or set JAVA_HOME")
    out = _run([java, "-version"], "checking the Java version").stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(match.group(1)) if match else 0
    if major == 1 and match and match.group(2):  # "1.8.0_x" style
        major = int(match.group(2))
    if major < 17:
        raise Neo4jServerError(f"Neo4j {NEO4J_VERSION} needs Java 17+, but {java} is: {out!r}")
    return java


def _run(
    cmd: list[str], what: str, *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; fail with the tail of its output."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            cmd, env=env, stdin=DEVNULL, stdout=PIPE, stderr=STDOUT, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Neo4jServerError(f"{what} failed: {exc}") from exc
    if done.returncode != 0:
        raise Neo4jServerError(f"{what} failed (exit {done.returncode}):\n{_tail(done.stdout)}")
    return done


# Settings docker-compose.yml gives the official image too (tests/test_deploy_files.py checks).
SHARED_SETTINGS = {
    "dbms.usage_report.enabled": "false",
    "client.allow_telemetry": "false",
    # With keep-alive for requests on (the default, STREAMING), Neo4j tells drivers a receive
    # timeout, and the Python driver then runs every socket read under a timer task: that was
    # half of its CPU for a 100-row answer (docs/performance.md). kg's reads are bounded by
    # their transaction timeout (KG_QUERY_TIMEOUT) instead.
    "server.bolt.connection_keep_alive_for_requests": "OFF",
}


def _write_conf(settings: Settings, home: Path) -> None:
    """Rewritten on every start so that changed settings apply; only real 5.x keys."""
    bolt, http = settings.bolt_port, settings.neo4j_http_port
    conf = {
        "server.default_listen_address": "127.0.0.1",
        "server.default_advertised_address": "127.0.0.1",
        "server.bolt.listen_address": f"127.0.0.1:{bolt}",
        "server.bolt.advertised_address": f"127.0.0.1:{bolt}",
        "server.http.listen_address": f"127.0.0.1:{http}",
        "server.http.advertised_address": f"127.0.0.1:{http}",
        "server.https.enabled": "false",
        "server.memory.heap.initial_size": settings.neo4j_heap,
        "server.memory.heap.max_size": settings.neo4j_heap,
        "server.memory.pagecache.size": settings.neo4j_pagecache,
        **SHARED_SETTINGS,
        "dbms.security.auth_enabled": "true",
        "initial.dbms.default_database": settings.neo4j_database,  # used at first start only
        **{f"server.directories.{d}": d for d in ("data", "logs", "run", "plugins", "import")},
    }
    text = "# Written by kg on every `start`; edit kg settings instead.\n"
    text += "".join(f"{key}={value}\n" for key, value in conf.items())
    (home / "conf" / "neo4j.conf").write_text(text, encoding="utf-8")


def _ping(settings: Settings) -> None:
    """One real query over Bolt; a plain session so the driver does not retry behind our back."""
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with (
        GraphDatabase.driver(settings.neo4j_uri, auth=auth, connection_timeout=2.0) as driver,
        driver.session(database=settings.neo4j_database) as session,
    ):
        session.run("RETURN 1").consume()


def _wait_ready(
    settings: Settings, home: Path, alive: Callable[[], bool], log_offset: int = 0
) -> None:
    """Poll Bolt until it answers; fail fast if the server dies or refuses the password."""
    deadline = time.monotonic() + settings.neo4j_start_timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not alive():
            raise Neo4jServerError(f"Neo4j exited while starting.\n{_log_tails(home, log_offset)}")
        try:
            _ping(settings)
            return
        except AuthError as exc:
            raise Neo4jServerError(
                f"Neo4j is running but refused the password: the data in {home / 'data'} was "
                "created with another password; delete it or set NEO4J_PASSWORD "
                "(`stop` stops this server)"
            ) from exc
        except (DriverError, Neo4jError, OSError) as exc:  # not up yet
            last = exc
        time.sleep(0.5)
    raise Neo4jServerError(
        f"Neo4j did not answer on {settings.neo4j_uri} within "
        f"{settings.neo4j_start_timeout_s:.0f}s (last error: {last}); it may still be "
        f"starting, `stop` stops it.\n{_log_tails(home, log_offset)}"
    )


def _live_pid(home: Path) -> int | None:
    """The pid in our pid file if that process is alive and is Neo4j for this home."""
    try:
        pid = int(_pid_file(home).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _is_our_server(pid, home) else None


def _is_our_server(pid: int, home: Path) -> bool:
    """Checks the command line too, since a stale pid may have been reused by another process."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our exited child, or it lingers as zombie
    try:  # Linux: /proc holds the command line, NUL-separated
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    return _ENTRY_POINT in args and f"--home-dir={home}" in args


def _spawn_detached(java: str, cmd: list[str], env: dict[str, str], console: Path) -> int:
    """Start the server in its own session, output to `console`, so it outlives this process.

    posix_spawn rather than subprocess.Popen: we never wait on a Popen we leave running,
    and Python would warn "subprocess is still running" when it is collected.
    """
    out = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(console), out, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    # Python ignores SIGPIPE/SIGXFSZ and a caller may ignore SIGTERM; the JVM needs defaults.
    defaults = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM, signal.SIGINT)
    try:
        return os.posix_spawn(java, cmd, env, file_actions=actions, setsid=True, setsigdef=defaults)
    except OSError as exc:
        raise Neo4jServerError(f"could not run {java}: {exc}") from exc


def _child_running(pid: int) -> bool:
    """Our own child: reaps it once it has exited."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == 0
    except ChildProcessError:
        return False


def _wait_exit(pid: int, home: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _is_our_server(pid, home):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """The server leads its own process group (start_new_session), so signal all of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT leftovers
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock, so that concurrent `start`/`stop`/provisioning take turns."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _log_tails(home: Path, log_offset: int) -> str:
    """console.log holds only this start; neo4j.log keeps history, so skip what came before."""
    parts = []
    for path, offset in (
        (home / "logs" / "console.log", 0),
        (home / "logs" / "neo4j.log", log_offset),
    ):
        with contextlib.suppress(OSError), path.open("rb") as handle:
            handle.seek(offset)
            if text := handle.read().decode(errors="replace").strip():
                parts.append(f"--- last lines of {path} ---\n{_tail(text)}")
    return "\n".join(parts) or f"(nothing in the logs of {home / 'logs'})"
