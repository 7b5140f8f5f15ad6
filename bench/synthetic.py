"""A deterministic synthetic news corpus shaped like real news graphs, for the benchmarks.

Shape: a few hubs (countries, leaders) take most relations and many leaves take one or two
(a Zipf-like draw); relations are dated over several years; entities carry aliases; about
one fact in ten is stated again by a later article (so relations gather several sources).
Every article is a real ArticleGraph: its text is made of the sentences that are the
evidence of its relations, so the graph it writes is the same kind the pipeline writes.

    python -m bench.synthetic --entities 10000 --out /tmp/corpus   # interchange JSON Lines
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from kg.domain import (
    Article,
    ArticleGraph,
    Entity,
    Evidence,
    Relation,
    Sentence,
    article_metadata,
    entity_record,
    relation_key,
    relation_qualifiers,
)
from kg.ontology import relation_rules

RELATIONS_PER_ENTITY = 5
RELATIONS_PER_ARTICLE = 10
# Share of each type among entities, roughly as in the seed and the corpus articles.
TYPE_SHARES = {
    "Person": 0.40,
    "Organization": 0.15,
    "GovernmentBody": 0.12,
    "Place": 0.12,
    "MilitaryForce": 0.05,
    "MediaOutlet": 0.05,
    "WeaponSystem": 0.05,
    "Treaty": 0.04,
    "Country": 0.02,
}
STATUSES = ("reported",) * 6 + ("alleged", "alleged", "speculated", "denied")
VERBS = {
    "LEADER_OF": "leads",
    "OFFICIAL_OF": "serves",
    "HEADS": "heads",
    "MEMBER_OF": "belongs to",
    "PART_OF": "is part of",
    "AFFILIATED_WITH": "is affiliated with",
    "LOCATED_IN": "lies in",
    "CAPITAL_OF": "is the capital of",
    "MET_WITH": "met",
    "VISITED": "visited",
    "SIGNED": "signed",
    "RATIFIED": "ratified",
    "PARTY_TO": "is party to",
    "DEPLOYED_TROOPS_TO": "sent troops to",
    "SUPPORTS": "supports",
    "COOPERATES_WITH": "cooperates with",
    "ACCUSED": "accused",
    "TESTED": "tested",
    "SANCTIONED": "sanctioned",
    "DESIGNATED": "designated",
}
_SYLLABLES = (
    "ka",
    "lo",
    "mir",
    "van",
    "sed",
    "tor",
    "bel",
    "ru",
    "nak",
    "zen",
    "pol",
    "dri",
    "os",
    "mar",
    "tin",
    "gal",
    "ves",
    "kor",
    "lin",
    "ash",
)


@dataclass(frozen=True)
class Corpus:
    entities: list[Entity]
    by_type: dict[str, list[Entity]]


def _name(rng: random.Random, index: int) -> str:
    words = [
        "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).title() for _ in range(2)
    ]
    return f"{' '.join(words)} {index}"


def make_entities(count: int, rng: random.Random) -> Corpus:
    entities: list[Entity] = []
    by_type: dict[str, list[Entity]] = {t: [] for t in TYPE_SHARES}
    for kind, share in TYPE_SHARES.items():
        for _ in range(max(3, int(count * share))):
            name = _name(rng, len(entities))
            entity = Entity(
                id=f"{kind.lower()}-{len(entities)}",
                type=kind,
                name=name,
                aliases=(name.split()[0], f"{name} ({kind})"),
                description=f"synthetic {kind}",
            )
            entities.append(entity)
            by_type[kind].append(entity)
    return Corpus(entities, by_type)


def _pick(rng: random.Random, pool: list[Entity]) -> Entity:
    # Zipf-like: index ~ pool length * u^3, so the first few entities are hubs.
    return pool[int(len(pool) * rng.random() ** 3)]


def _pools(corpus: Corpus, kinds: frozenset[str]) -> list[Entity]:
    if "*" in kinds:
        return corpus.entities
    return [e for kind in sorted(kinds) for e in corpus.by_type.get(kind, [])]


def generate(entity_count: int, seed: int = 7) -> Iterator[ArticleGraph]:
    """Articles whose relations add up to about RELATIONS_PER_ENTITY per entity."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not a secret
    corpus = make_entities(entity_count, rng)
    rules = relation_rules()
    types = sorted(rules)
    pools = {
        t: (_pools(corpus, rules[t].subject_types), _pools(corpus, rules[t].object_types))
        for t in types
    }
    total = entity_count * RELATIONS_PER_ENTITY
    start = date(2020, 1, 1)
    earlier: list[tuple[str, Entity, Entity, str]] = []
    for number in range(max(1, total // RELATIONS_PER_ARTICLE)):
        published = start + timedelta(days=number * 2000 // max(1, total // RELATIONS_PER_ARTICLE))
        facts = []
        for _ in range(RELATIONS_PER_ARTICLE):
            if earlier and rng.random() < 0.1:  # a fact another article already stated
                facts.append(rng.choice(earlier))
                continue
            rel_type = rng.choice(types)
            subjects, objects = pools[rel_type]
            subject, object_ = _pick(rng, subjects), _pick(rng, objects)
            if subject.id == object_.id:
                continue
            day = published - timedelta(days=rng.randint(0, 400))
            fact = (rel_type, subject, object_, day.isoformat())
            facts.append(fact)
            if len(earlier) < 5000:
                earlier.append(fact)
        yield _article(number, published, facts, rng)


def _article(
    number: int, published: date, facts: list[tuple[str, Entity, Entity, str]], rng: random.Random
) -> ArticleGraph:
    title = f"Synthetic report {number}"
    text, sentences, relations = f"{title}\n\n", [], []
    for index, (rel_type, subject, object_, day) in enumerate(facts):
        sentence = f"{subject.name} {VERBS[rel_type]} {object_.name} on {day}."
        begin = len(text)
        text += sentence + " "
        sentences.append(Sentence(index, sentence, begin, begin + len(sentence)))
        status = rng.choice(STATUSES)
        relations.append(
            Relation(
                type=rel_type,
                subject=subject.id,
                object=object_.id,
                status=status,
                evidence=(
                    Evidence(sentence, begin, begin + len(sentence), f"synthetic-{number}", index),
                ),
                date=day,
                date_text=f"on {day}",
                sources=(f"synthetic-{number}",),
                key=relation_key(
                    rel_type, subject.id, object_.id, day, relation_rules()[rel_type].symmetric
                ),
            )
        )
    article = Article(
        id=f"synthetic-{number}",
        title=title,
        text=text,
        content_sha256=hashlib.sha256(text.encode()).hexdigest(),
        sentences=tuple(sentences),
        source="Synthetic Wire",
        published=f"{published.isoformat()}T08:00:00",
    )
    merged: dict[str, Relation] = {}
    for relation in relations:
        merged.setdefault(relation.key, relation)
    entities = {e.id: e for _, s, o, _ in facts for e in (s, o)}
    mentions = tuple(
        sorted(
            {(i, r.subject) for i, r in enumerate(relations)}
            | {(i, r.object) for i, r in enumerate(relations)}
        )
    )
    return ArticleGraph(article, tuple(entities.values()), tuple(merged.values()), mentions)


def to_document(graph: ArticleGraph) -> dict[str, object]:
    """The interchange document of a synthetic article (its text travels with it)."""
    return {
        "article": {**article_metadata(graph.article), "text": graph.article.text},
        "entities": [entity_record(e) for e in graph.entities],
        "relations": [
            {
                "type": r.type,
                "subject": r.subject,
                "object": r.object,
                **relation_qualifiers(r),
                "evidence": {
                    "text": r.evidence[0].text,
                    "start": r.evidence[0].start,
                    "end": r.evidence[0].end,
                },
            }
            for r in graph.relations
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"synthetic-{args.entities}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for graph in generate(args.entities, args.seed):
            fh.write(json.dumps(to_document(graph)) + "\n")
    print(path)


if __name__ == "__main__":
    main()
