"""Re-run every GraphQL example of the README against a running API and compare the answers.

Usage: .venv/bin/python docs/check_readme.py [http://127.0.0.1:8000/graphql]
Answers shown in ```jsonc blocks are compared after dropping `// ...` comment lines; an
example whose answer was trimmed (it has such comments) must contain what the README shows.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```graphql\n(.*?)```\s*\n```jsonc?\n(.*?)```", re.S)


def ask(url: str, query: str) -> Any:
    request = urllib.request.Request(  # noqa: S310 - a URL the user gives
        url, json.dumps({"query": query}).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.load(response)


def contains(actual: Any, shown: Any) -> bool:
    """True when everything shown is in the actual answer (lists: shown items in order)."""
    if isinstance(shown, dict):
        return isinstance(actual, dict) and all(
            k in actual and contains(actual[k], v) for k, v in shown.items()
        )
    if isinstance(shown, list):
        remaining = iter(actual if isinstance(actual, list) else [])
        return all(any(contains(a, s) for a in remaining) for s in shown)
    return bool(actual == shown)


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/graphql"
    failures = 0
    for number, (query, answer) in enumerate(BLOCK.findall(README.read_text()), 1):
        trimmed = "//" in answer
        text = "\n".join(line for line in answer.splitlines() if not line.strip().startswith("//"))
        text = re.sub(r",(\s*[}\]])", r"\1", text)  # trailing commas left by trimmed lines
        shown = json.loads(text)
        actual = ask(url, query)
        ok = contains(actual, shown) if trimmed else actual == shown
        failures += not ok
        print(f"example {number}: {'ok' if ok else 'DIFFERS'}{' (trimmed)' if trimmed else ''}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
