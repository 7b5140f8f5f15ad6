"""The article's entity table, mentions, and what the gazetteer says about states: the shared
ground of the naming passes (names.py) and the relation patterns (relations.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache

from kg.domain import Entity
from loaders.gazetteer import Gazetteer, GazetteerEntry

NAME = r"[A-Z][a-zà-ÿ'’-]+(?:[ -][A-Z][a-zà-ÿ'’-]+){1,2}"
LEADER_TITLES = (
    "Supreme Leader",
    "President",
    "Prime Minister",
    "Premier",
    "Chancellor",
    "leader",
    "King",
)
OFFICE = (
    r"(?:Deputy |First Deputy |Vice )?(?:Foreign|Defen[cs]e|Finance|Interior|Trade|Economy|"
    r"Energy|Unification|Justice|Emergency|Health) Minister|"
    r"(?:Deputy |First Deputy )?Minister (?:of|for) "
    r"[A-Z][A-Za-z]+(?:,? (?:and |of )?[A-Z][A-Za-z]+)*|"
    r"Secretary of State|Defen[cs]e Secretary|Foreign Secretary|Security Council Secretary|"
    r"Vice President|National Security Advis[eo]r|Ambassador(?: to [A-Z][a-z]+(?: [A-Z][a-z]+)?)?|"
    r"(?:Kremlin |Foreign Ministry |Pentagon |White House )?[Ss]pokes(?:man|woman|person)|"
    r"Chief of (?:the )?General Staff|Secretary[- ]General"
)


@dataclass(frozen=True)
class Mention:
    """An entity named or referred to at [start, end) of the article text."""

    start: int
    end: int
    entity_id: str
    title: str | None = None
    """For a titled person: the title before the name ("Russian President")."""
    country: str | None = None
    """The country a demonym or possessive before the mention names ("Russia's ...")."""


@dataclass
class EntityTable:
    """The entities of one article, as found so far."""

    gazetteer: Gazetteer
    entities: dict[str, Entity] = field(default_factory=dict)
    info: dict[str, GazetteerEntry] = field(default_factory=dict)
    local_forms: dict[str, str] = field(default_factory=dict)
    treaty: str | None = None
    delegations: list[tuple[str, str]] = field(default_factory=list)

    def add(self, entity: Entity, surface: str | None = None) -> str:
        known = self.entities.get(entity.id)
        if known is None:
            self.entities[entity.id] = known = entity
        if surface and surface != known.name and surface not in known.aliases:
            self.entities[entity.id] = replace(known, aliases=(*known.aliases, surface))
        return entity.id

    def add_known(self, entry: GazetteerEntry, surface: str | None = None) -> str:
        self.info[entry.id] = entry
        return self.add(entry.entity(), surface)

    def type_of(self, entity_id: str) -> str:
        return self.ensure(entity_id).type

    def ensure(self, entity_id: str) -> Entity:
        """The article's entity of this id, taken from the gazetteer when first used (a country
        named only by a demonym or a possessive)."""
        if entity_id not in self.entities:
            entry = self.gazetteer.get(entity_id)
            if entry is None:
                raise KeyError(entity_id)
            self.add_known(entry)
        return self.entities[entity_id]

    def capital_of(self, place_id: str) -> str | None:
        """The country whose capital this place is, registered as an entity of the article."""
        for entry in self.gazetteer.entries.values():
            if entry.type == "Country" and entry.capital == place_id:
                return self.add_known(entry)
        return None

    def country_of(self, entity_id: str) -> str | None:
        entry = self.info.get(entity_id) or self.gazetteer.get(entity_id)
        if entry is not None:
            return entry.country
        return next((c for d, c in self.delegations if d == entity_id), None)


@cache
def gazetteer_pattern(gazetteer: Gazetteer) -> re.Pattern[str]:
    # Proper names only: lower-case aliases ("the deal", "soldiers") mean something else in
    # every other article.
    forms = [f for f, _ in gazetteer.surface_forms() if f[:1].isupper() or f[:1].isdigit()]
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])")


def demonyms(gazetteer: Gazetteer) -> dict[str, str]:
    return {
        form: entry.id
        for entry in gazetteer.entries.values()
        if entry.type == "Country"
        for form in (*entry.demonyms, entry.name + "'s", entry.name + "’s", entry.name)
    }


@cache
def _country_prefix(gazetteer: Gazetteer) -> re.Pattern[str]:
    forms = sorted(demonyms(gazetteer), key=len, reverse=True)
    return re.compile(r"(?:" + "|".join(re.escape(f) for f in forms) + r")\s*$")


def country_before(gazetteer: Gazetteer, text: str, start: int) -> str | None:
    """The country named by a demonym or possessive right before `start` ("Russia's ...")."""
    window = text[max(0, start - 40) : start]
    found = _country_prefix(gazetteer).search(window.rstrip() + "") if window.strip() else None
    if found is None or window[found.end() :].strip():
        return None
    return demonyms(gazetteer).get(found.group(0).strip())


def overlaps(mentions: list[Mention], start: int, end: int) -> bool:
    return any(m.start < end and start < m.end for m in mentions)
