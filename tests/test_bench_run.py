"""The benchmark's checks before it starts anything (bench/run.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.run import check_free_space

GB = 2**30


def test_a_disk_without_room_for_the_largest_size_stops_the_benchmark_first(
    tmp_path: Path,
) -> None:
    home = tmp_path / "not-yet" / "neo4j-bench"  # checked on the disk of what exists
    with pytest.raises(SystemExit) as stopped:
        check_free_space(home, 100_000, free_bytes=2 * GB)
    message = str(stopped.value)
    assert str(tmp_path) in message
    assert "about 4 GB free" in message
    assert "100,000 entities" in message
    assert "2.0 GB are free" in message


def test_a_disk_with_room_lets_the_benchmark_start(tmp_path: Path) -> None:
    check_free_space(tmp_path, 1_000_000, free_bytes=41 * GB)
    check_free_space(tmp_path, 1_000, free_bytes=1 * GB)
