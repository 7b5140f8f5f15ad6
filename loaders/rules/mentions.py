"""Entity mentions: where each sentence names or refers to an entity, and the article's entities.

Sources, in order: the gazetteer's proper names, titled people ("Russian President Vladimir
Putin"), acronyms defined in the text ("Korean Central News Agency (KCNA)"), delegations,
military forces and weapons named with a demonym, treaties ("a defense pact", "the deal" refer
back to the article's treaty), short forms of people already named ("Kozlov"), and "the two
countries".
"""

from __future__ import annotations

from collections import Counter

from kg.domain import Sentence
from loaders.rules.names import (
    SentenceMentions,
    acronyms,
    appositive_people,
    delegations,
    described_places,
    descriptors,
    forces,
    known_names,
    ministries,
    short_forms,
    titled_people,
    treaties,
    two,
    weapons,
)
from loaders.rules.table import LEADER_TITLES, EntityTable, Mention

__all__ = ["LEADER_TITLES", "EntityTable", "Mention", "find_mentions"]


def find_mentions(
    sentences: tuple[Sentence, ...], text: str, table: EntityTable
) -> dict[int, list[Mention]]:
    """Mentions per sentence index; fills `table` with the article's entities."""
    found: dict[int, list[Mention]] = {}
    country_counts: Counter[str] = Counter()
    for sentence in sentences:
        s = SentenceMentions(table, text, sentence.text, sentence.start)
        # Most specific first: a span taken by an earlier pass is not taken again.
        for single_pass in (
            titled_people,
            appositive_people,
            ministries,
            described_places,
            acronyms,
            delegations,
            known_names,
            forces,
            weapons,
            descriptors,
        ):
            single_pass(s)
        treaties(s, country_counts)
        short_forms(s)
        for mention in s.mentions:
            kind = table.type_of(mention.entity_id)
            home = (
                mention.entity_id
                if kind == "Country"
                else (mention.country or table.country_of(mention.entity_id))
            )
            if home:
                country_counts[home] += 1
        two(s, country_counts)
        # People named in full lend their surname to the rest of the article.
        for mention in s.mentions:
            entity = table.entities[mention.entity_id]
            if entity.type == "Person":
                table.local_forms.setdefault(entity.name.split()[-1], entity.id)
        found[sentence.index] = sorted(s.mentions, key=lambda m: (m.start, m.end))
    return found
