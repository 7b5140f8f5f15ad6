"""One sentence as the relation patterns see it: its mentions, clause-aware lookups before and
after a trigger, and the Draft relations the patterns (patterns.py) return."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from kg.domain import Sentence
from loaders.rules.mentions import EntityTable, Mention

TOPICS = (
    "trade",
    "economy",
    "economic",
    "science",
    "technology",
    "energy",
    "security",
    "military",
    "defence",
    "defense",
    "nuclear",
    "sanctions",
    "agriculture",
    "tourism",
    "education",
    "culture",
    "health",
    "transport",
)
SPECULATIVE = re.compile(
    r"\b(?:fear|fears|feared|may|might|could|would|suggest\w*|"
    r"speculat\w*|expected to|likely|possibly|perhaps|believe\w*)\b"
)
ALLEGED = re.compile(r"\b(?:accus\w+|alleged\w*|reportedly|claim\w*|purported\w*)\b")
DENIED = re.compile(r"\b(?:denied|deny|denies|denying|rejected|dismissed)\b")
_CLAUSE_END = re.compile(r"[;:]|,\s+(?:while|whereas|although|but|as|with|which)\b")


@dataclass
class Draft:
    """A relation found in a sentence, before it becomes an interchange entry."""

    type: str
    subject: str
    object: str
    trigger: int
    status: str = "reported"
    attributed_to: list[str] = field(default_factory=list)
    quantity: float | None = None
    quantity_qualifier: str | None = None
    place: str | None = None
    topics: list[str] = field(default_factory=list)
    claim: str | None = None
    as_: str | None = None
    role: str | None = None
    dated: bool = True


class SentenceContext:
    """One sentence with its mentions, and the helpers the patterns share."""

    def __init__(self, sentence: Sentence, mentions: list[Mention], table: EntityTable) -> None:
        self.sentence = sentence
        self.text = sentence.text
        self.base = sentence.start
        self.mentions = mentions
        self.table = table

    def typed(self, types: frozenset[str] | set[str]) -> list[Mention]:
        """Mentions of these types; a capital stands for its state where a Country is wanted
        and a Place is not ("a pact with Moscow")."""
        found = []
        for mention in self.mentions:
            kind = self.table.type_of(mention.entity_id)
            if "*" in types or kind in types:
                found.append(mention)
            elif kind == "Place" and "Country" in types and "Place" not in types:
                state = self.table.capital_of(mention.entity_id)
                if state is not None:
                    found.append(replace(mention, entity_id=state))
        return found

    def _clause_start(self, at: int) -> int:
        starts = [m.end() for m in _CLAUSE_END.finditer(self.text, 0, at)]
        return starts[-1] if starts else 0

    def before(self, at: int, types: frozenset[str] | set[str], many: bool = False) -> list[str]:
        """Mentions of these types before `at` in its clause, nearest first (or all, joined)."""
        start = self._clause_start(at)
        found = [m for m in self.typed(types) if start <= m.end - self.base <= at]
        if not found:
            return []
        if not many:
            return [found[-1].entity_id]
        # "The United States and South Korea have accused": every coordinated subject.
        group = [found[-1]]
        for mention in reversed(found[:-1]):
            if mention.entity_id == group[-1].entity_id:  # "Russian President" "Vladimir Putin"
                group[-1] = mention
                continue
            between = self.text[mention.end - self.base : group[-1].start - self.base]
            # "Kim and Russian President Vladimir Putin": a title may stand before the name.
            if re.fullmatch(r"\s*(?:,|and|, and|&)\s*(?:[A-Z][\w'’.-]*\s+)*", between):
                group.append(mention)
            else:
                break
        return list(dict.fromkeys(m.entity_id for m in reversed(group)))

    def after(self, at: int, types: frozenset[str] | set[str], many: bool = False) -> list[str]:
        ends = [m.start() for m in _CLAUSE_END.finditer(self.text, at)]
        stop = ends[0] if ends else len(self.text)
        found = [m for m in self.typed(types) if at <= m.start - self.base < stop]
        if not found:
            return []
        # "test-fired ballistic missiles and a new solid-fuel ICBM": the coordinated objects.
        group = [found[0]]
        for mention in found[1:] if many else ():
            between = self.text[group[-1].end - self.base : mention.start - self.base]
            if mention.entity_id == group[-1].entity_id or re.fullmatch(
                r"\s*(?:,|and|, and|&|or)\s*(?:(?:a|an|the|its|their|new|[a-z]+-[a-z]+)\s+)*"
                r"(?:[A-Z][\w'’.-]*\s+)*",
                between,
            ):
                group.append(mention)
            else:
                break
        return list(dict.fromkeys(m.entity_id for m in group))

    def country_of(self, entity_id: str) -> str | None:
        if self.table.type_of(entity_id) == "Country":
            return entity_id
        for mention in self.mentions:
            if mention.entity_id == entity_id and mention.country:
                return mention.country
        return self.table.country_of(entity_id)
