"""A serving worker's collector settings: startup objects frozen, young collections rarer."""

import gc
from collections.abc import Iterator

import pytest

from loadtests.backend.heap import THRESHOLDS, settle_heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restored_gc")
def test_settle_heap_freezes_what_exists_and_raises_the_thresholds() -> None:
    gc.unfreeze()
    kept = [object() for _ in range(1000)]
    settle_heap()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == THRESHOLDS
