"""Write one `## ` section of a markdown file, keeping the rest (shared by the bench scripts)."""

from __future__ import annotations

from pathlib import Path


def write_section(path: Path, heading: str, body: str) -> None:
    """Replace the section that starts with `## {heading}` (up to the next `## `), or append it.

    `body` is the section's text after its heading line.
    """
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    title = f"## {heading}"
    section = [title, "", *body.strip("\n").splitlines(), ""]
    if title in lines:
        start = lines.index(title)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = section
    else:
        if lines and lines[-1].strip():
            lines.append("")
        lines.extend(section)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
