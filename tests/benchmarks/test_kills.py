"""``benchmarks.kills``: its pure helpers and its quick run (real embedder, real command
line) with every point survived. The cleanup gap it found is tested in
``tests/index/test_versions.py``."""

from __future__ import annotations

import pytest

from benchmarks.archive import pick_files, split_base
from benchmarks.kill_points import POINTS, KillPoint, Seen, parse_progress
from benchmarks.kills import checks


def test_pick_files_takes_the_sorted_prefix_that_reaches_the_target():
    counts = {"b.txt": 40, "a.txt": 100, "c.txt": 30, "empty.txt": 0, "d.txt": 500}
    assert pick_files(counts, 150) == ["a.txt", "b.txt", "c.txt"]
    assert pick_files(counts, 100) == ["a.txt"]
    assert pick_files(counts, 10**6) == ["a.txt", "b.txt", "c.txt", "d.txt"]  # all there is


def test_split_base_keeps_a_third_at_most_and_one_file_each_side():
    counts = {"a": 19, "b": 44, "c": 112, "d": 31, "e": 8}
    assert split_base(list(counts), counts) == (["a", "b"], ["c", "d", "e"])
    assert split_base(["c", "a"], counts) == (["c"], ["a"])  # the first file, even if big
    with pytest.raises(ValueError, match="at least two"):
        split_base(["a"], counts)


def test_parse_progress_reads_the_last_bar_update():
    text = ("embedding:   0%|          | 0.00/151 [00:00<?, ? chunks/s]\r"
            "embedding:  42%|####2     | 64.0/151 [00:02<00:03, 26.4 chunks/s]\r")
    assert parse_progress(text) == (64.0, 151)
    assert parse_progress("embedding:  48%|####8     | 1.02k/2.14k [00:40<00:44]") \
        == (1020.0, 2140)
    assert parse_progress("note: nothing embedded yet") is None


def test_kill_points_fire_on_what_the_build_shows():
    by_name = {p.name: p for p in POINTS}
    assert len(POINTS) == 10
    assert by_name["planning (parsing)"].reached(Seen(started=True))
    ninety = by_name["embedding 90%"]
    assert not ninety.reached(Seen(started=True, staging=True, done=128, total=151))
    assert ninety.reached(Seen(started=True, staging=True, done=136, total=151))
    assert not by_name["embedded 100%, writing"].reached(Seen(done=0, total=0))
    assert KillPoint("x", "published").reached(Seen(published=True))
    assert Seen(started=True, staging=True, done=64.4, total=151).describe() \
        == "embedding ~64/151"


@pytest.mark.slow
def test_quick_kills_all_survive():
    rows = checks(quick=True)
    assert [r.part for r in rows] == ["kill during build"]
    assert rows[0].trials == 3
    assert all(r.ok for r in rows), rows
    assert "vs full build" in rows[0].figure
