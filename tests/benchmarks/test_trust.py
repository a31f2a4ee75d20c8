"""The trust harness's one table: every part asked for gets rows, a part that cannot run
is a failed row saying why, and the exit status says whether every row held."""

from __future__ import annotations

import subprocess
import sys

import pytest

from benchmarks import trust
from benchmarks.common import Check

from ..conftest import REPO


def test_a_part_that_cannot_run_is_a_failed_row_naming_the_cause(monkeypatch):
    def broken(quick):
        raise RuntimeError("the model is missing")

    monkeypatch.setattr("benchmarks.injection.checks", broken)
    [(part, _, rows)] = trust.run_parts(["injection"], quick=True)
    assert part == "injection" and not rows[0].ok
    table = trust.format_table([(part, 0.0, rows)])
    assert "FAILED" in table and "RuntimeError: the model is missing" in table
    assert "0 of 1 checks held." in table


def test_the_table_lists_failures_under_the_rows():
    rows = [Check("kill during build", 10, 9, "resume 2 s", ("at 95%: CURRENT lost",)),
            Check("kill: disk bounded", 10, 10, "2 versions")]
    table = trust.format_table([("kills", 12.0, rows)])
    assert "| kills | kill during build | 9/10 **FAILED** | resume 2 s | 12 |" in table
    assert "|  | kill: disk bounded | 10/10 | 2 versions |  |" in table
    assert "- kill during build: at 95%: CURRENT lost" in table
    assert "1 of 2 checks held." in table


def test_unknown_parts_are_refused():
    assert trust.main(["--parts", "kills,teleport"]) == 2


@pytest.mark.slow
def test_the_command_prints_one_table_and_exits_by_its_rows():
    proc = subprocess.run([sys.executable, "-m", "benchmarks.trust", "--quick", "--parts",
                           "injection"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("| part | check | held |")
    assert "injection: extractive | 20/20 |" in proc.stdout
    assert "2 of 2 checks held." in proc.stdout
