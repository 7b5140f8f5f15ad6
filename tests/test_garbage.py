"""A served request's objects go when it ends, by reference counting: none of its entities,
relations, evidence or views is left to the cyclic garbage collector, whose collections
were most of the API's time in the collector (docs/performance.md, eighth round)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import httpx
import pytest

from kg import domain
from kg.api import types
from kg.api.app import SERVING_GC_THRESHOLDS, create_served_app
from kg.config import Settings
from kg.store import EntityRelation, GraphStore
from tests.conftest import graphql

KIM_WITH_RELATIONS = """{ entity(id: "kim-jong-un") { name relations {
  type date subject { id name } object { id name } evidence { text } } } }"""
KEPT_BY_CYCLES = (
    domain.Entity,
    domain.Relation,
    domain.Evidence,
    EntityRelation,
    types.Relation,
)


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    """What the cyclic collector finds unreachable while the test runs (gc.DEBUG_SAVEALL)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def test_an_answered_query_leaves_nothing_of_its_answer_to_the_collector(
    seeded: GraphStore, client: httpx.AsyncClient, saved_garbage: list[object]
) -> None:
    for _ in range(3):
        answer = await graphql(client, KIM_WITH_RELATIONS)
        assert answer["data"]["entity"]["relations"]  # type: ignore[index]
    gc.collect()
    left = [type(o).__name__ for o in saved_garbage if isinstance(o, KEPT_BY_CYCLES)]
    assert left == []


@pytest.fixture
def collector_as_it_was() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("collector_as_it_was")
def test_a_served_app_freezes_its_start_up_objects_and_collects_less_often(
    settings: Settings,
) -> None:
    gc.unfreeze()
    create_served_app(settings)
    assert gc.get_threshold() == SERVING_GC_THRESHOLDS
    assert gc.get_freeze_count() > 10_000
