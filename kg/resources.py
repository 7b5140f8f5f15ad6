"""Where the declarative schema files live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def schema_dir() -> Path:
    """The `schema/` folder: bundled in the wheel as `kg/_schema`, else the repo's own."""
    bundled = _PACKAGE_DIR / "_schema"
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / "schema"


def schema_file(name: str) -> Path:
    """A file of the `schema/` folder, by name."""
    return schema_dir() / name
