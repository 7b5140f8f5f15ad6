"""A sentence's relations as interchange entries: the patterns' drafts, checked against the
ontology, with status and attribution from cues and dates from the nearest expression."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from kg.ontology import relation_rules
from loaders.dates import find_date_expressions, normalize_date
from loaders.rules.context import ALLEGED, DENIED, SPECULATIVE, TOPICS, Draft, SentenceContext
from loaders.rules.patterns import RULES

__all__ = ["SentenceContext", "sentence_relations"]


def _status(ctx: SentenceContext, draft: Draft, accusers: list[str]) -> tuple[str, list[str]]:
    if draft.type in {"ACCUSED", "LEADER_OF", "OFFICIAL_OF", "HEADS", "PART_OF", "AFFILIATED_WITH"}:
        return "reported", []
    text = ctx.text
    if DENIED.search(text):
        return "denied", []
    if accusers and draft.trigger > 0:
        return "alleged", accusers
    if SPECULATIVE.search(text[: draft.trigger + 1]) or SPECULATIVE.search(
        text[max(0, draft.trigger - 40) : draft.trigger]
    ):
        return "speculated", []
    if ALLEGED.search(text):
        return "alleged", []
    return "reported", []


def sentence_relations(ctx: SentenceContext, published: date | None) -> list[dict[str, Any]]:
    """Every relation the patterns find in one sentence, as interchange entries."""
    rules = relation_rules()
    drafts = [
        draft
        for rule in RULES
        for draft in rule(ctx)
        # The ontology has the last word on which types a relation may join.
        if rules[draft.type].allows(
            ctx.table.type_of(draft.subject), ctx.table.type_of(draft.object)
        )
    ]
    accusers = [d.subject for d in drafts if d.type == "ACCUSED"]
    sources = [
        m.entity_id
        for m in ctx.mentions
        if ctx.table.type_of(m.entity_id) in {"MediaOutlet", "GovernmentBody", "Person", "Country"}
        and re.search(
            r"according to\s+(?:the\s+)?(?:[\w-]+\s+){0,3}$", ctx.text[: m.start - ctx.base]
        )
    ]
    dates = find_date_expressions(ctx.text)
    triggers = sorted({d.trigger for d in drafts if d.dated})
    places = [
        m.entity_id
        for m in ctx.typed({"Place"})
        if re.search(r"\bin\s+$", ctx.text[: m.start - ctx.base])
    ]
    topics = [t for t in TOPICS if re.search(rf"\b{t}\b", ctx.text)]
    entries = []
    for draft in drafts:
        status, by = _status(ctx, draft, accusers)
        entry: dict[str, Any] = {
            "type": draft.type,
            "subject": draft.subject,
            "object": draft.object,
            "status": status,
            "attributed_to": list(dict.fromkeys(by + sources)),
            "date": None,
            "date_text": None,
            "place": draft.place,
            "quantity": draft.quantity,
            "quantity_qualifier": draft.quantity_qualifier,
            "topics": draft.topics,
            "claim": draft.claim,
            "as": draft.as_,
            "role": draft.role,
            "confidence": 0.6,
            "evidence": {"text": ctx.text, "start": ctx.sentence.start, "end": ctx.sentence.end},
        }
        if draft.dated and published is not None:
            _date(entry, draft, dates, triggers, published)
        if draft.type in {"MET_WITH", "VISITED"}:
            entry["place"] = entry["place"] or (places[0] if places else None)
            entry["topics"] = entry["topics"] or topics
        entries.append(entry)
    return entries


def _date(
    entry: dict[str, Any],
    draft: Draft,
    dates: list[tuple[int, int, str]],
    triggers: list[int],
    published: date,
) -> None:
    """The date expression nearest the trigger, unless another trigger stands between them."""
    best: tuple[int, str] | None = None
    for start, _end, words in dates:
        lo, hi = sorted((draft.trigger, start))
        if any(lo < t < hi for t in triggers if t != draft.trigger):
            continue
        distance = abs(start - draft.trigger)
        if best is None or distance < best[0]:
            best = (distance, words)
    if best is not None:
        entry["date_text"] = best[1]
        entry["date"] = normalize_date(best[1], published)
