"""Constraints and indexes, derived from the ontology; schema/constraints.cypher exports them."""

from __future__ import annotations

from kg.ontology import ARTICLE_LABEL, ENTITY_LABEL, SENTENCE_LABEL, entity_types, relation_types

ENTITY_NAME_INDEX = "entity_names"


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def schema_statements() -> list[str]:
    """Every constraint and index, each idempotent (IF NOT EXISTS)."""
    statements = []
    for label in [ENTITY_LABEL, *entity_types(), ARTICLE_LABEL, SENTENCE_LABEL]:
        statements.append(
            f"CREATE CONSTRAINT {_snake(label)}_id IF NOT EXISTS "
            f"FOR (n:{label}) REQUIRE n.id IS UNIQUE"
        )
    for rel_type in relation_types():
        statements.append(
            f"CREATE CONSTRAINT {rel_type.lower()}_key IF NOT EXISTS "
            f"FOR ()-[r:{rel_type}]-() REQUIRE r.key IS UNIQUE"
        )
    statements.append(
        f"CREATE FULLTEXT INDEX {ENTITY_NAME_INDEX} IF NOT EXISTS "
        f"FOR (n:{ENTITY_LABEL}) ON EACH [n.name, n.aliases]"
    )
    statements.append(
        f"CREATE INDEX article_published IF NOT EXISTS FOR (a:{ARTICLE_LABEL}) ON (a.published)"
    )
    return statements


def constraints_cypher() -> str:
    """The text of `schema/constraints.cypher`: the statements, for cypher-shell or Browser."""
    header = (
        "// Generated from schema/ontology.json by `kg export-schema`; do not edit by hand.\n"
        "// Applied idempotently by kg on start-up and before every load.\n"
    )
    return header + "".join(f"{s};\n" for s in schema_statements())
