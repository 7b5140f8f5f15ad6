"""The store: the one place that owns Neo4j access."""

from kg.store.driver import create_driver
from kg.store.filters import Projection, RelationFilter
from kg.store.graph_store import (
    EntityRelation,
    GraphPath,
    GraphStore,
    Neighbor,
    PathSearch,
    canonical_dump,
)
from kg.store.writer import article_batches

__all__ = [
    "EntityRelation",
    "GraphPath",
    "GraphStore",
    "Neighbor",
    "PathSearch",
    "Projection",
    "RelationFilter",
    "article_batches",
    "canonical_dump",
    "create_driver",
]
