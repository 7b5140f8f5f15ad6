"""The naming passes: each finds one kind of mention in a sentence ("Russian President
Vladimir Putin", "Korean Central News Agency (KCNA)", "South Korea's Unification Ministry",
"a Russian military academy delegation", "the deal", "the two countries")."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from kg.domain import Entity
from kg.ids import slugify
from loaders.rules.table import (
    LEADER_TITLES,
    NAME,
    OFFICE,
    EntityTable,
    Mention,
    country_before,
    demonyms,
    gazetteer_pattern,
    overlaps,
)

_WEAPON = re.compile(
    r"\b(?:(?:new|advanced|hypersonic|cruise|tactical|strategic|[a-z]+-(?:range|fuel|capable))"
    r"\s+)*"
    r"(?:intercontinental ballistic missiles?|ballistic missiles?|cruise missiles?|ICBMs?|"
    r"hypersonic missiles?|artillery shells|multiple rocket launcher systems?|rocket launchers?|"
    r"drones|nuclear weapons? program(?:me)?s?)"
)
_TREATY = re.compile(
    r"\b(?:(?:a|the|this|that|their|its)\s+)?(?:(?:new|landmark|mutual|comprehensive|strategic|"
    r"partnership|defen[cs]e|security|military|peace|bilateral)\s+){0,4}(?:treaty|pact|deal|"
    r"agreement|accord)\b"
)
_ACRONYM = re.compile(
    r"((?:[A-Z][\w'’.-]*|of|for|and|the)(?: (?:[A-Z][\w'’.-]*|of|for|and|the))*)"
    r" \(([A-Z][A-Z0-9.&-]{1,9})\)"
)
_DELEGATION = re.compile(
    r"\b(?:(?:[Aa]n?|[Tt]he)\s+(?:separate\s+)?(?:[A-Z][\w-]*\s+)?|[A-Z][\w-]*\s+)"
    r"(?:[a-z]+\s+){0,2}delegation\b"
)
_TWO = re.compile(r"\b(?:the two|both) (?:countries|nations|sides|states|neighbou?rs)\b")


def _delegation(table: EntityTable, text: str, match: re.Match[str]) -> tuple[str, str] | None:
    """A delegation's entity and country: "a Russian military academy delegation", or "a
    delegation" that a known person leads ("Kozlov, who is leading a delegation")."""
    gazetteer = table.gazetteer
    phrase = re.sub(r"^(?:A|a|An|an|The|the)\s+(?:separate\s+)?", "", match.group(0)).strip()
    country = next((c for d, c in demonyms(gazetteer).items() if phrase.startswith(d + " ")), None)
    leader_name = None
    led = re.match(rf"[^.;]*?\b(?:led|headed) by\s+({NAME}|[A-Z][a-z]+)", text[match.end() :])
    leading = re.search(
        r"([A-Z][a-z]+(?: [A-Z][a-z]+)*),? (?:who is |is )?(?:leading|heading)\s+$",
        text[: match.start()],
    )
    if led or leading:
        leader_name = (led or leading).group(1)  # type: ignore[union-attr]  # one of them matched
    person = None
    if leader_name:
        person = table.local_forms.get(leader_name)
        if person is None and (entry := gazetteer.lookup(leader_name)) is not None:
            person = table.add_known(entry)
    if country is None and person is not None:
        country = table.country_of(person)
    # "The delegation arrived", "the Russian military delegation": the one already named.
    earlier = [d for d, c in table.delegations if country in (None, c)]
    generic = len(phrase.split()) <= 3 and not re.search(
        r"\b(?:separate|another|second|new|other)\b", match.group(0), re.IGNORECASE
    )
    if person is None and earlier and generic:
        return earlier[-1], table.country_of(earlier[-1]) or country or ""
    if country is None:
        return None
    if person is not None:  # a delegation is known by its leader: "kozlov-delegation"
        full = table.entities[person].name
        demonym = (gazetteer.get(country).demonyms or ("",))[0]  # type: ignore[union-attr]
        entity = Entity(
            f"{slugify(full.split()[-1])}-delegation",
            "Organization",
            f"{demonym} delegation led by {full}".strip(),
            tuple(dict.fromkeys((f"{demonym} delegation", phrase))),
        )
    elif phrase == "delegation":
        return None
    else:
        entity = Entity(slugify(phrase), "Organization", phrase, ())
    entity_id = table.add(entity, phrase)
    table.delegations.append((entity_id, country))
    return entity_id, country


def _two_countries(table: EntityTable, mentions: list[Mention], counts: Counter[str]) -> list[str]:
    """ "The two countries": those of this sentence's people and places, else the article's two
    most named."""
    here: list[str] = []
    for mention in mentions:
        kind = table.type_of(mention.entity_id)
        home = (
            mention.entity_id
            if kind == "Country"
            else (mention.country or table.country_of(mention.entity_id))
        )
        if home and home not in here:
            here.append(home)
    if len(here) == 2:
        return here
    return [country for country, _ in counts.most_common(2)]


def _weapon_entity(table: EntityTable, phrase: str, owner: str | None) -> Entity:
    """A weapon named after its owner: "North Korean ballistic missiles". The gazetteer's
    entry wins, tried with fewer modifiers ("close-range ballistic missiles" are ballistic
    missiles) before a new entity is made."""
    core = re.sub(r"^(?:(?:new|advanced)\s+)+", "", phrase)
    core = re.sub(r"intercontinental ballistic missiles?", "ICBM", core)
    owner_entry = table.gazetteer.get(owner) if owner else None
    demonym = owner_entry.demonyms[0] if owner_entry and owner_entry.demonyms else ""
    name = f"{demonym} {core}".strip()
    bare = re.sub(r"\b[a-z]+-range\s+", "", name)
    for candidate in (name, bare, core):
        entry = table.gazetteer.lookup(candidate)
        if entry is not None and entry.type == "WeaponSystem":
            table.info[entry.id] = entry
            return replace(entry.entity(), aliases=(*entry.aliases, phrase))
    return Entity(slugify(name), "WeaponSystem", name, (phrase,))


@dataclass
class SentenceMentions:
    """The mentions found so far in one sentence; `add` keeps the first of overlapping ones."""

    table: EntityTable
    article_text: str
    text: str
    base: int
    mentions: list[Mention] = field(default_factory=list)

    def add(self, start: int, end: int, entity_id: str, **extra: str | None) -> None:
        if not overlaps(self.mentions, self.base + start, self.base + end):
            self.mentions.append(Mention(self.base + start, self.base + end, entity_id, **extra))

    def country_before(self, start: int) -> str | None:
        return country_before(self.table.gazetteer, self.article_text, self.base + start)


def titled_people(s: SentenceMentions) -> None:
    """The title tells the office and the country, the name the person."""
    titles = "|".join(LEADER_TITLES) + "|" + OFFICE
    for match in re.finditer(rf"(?P<title>(?:{titles}))\s+(?P<name>{NAME})", s.text):
        name = match["name"]
        entry = s.table.gazetteer.lookup(name)
        entity_id = (
            s.table.add_known(entry, name)
            if entry
            else s.table.add(Entity(slugify(name), "Person", name, ()))
        )
        country = s.country_before(match.start("title"))
        s.add(
            match.start("name"), match.end("name"), entity_id, title=match["title"], country=country
        )


_APPOSITIVE_ROLE = (
    r"(?i:(?:(?:deputy|first deputy|vice|senior|former|acting) )?(?:minister|president|premier|"
    r"prime minister|ambassador|general secretary|secretary|chairman|vice-chairman|spokes\w+|"
    r"chief|director|commander|head|leader|member))\b"
)


def appositive_people(s: SentenceMentions) -> None:
    """ "Andrei Belousov, minister of Defence of the Russian Federation": the person, with the
    roles that follow the comma (split at 'and') as the title."""
    pattern = (
        rf"(?P<name>{NAME}),\s+(?:the\s+)?(?P<title>(?:[A-Z][a-z]+\s+)?{_APPOSITIVE_ROLE}[^,;.]*)"
    )
    for match in re.finditer(pattern, s.text, flags=re.IGNORECASE if False else 0):
        name = match["name"]
        entry = s.table.gazetteer.lookup(name)
        if entry is None and s.table.local_forms.get(name) is None and len(name.split()) < 2:
            continue
        entity_id = s.table.local_forms.get(name) or (
            s.table.add_known(entry, name)
            if entry
            else s.table.add(Entity(slugify(name), "Person", name, ()))
        )
        s.add(
            match.start("name"),
            match.end("name"),
            entity_id,
            title=match["title"].strip(),
            country=_country_in(s.table, match["title"]),
        )


def _country_in(table: EntityTable, words: str) -> str | None:
    """The state a title names: "Russian ambassador to the DPRK" is Russia's, "minister of
    Defence of the Russian Federation" Russia's."""
    found = [
        (m.start(), e)
        for m in gazetteer_pattern(table.gazetteer).finditer(words)
        if (e := table.gazetteer.lookup(m.group(0))) and e.type == "Country"
    ]
    if not found:
        return None
    before_to = [
        e
        for at, e in found
        if " to " not in words[:at] or words[:at].startswith(e.demonyms[0] if e.demonyms else "\0")
    ]
    chosen = (
        before_to[0]
        if re.search(r"\bambassador to\b", words, re.I) and before_to
        else (found[-1][1])
    )
    return table.add_known(chosen)


_MINISTRY = re.compile(
    r"\b(?:(?P<field1>[A-Z][a-z]+(?: [A-Z][a-z]+)?|foreign|defen[cs]e) [Mm]inistry|"
    r"Ministry of (?P<field2>[A-Z][a-z]+"
    r"(?: (?:and |of )?[A-Z][a-z]+)*?))(?: of (?:the )?(?P<suffix>[A-Z][\w']+(?: [A-Z][\w']+)*))?\b"
)
_FIELDS = {
    "Foreign": "Foreign Affairs",
    "Defense": "Defence",
    "Defence": "Defence",
    "National Defense": "National Defence",
}


def ministries(s: SentenceMentions) -> None:
    """ "South Korea's Unification Ministry", "the Ministry of Defence of the Russian
    Federation": one id per state and field ("south-korean-ministry-of-unification")."""
    gazetteer = s.table.gazetteer
    for match in _MINISTRY.finditer(s.text):
        field_name = (match["field1"] or match["field2"]).title()
        country = s.country_before(match.start())
        end = match.end("field1") if match["field1"] else match.end("field2")
        if (
            match["suffix"]
            and (entry := gazetteer.lookup(match["suffix"])) is not None
            and entry.type == "Country"
        ):
            country, end = s.table.add_known(entry), match.end()
        if country is None or (known := gazetteer.get(country)) is None:
            continue
        demonym = known.demonyms[0] if known.demonyms else known.name
        field_name = _FIELDS.get(field_name, field_name)
        names = [
            f"{demonym} Ministry of {field_name}",
            f"{demonym} Ministry of {field_name.replace('Defence', 'Defense')}",
        ]
        entry = next((e for n in names if (e := gazetteer.lookup(n)) is not None), None)
        entity_id = (
            s.table.add_known(entry)
            if entry
            else s.table.add(Entity(slugify(names[0]), "GovernmentBody", names[0], ()))
        )
        s.add(match.start(), end, entity_id, country=country)


# Case-blind role words, but the look-ahead must see a real capital: "minister Ivan X" names.
_DESCRIPTOR = re.compile(
    r"\b(?P<role>(?i:leader|president|prime minister|premier|foreign minister|"
    r"defen[cs]e minister))\b(?!,?\s+[A-Z])"
)


def descriptors(s: SentenceMentions) -> None:
    """ "the North Korean leader", "Russia's foreign minister": the one person the gazetteer
    (or, among several, the article so far) has in that office of that state."""
    gazetteer = s.table.gazetteer
    for match in _DESCRIPTOR.finditer(s.text):
        country = s.country_before(match.start())
        if country is None:
            continue
        role = match["role"].lower().replace("defense", "defence")
        office_words = {role, "leader"} if role == "leader" else {role}
        candidates = [
            e
            for e in gazetteer.entries.values()
            if e.type == "Person"
            and e.country == country
            and e.office
            and e.office.lower().replace("defense", "defence") in office_words
        ]
        if len(candidates) > 1:
            candidates = [e for e in candidates if e.id in s.table.entities]
        if len(candidates) == 1:
            start = match.start()
            s.add(start, match.end(), s.table.add_known(candidates[0]), country=country)


_PLACE = re.compile(
    r"\b(?P<place>[A-Z][a-z]+(?: [A-Z][a-z]+)?), (?:a|an|the) (?P<kind>(?:[\w-]+ ){0,3}"
    r"(?:capital|city|town|port|village|region|province|county|district))\b[^,.;]*?"
    r"\b(?:of|in|on)\s+(?:the\s+)?"
)


def described_places(s: SentenceMentions) -> None:
    """ "Wonsan, a port city on North Korea's east coast": a place, and the state it is in."""
    gazetteer = s.table.gazetteer
    for match in _PLACE.finditer(s.text):
        rest = s.text[match.end() :]
        owner = next(
            (d for d in sorted(demonyms(gazetteer), key=len, reverse=True) if rest.startswith(d)),
            None,
        )
        if owner is None:
            continue
        name = match["place"]
        entry = gazetteer.lookup(name)
        entity = entry.entity() if entry else Entity(slugify(name), "Place", name, ())
        s.add(
            match.start("place"),
            match.end("place"),
            s.table.add(entity, name),
            country=demonyms(gazetteer)[owner],
            title=match["kind"],
        )


def acronyms(s: SentenceMentions) -> None:
    """ "Korean Central News Agency (KCNA)": the short form names it in the rest of the text."""
    for match in _ACRONYM.finditer(s.text):
        long_name, short = match.group(1).removeprefix("the "), match.group(2)
        prefix = next(
            (
                d
                for d in sorted(demonyms(s.table.gazetteer), key=len, reverse=True)
                if long_name.startswith(d + " ")
            ),
            None,
        )
        owner = demonyms(s.table.gazetteer)[prefix] if prefix else None
        if prefix:  # "South Korea's Joint Chiefs of Staff (JCS)": the body, of that state
            long_name = long_name[len(prefix) :].strip()
        entry = s.table.gazetteer.lookup(long_name) or s.table.gazetteer.lookup(short)
        if entry is not None:
            entity_id = s.table.add_known(entry, short)
        else:
            kind = "Organization"
            if re.search(r"News|Times|Post|Press|Television|Radio", long_name):
                kind = "MediaOutlet"
            elif re.search(r"Ministry|Office|Council|Assembly|Service|Agency|Committee", long_name):
                kind = "GovernmentBody"
            entity_id = s.table.add(Entity(slugify(long_name), kind, long_name, (short,)))
        s.table.local_forms[short] = entity_id
        s.add(
            match.start(1),
            match.end(2) + 1,
            entity_id,
            country=owner or s.country_before(match.start(1)),
        )


def delegations(s: SentenceMentions) -> None:
    for match in _DELEGATION.finditer(s.text):
        found = _delegation(s.table, s.text, match)
        if found is not None:
            s.add(match.start(), match.end(), found[0], country=found[1])


def known_names(s: SentenceMentions) -> None:
    gazetteer = s.table.gazetteer
    for match in gazetteer_pattern(gazetteer).finditer(s.text):
        surface = match.group(0)
        entry = gazetteer.lookup(surface)
        if entry is None:
            continue
        if (
            entry.type == "Country"
            and surface in entry.demonyms
            and re.match(r"\s+(?:leader|President|lawmakers|officials?)\b", s.text[match.end() :])
        ):
            continue  # "North Korean leader Kim": the person carries the country
        entity_id = s.table.add_known(entry, surface)
        if entry.type == "Treaty" and s.table.treaty is None:  # "the deal" refers to it later
            s.table.treaty = entity_id
        country = s.country_before(match.start())
        if country is None and entry.type != "Country":  # "Russia's Prosecutor General's ..."
            country = next(
                (c for d, c in demonyms(gazetteer).items() if surface.startswith(d + " ")), None
            )
        s.add(match.start(), match.end(), entity_id, country=country)


def forces(s: SentenceMentions) -> None:
    """ "Russian forces", "North Korean troops": a military force of that country."""
    for match in re.finditer(
        r"\b((?:[A-Z][a-z]+ )?[A-Z][a-z]+) (?:soldiers|troops|forces|military)\b", s.text
    ):
        country = demonyms(s.table.gazetteer).get(match.group(1))
        if country is None:
            continue
        phrase = match.group(0)
        entry = s.table.gazetteer.lookup(phrase)
        entity = entry.entity() if entry else Entity(slugify(phrase), "MilitaryForce", phrase)
        s.add(match.start(), match.end(), s.table.add(entity, phrase), country=country)


def weapons(s: SentenceMentions) -> None:
    for match in _WEAPON.finditer(s.text):
        owner = next(
            (
                m.entity_id
                for m in reversed(s.mentions)
                if m.start < s.base + match.start() and s.table.type_of(m.entity_id) == "Country"
            ),
            None,
        )
        entity = _weapon_entity(s.table, match.group(0), owner)
        s.add(match.start(), match.end(), s.table.add(entity, match.group(0)))


def treaties(s: SentenceMentions, counts: Counter[str]) -> None:
    """The first treaty phrase names the article's treaty; later ones ("the deal") refer to it."""
    gazetteer = s.table.gazetteer
    for match in _TREATY.finditer(s.text):
        if s.table.treaty is None:
            core = re.sub(r"^(?:a|the|this|that|their|its)\s+", "", match.group(0))
            entry = gazetteer.lookup(core) or next(
                (e for e in gazetteer.entries.values() if e.type == "Treaty" and core in e.aliases),
                None,
            )
            if entry is not None:
                s.table.treaty = s.table.add_known(entry, core)
            else:
                parties = sorted(c for c, _ in counts.most_common(2))
                name = f"{' '.join(p.replace('-', ' ').title() for p in parties)} {core}".strip()
                s.table.treaty = s.table.add(Entity(slugify(name), "Treaty", name, (core,)))
        s.add(match.start(), match.end(), s.table.treaty)


def short_forms(s: SentenceMentions) -> None:
    for form, entity_id in list(s.table.local_forms.items()):
        for match in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", s.text):
            s.add(match.start(), match.end(), entity_id)


def two(s: SentenceMentions, counts: Counter[str]) -> None:
    for match in _TWO.finditer(s.text):
        for country in _two_countries(s.table, s.mentions, counts):
            if country not in s.table.entities and (known := s.table.gazetteer.get(country)):
                s.table.add_known(known)
            s.mentions.append(Mention(s.base + match.start(), s.base + match.end(), country))
