"""Relation patterns over one sentence's mentions: trigger words, with the subject before the
trigger and the object after it, typed by the ontology."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kg.domain import Entity
from kg.ids import slugify
from kg.ontology import relation_rules
from loaders.rules.context import Draft, SentenceContext
from loaders.rules.mentions import EntityTable


def _rule(name: str) -> tuple[frozenset[str], frozenset[str]]:
    rule = relation_rules()[name]
    return rule.subject_types, rule.object_types


def _quantity(text: str) -> tuple[float | None, str | None]:
    match = re.search(
        r"(?:(over|more than|about|around|some|at least|up to|nearly|roughly|"
        r"an estimated|as many as)\s+)?(\d[\d,]*(?:\.\d+)?)\s*(?:thousand\s+)?"
        r"(?:North Korean |Russian |Ukrainian )?(?:soldiers|troops|personnel)",
        text,
    )
    if match is None:
        return None, None
    qualifier = {
        "more than": "over",
        "around": "about",
        "some": "about",
        "roughly": "about",
        "an estimated": "about",
        "nearly": "up to",
        "as many as": "up to",
    }.get(match.group(1) or "", match.group(1))
    return float(match.group(2).replace(",", "")), qualifier


def _simple(
    ctx: SentenceContext,
    pattern: str,
    rel: str,
    many_subjects: bool = False,
    many_objects: bool = False,
) -> Iterator[Draft]:
    subject_types, object_types = _rule(rel)
    for match in re.finditer(pattern, ctx.text):
        subjects = ctx.before(match.start(), subject_types, many_subjects)
        objects = ctx.after(match.end(), object_types, many_objects)
        for subject in subjects:
            for object_ in objects:
                if subject != object_:
                    yield Draft(rel, subject, object_, match.start())


_LEADER_ROLE = re.compile(
    r"^(?:supreme leader|president|prime minister|premier|chancellor|"
    r"leader|king)\b",
    re.IGNORECASE,
)
_HEAD_ROLE = re.compile(
    r"^(?:general secretary|chairman|head|director|chief|leader|commander)\b", re.IGNORECASE
)


def offices(ctx: SentenceContext) -> Iterator[Draft]:
    """'Russian President Vladimir Putin': LEADER_OF; 'Russia's Minister of X Y' or 'Y, minister
    of X of Russia': OFFICIAL_OF with the role, HEADS the ministry of X, which is PART_OF the
    state; 'general secretary of the Workers' Party': HEADS it; 'member of the X': MEMBER_OF."""
    for mention in ctx.mentions:
        if mention.title is None or ctx.table.type_of(mention.entity_id) != "Person":
            continue
        trigger = mention.start - ctx.base
        title_at = ctx.text.find(mention.title, trigger)
        for role in re.split(r",? and (?=[a-z]|[A-Z][a-z]+ (?:of|to)\b)", mention.title):
            role_at = ctx.text.find(role, max(title_at, 0))
            inside = [
                m.entity_id
                for m in ctx.mentions
                if title_at >= 0 and role_at <= m.start - ctx.base < role_at + len(role)
            ]
            bodies = [
                e for e in inside if ctx.table.type_of(e) in {"Organization", "GovernmentBody"}
            ]
            if re.match(r"member of", role, re.IGNORECASE):
                yield from (
                    Draft("MEMBER_OF", mention.entity_id, b, trigger, dated=False) for b in bodies
                )
                continue
            if _HEAD_ROLE.match(role) and bodies:
                yield Draft("HEADS", mention.entity_id, bodies[0], trigger, role=role, dated=False)
                continue
            country = mention.country or ctx.table.country_of(mention.entity_id)
            if country is None or ctx.table.type_of(country) != "Country":
                continue
            if _LEADER_ROLE.match(role):
                yield Draft("LEADER_OF", mention.entity_id, country, trigger, dated=False)
                continue
            clean = role
            state = re.search(r"\s+of (?:the )?((?:(?!\sof\s)[\w' ])+)$", role)
            known = ctx.table.gazetteer.lookup(state.group(1)) if state else None
            if state and known is not None and known.type == "Country":  # "... of the DPRK"
                clean = role[: state.start()]
            clean = clean[:1].upper() + clean[1:]
            yield Draft("OFFICIAL_OF", mention.entity_id, country, trigger, role=clean, dated=False)
            ministry = bodies[0] if bodies else _ministry_of(ctx.table, clean, country)
            if (
                ministry
                and re.search(r"\bminister\b", clean, re.IGNORECASE)
                and not re.match(r"(?:deputy|first deputy|vice)", clean, re.IGNORECASE)
            ):
                yield Draft(
                    "HEADS", mention.entity_id, ministry, trigger, role="Minister", dated=False
                )
                yield Draft("PART_OF", ministry, country, trigger, dated=False)


def _ministry_of(table: EntityTable, role: str, country: str) -> str | None:
    match = re.search(r"[Mm]inister (?:of|for) (.+)|(\w+) [Mm]inister", role)
    if match is None:
        return None
    field_name = match.group(1) or {"Foreign": "Foreign Affairs", "Defence": "Defense"}.get(
        match.group(2), match.group(2)
    )
    entry = table.gazetteer.get(country)
    demonym = entry.demonyms[0] if entry and entry.demonyms else ""
    for name in (
        f"{demonym} Ministry of {field_name}",
        f"{demonym} Ministry of Defence" if field_name == "Defense" else "",
    ):
        known = table.gazetteer.lookup(name) if name else None
        if known is not None:
            return table.add_known(known)
    if not match.group(1):
        return None
    name = f"{demonym} Ministry of {field_name}"
    return table.add(Entity(slugify(name), "GovernmentBody", f"Ministry of {field_name}", (name,)))


def meetings(ctx: SentenceContext) -> Iterator[Draft]:
    places = [
        m.entity_id
        for m in ctx.typed({"Place"})
        if re.search(r"\bin\s+$", ctx.text[: m.start - ctx.base])
    ]
    for draft in _simple(
        ctx,
        r"\b(?:met|meets|meet|meeting|held talks|holds talks|talks|"
        r"received|hosted|greeted)\b(?: with)?",
        "MET_WITH",
    ):
        yield draft
        # Meeting someone in a city of another country means having travelled there.
        for place in places[:1]:
            for person in (draft.subject, draft.object):
                home, there = ctx.country_of(person), ctx.table.country_of(place)
                if home and there and home != there:
                    yield Draft("VISITED", person, place, draft.trigger)


def visits(ctx: SentenceContext) -> Iterator[Draft]:
    yield from _simple(
        ctx,
        r"\b(?:visited|visiting|visits|arrived in|arrives in|arrived at|"
        r"trip to|visit to|travell?ed to|landed in)\b",
        "VISITED",
    )


def signing(ctx: SentenceContext) -> Iterator[Draft]:
    for draft in _simple(ctx, r"\bsign(?:ed|s|ing)\b", "SIGNED", many_subjects=True):
        yield draft
        country = ctx.country_of(draft.subject)
        if country:  # a state's leader signs for the state, which is then bound by it
            yield Draft("PARTY_TO", country, draft.object, draft.trigger, dated=False)


def _passive(ctx: SentenceContext, pattern: str, rel: str) -> Iterator[Draft]:
    """'The treaty was signed by Kim and Putin': the subjects follow 'by'."""
    subject_types, object_types = _rule(rel)
    for match in re.finditer(pattern, ctx.text):
        objects = ctx.before(match.start(), object_types)
        for subject in ctx.after(match.end(), subject_types, many=True):
            for object_ in objects:
                yield Draft(rel, subject, object_, match.start())


def passives(ctx: SentenceContext) -> Iterator[Draft]:
    for draft in _passive(ctx, r"\b(?:was|were|been|being) signed by\b", "SIGNED"):
        yield draft
        country = ctx.country_of(draft.subject)
        if country:
            yield Draft("PARTY_TO", country, draft.object, draft.trigger, dated=False)
    yield from _passive(ctx, r"\b(?:was|were|been) (?:ratified|approved) by\b", "RATIFIED")


def ratifying(ctx: SentenceContext) -> Iterator[Draft]:
    yield from _simple(
        ctx, r"\b(?:ratif\w+|approv\w+|passed|endorsed)\b", "RATIFIED", many_subjects=True
    )


def testing(ctx: SentenceContext) -> Iterator[Draft]:
    if re.search(r"\bfired\b[^.;]*\bat\b", ctx.text):  # firing at targets is use, not a test
        return
    yield from _simple(
        ctx, r"\b(?:test-fired|test-launched|tested|launched|fired)\b", "TESTED", many_objects=True
    )


def sanctions(ctx: SentenceContext) -> Iterator[Draft]:
    yield from _simple(
        ctx,
        r"\b(?:sanctioned|blacklisted|imposed (?:new )?sanctions on|"
        r"slapped sanctions on|sanctions on)\b",
        "SANCTIONED",
        many_subjects=True,
        many_objects=True,
    )


def accusations(ctx: SentenceContext) -> Iterator[Draft]:
    subject_types, _ = _rule("ACCUSED")
    for match in re.finditer(r"\b(?:accus(?:e|ed|es|ing)|blam(?:e|ed|es|ing))\b", ctx.text):
        accusers = ctx.before(match.start(), subject_types, many=True)
        accused = ctx.after(match.end(), subject_types)
        claim = re.search(
            r"\bof\s+(.+?)(?:,\s+(?:with|while|as|which|saying)\b|[;.]|$)", ctx.text[match.end() :]
        )
        for accuser in accusers:
            for target in accused:
                yield Draft(
                    "ACCUSED",
                    accuser,
                    target,
                    match.start(),
                    claim=claim.group(1) if claim else None,
                )


def deployments(ctx: SentenceContext) -> Iterator[Draft]:
    for match in re.finditer(
        r"\b(?:send\w*|sent|deploy\w*|dispatch\w*)\b"
        r"(?=[^.;]{0,60}\b(?:soldiers|troops|personnel|forces)\b)",
        ctx.text,
    ):
        senders = ctx.before(match.start(), {"Country", "MilitaryForce"})
        rest = ctx.text[match.end() :]
        quantity, qualifier = _quantity(rest)
        aided = re.search(r"\bto (?:aid|help|support|assist|fight alongside|reinforce)\b", rest)
        target: str | None = None
        if aided:
            helped = ctx.after(match.end() + aided.end(), {"MilitaryForce", "Country"})
            if helped:
                target = ctx.country_of(helped[0])
                for sender in senders:
                    yield Draft("SUPPORTS", sender, helped[0], match.start(), dated=True)
        to_place = re.search(r"\bto\s+(?!aid|help|support|assist|fight|reinforce)", rest)
        if target is None and to_place:
            found = ctx.after(match.end() + to_place.end(), {"Country", "Place"})
            target = found[0] if found else None
        place = re.search(r"\bin\s+", rest)
        where = ctx.after(match.end() + place.end(), {"Country", "Place"}) if place else []
        for sender in senders:
            if target and target != sender:
                yield Draft(
                    "DEPLOYED_TROOPS_TO",
                    sender,
                    target,
                    match.start(),
                    quantity=quantity,
                    quantity_qualifier=qualifier,
                    place=where[0] if where and where[0] != target else None,
                )


def support(ctx: SentenceContext) -> Iterator[Draft]:
    pattern = (
        r"\b(?:offer\w*|provid\w*|suppl\w*|giv\w*|transfer\w*|deliver\w*|shar\w*)\b"
        r"(?=\s+(?:\w+\s+){0,2}(?:technology|weapons|arms|aid|assistance|support|"
        r"missiles|ammunition|shells|know-how|oil|food))"
    )
    subject_types, object_types = _rule("SUPPORTS")
    for match in re.finditer(pattern, ctx.text):
        givers = ctx.before(match.start(), subject_types)
        receivers = ctx.after(match.end(), object_types)
        for giver in givers:
            for receiver in receivers:
                if giver != receiver:
                    yield Draft(
                        "SUPPORTS",
                        giver,
                        receiver,
                        match.start(),
                        topics=[
                            t
                            for t in ("technology", "weapons", "aid")
                            if t in ctx.text[match.end() :]
                        ],
                    )


def leading(ctx: SentenceContext) -> Iterator[Draft]:
    yield from _simple(ctx, r"\b(?:leading|leads|heads|headed)\b", "HEADS")
    for match in re.finditer(r"\b(?:led|headed) by\b", ctx.text):
        bodies = ctx.before(match.start(), {"Organization", "GovernmentBody"})
        people = ctx.after(match.end(), {"Person"})
        for body in bodies:
            for person in people:
                yield Draft("HEADS", person, body, match.start(), dated=False)


def designations(ctx: SentenceContext) -> Iterator[Draft]:
    subject_types, object_types = _rule("DESIGNATED")
    for match in re.finditer(r"\b(?:designat\w+|label\w*|branded|declared|listed)\b", ctx.text):
        label = re.search(
            r"\bas (?:an? )?[\"“]?([\w -]+?)[\"”]?(?: organi[sz]ation| group)?"
            r"(?:[,.;\"”]|$)",
            ctx.text[match.end() :],
        )
        for subject in ctx.before(match.start(), subject_types):
            for target in ctx.after(match.end(), object_types):
                yield Draft(
                    "DESIGNATED",
                    subject,
                    target,
                    match.start(),
                    as_=label.group(1).strip() if label else None,
                )


def affiliation(ctx: SentenceContext) -> Iterator[Draft]:
    for match in re.finditer(r"\bstate[- ](?:run|owned|controlled|media)\b", ctx.text):
        outlets = ctx.after(match.end(), {"MediaOutlet"})
        for outlet in outlets:
            country = ctx.country_of(outlet)
            if country:
                yield Draft("AFFILIATED_WITH", outlet, country, match.start(), dated=False)


def belonging(ctx: SentenceContext) -> Iterator[Draft]:
    """'Russia's Prosecutor General's Office', 'Russian forces': PART_OF that country."""
    for mention in ctx.mentions:
        kind = ctx.table.type_of(mention.entity_id)
        if kind == "Place" and mention.country:  # "Russia's Kursk region", "Wonsan, a port ..."
            capital = mention.title is not None and mention.title.startswith("capital")
            yield Draft(
                "CAPITAL_OF" if capital else "LOCATED_IN",
                mention.entity_id,
                mention.country,
                mention.start - ctx.base,
                dated=False,
            )
            continue
        if kind in {"GovernmentBody", "Organization", "MilitaryForce"} and mention.country:
            yield Draft(
                "PART_OF", mention.entity_id, mention.country, mention.start - ctx.base, dated=False
            )


def cooperation(ctx: SentenceContext) -> Iterator[Draft]:
    for match in re.finditer(
        r"\b(?:ties|cooperation|partnership|relations|alliance|"
        r"cooperat\w+)\b",
        ctx.text,
    ):
        window = ctx.text[match.start() : match.start() + 80]
        pair = re.match(r"\w+\s+(?:between|with)\b", window)
        if not pair:
            continue
        countries = ctx.after(match.start(), {"Country"}, many=True)
        if len(countries) < 2:
            countries = ctx.before(match.start(), {"Country"})[:1] + countries
        if len(countries) >= 2 and countries[0] != countries[1]:
            yield Draft("COOPERATES_WITH", countries[0], countries[1], match.start(), dated=False)


RULES = (
    offices,
    passives,
    meetings,
    visits,
    signing,
    ratifying,
    testing,
    sanctions,
    accusations,
    deployments,
    support,
    leading,
    designations,
    affiliation,
    belonging,
    cooperation,
)
