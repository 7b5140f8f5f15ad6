"""Dependencies point one way: loaders/ builds on kg's core, the entry points (kg.api, kg.cli)
sit on top; the core imports neither, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINTS = {"kg/cli.py", "kg/__main__.py"}
CORE = sorted(
    path
    for path in (ROOT / "kg").rglob("*.py")
    if path.relative_to(ROOT).as_posix() not in ENTRY_POINTS
    and not path.relative_to(ROOT).as_posix().startswith("kg/api/")
)


def _imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function bodies included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_the_core_is_what_the_check_looks_at() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in CORE}
    assert {"kg/config.py", "kg/domain.py", "kg/store/graph_store.py"} <= names


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_core_imports_neither_loaders_nor_the_entry_points(path: Path) -> None:
    upward = {
        name
        for name in _imported(path)
        if name.split(".")[0] == "loaders" or name.startswith(("kg.api", "kg.cli"))
    }
    assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}"
