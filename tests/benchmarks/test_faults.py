"""``benchmarks.faults``: the verdict on each model-server fault, and the quick harness row
run for real (a loopback fault server, the real embedder over three posts)."""

from __future__ import annotations

import pytest

from benchmarks.faults import FAULTS, MARGIN_S, FaultRun, checks, fault_check, verdict

NOTICE = FAULTS["hang"].notice


def run(fault: str = "hang", **changes) -> FaultRun:
    fields = {"fault": fault, "seconds": 5.1, "answered": FAULTS[fault].answered,
              "notice": f"… sent nothing for 5 s {NOTICE}, model 'hang') …", "citations": 1,
              "refused": False, **changes}
    if FAULTS[fault].notice is None and "notice" not in changes:
        fields["notice"] = None
    return FaultRun(**fields)


def test_an_answer_from_the_expected_side_with_its_notice_in_time_holds():
    assert verdict(run(), deadline=5 + MARGIN_S) == ""
    assert verdict(run("healthy", answered="model"), deadline=10) == ""


@pytest.mark.parametrize("changes,why", [
    ({"seconds": 10.5}, "answered after 10.5 s (limit 10 s)"),
    ({"refused": True}, "no cited answer"),
    ({"citations": 0}, "no cited answer"),
    ({"answered": "model"}, "answered by model, expected extractive"),
    ({"notice": None}, "does not say"),
    ({"notice": "The model server failed."}, "does not say"),
])
def test_late_uncited_wrong_side_or_vague_answers_fail(changes, why):
    assert why in verdict(run(**changes), deadline=10)


def test_a_notice_on_a_healthy_answer_fails():
    assert verdict(run("healthy", notice="answered extractively instead"), deadline=10) \
        .startswith("unexpected notice")


def test_the_row_counts_each_fault_and_names_what_failed():
    row = fault_check([run(), run("healthy"), run("empty", notice=None)], 5.0)
    assert (row.part, row.trials, row.passed, row.ok) == ("model-server faults", 3, 2, False)
    assert row.failures == ("empty body: notice None does not say 'answered with an empty "
                            "body'",)
    assert row.figure.startswith("slowest 5.1 s (hang) at a 5 s request timeout")


@pytest.mark.server
def test_quick_checks_hold_for_every_fault():
    rows = checks(quick=True)
    assert [row.part for row in rows] == ["model-server faults"]
    assert rows[0].trials == len(FAULTS)
    assert all(row.ok for row in rows), [row.failures for row in rows]
