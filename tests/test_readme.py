"""Every GraphQL example in the README returns, from the seeded graph, what the README shows."""

from __future__ import annotations

import importlib.util
import json
import re
from types import ModuleType

import httpx
import pytest

from kg.store import GraphStore
from tests.conftest import ROOT


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_readme", ROOT / "docs" / "check_readme.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKER = _checker()
EXAMPLES = CHECKER.BLOCK.findall(CHECKER.README.read_text(encoding="utf-8"))


def test_the_readme_has_graphql_examples() -> None:
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize(
    ("query", "answer"), EXAMPLES, ids=[f"ex{i + 1}" for i in range(len(EXAMPLES))]
)
async def test_readme_example_answers_as_shown(
    seeded: GraphStore, client: httpx.AsyncClient, query: str, answer: str
) -> None:
    trimmed = "//" in answer
    text = "\n".join(line for line in answer.splitlines() if not line.strip().startswith("//"))
    shown = json.loads(re.sub(r",(\s*[}\]])", r"\1", text))
    response = await client.post("/graphql", json={"query": query})
    actual = response.json()
    if trimmed:
        assert CHECKER.contains(actual, shown)
    else:
        assert actual == shown
