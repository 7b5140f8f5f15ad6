"""The gazetteer: known entities (countries, leaders, ministries, state media...) as data.

`schema/gazetteer.json` holds them; ids follow the ontology's rule (a slug of the canonical
name) and are the ids every extractor must use, so the same real thing has one id in every
article. Surface forms are the name, the aliases and, for countries, the demonyms.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kg.domain import Entity
from kg.ontology import entity_types, relation_types
from kg.resources import schema_file


@dataclass(frozen=True)
class GazetteerEntry:
    """A known entity and what the gazetteer knows about it."""

    id: str
    type: str
    name: str
    aliases: tuple[str, ...] = ()
    wikidata: str | None = None
    description: str | None = None
    country: str | None = None
    """For people, bodies, outlets, places: the id of the country they belong to."""
    office: str | None = None
    """For people: the office held ("President", "Foreign Minister")."""
    office_relation: str | None = None
    """For people: LEADER_OF or OFFICIAL_OF the country; for bodies, outlets: PART_OF, ..."""
    demonyms: tuple[str, ...] = ()
    """For countries: "Russian", "North Korean"."""
    capital: str | None = None
    """For countries: the id of the capital (a Place entry)."""

    def entity(self) -> Entity:
        return Entity(self.id, self.type, self.name, self.aliases, self.wikidata, self.description)


_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")


class Gazetteer:
    """Entries by id, and a lookup from every surface form to its entry."""

    def __init__(self, entries: list[GazetteerEntry]) -> None:
        types, rel_types = set(entity_types()), set(relation_types())
        self.entries: dict[str, GazetteerEntry] = {}
        for entry in entries:
            if not _SLUG.fullmatch(entry.id):
                raise ValueError(f"gazetteer id {entry.id!r} is not a slug")
            if entry.type not in types:
                raise ValueError(f"gazetteer entry {entry.id!r} has unknown type {entry.type!r}")
            if entry.office_relation and entry.office_relation not in rel_types:
                raise ValueError(f"gazetteer entry {entry.id!r}: unknown {entry.office_relation!r}")
            if entry.id in self.entries:
                raise ValueError(f"gazetteer id {entry.id!r} appears twice")
            self.entries[entry.id] = entry
        for entry in entries:
            for ref in (entry.country, entry.capital):
                if ref is not None and ref not in self.entries:
                    raise ValueError(f"gazetteer entry {entry.id!r} refers to unknown {ref!r}")
        self._forms: dict[str, GazetteerEntry] = {}
        for entry in entries:
            for form in (entry.name, *entry.aliases, *entry.demonyms):
                self._forms.setdefault(form, entry)

    @classmethod
    def from_file(cls, path: Path) -> Gazetteer:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            [
                GazetteerEntry(
                    **{
                        **raw,
                        "aliases": tuple(raw.get("aliases", ())),
                        "demonyms": tuple(raw.get("demonyms", ())),
                    }
                )
                for raw in data["entities"]
            ]
        )

    def get(self, entity_id: str) -> GazetteerEntry | None:
        return self.entries.get(entity_id)

    def lookup(self, surface: str) -> GazetteerEntry | None:
        """The entry a surface form names exactly ("Putin", "Kremlin", "North Korean")."""
        return self._forms.get(surface)

    def surface_forms(self) -> list[tuple[str, GazetteerEntry]]:
        """Every surface form with its entry, longest first (so longer names win)."""
        return sorted(self._forms.items(), key=lambda item: (-len(item[0]), item[0]))


@cache
def default_gazetteer() -> Gazetteer:
    """The project's gazetteer, schema/gazetteer.json (read once)."""
    return Gazetteer.from_file(schema_file("gazetteer.json"))
