"""The store: the one place that owns Neo4j access."""

from kg.store.driver import create_driver
from kg.store.graph_store import (
    EntityRelation,
    GraphPath,
    GraphStore,
    Neighbor,
    RelationFilter,
)

__all__ = [
    "EntityRelation",
    "GraphPath",
    "GraphStore",
    "Neighbor",
    "RelationFilter",
    "create_driver",
]
