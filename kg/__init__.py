"""kg: a knowledge graph of news, stored in Neo4j and answered over GraphQL."""

__version__ = "0.1.0"
