"""``benchmarks.malformed``: how an answer at each door is judged (clear, unclear, accepted,
5xx, crash, hang, damage), and the quick sweep run for real at every door (one REST server,
one MCP process, one page)."""

from __future__ import annotations

import httpx
import pytest

from assistant.index.report import BuildReport, FileReport
from assistant.ui.reports import report_html
from assistant.ui.uploads import UploadResult
from benchmarks.malformed import MALFORMED, checks, door_table, malformed_check
from benchmarks.malformed_mcp import MCP_PROBES
from benchmarks.malformed_page import CALLS, error_outcome, stream_result
from benchmarks.malformed_uploads import Upload, judge_upload, parse_report
from benchmarks.outcomes import Outcome, classify, is_clear


def response(status: int, body: object = None, text: str | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text)
    return httpx.Response(status, json=body)


@pytest.mark.parametrize("reply,outcome", [
    (response(422, {"detail": [{"loc": ["body", "k"], "msg": "Input should be a valid "
                                                             "integer"}]}), "clear"),
    (response(400, {"detail": "since must be a date as YYYY-MM-DD"}), "clear"),
    (response(400, {"error": {"message": "messages: the last message must be the user's"}}),
     "clear"),
    (response(413, text="File size exceeded maximum allowed size of 262144 bytes."), "clear"),
    (response(400, {"detail": "internal error"}), "unclear"),
    (response(404, {"detail": "Not Found"}), "unclear"),
    (response(400, text="<html><body>Bad</body></html>"), "unclear"),
    (response(500, {"detail": "k must be an integer from 1 to 100"}), "5xx"),
    (response(200, [{"text": "a hit"}]), "accepted"),
])
def test_classify_judges_status_and_message(reply, outcome):
    assert classify(reply)[0] == outcome


def test_the_pages_words_for_an_unexpected_error_are_not_a_clear_refusal():
    assert is_clear("empty file") and is_clear("k must be an integer from 1 to 100, got 0")
    assert not is_clear("Something went wrong (AttributeError). The details are in the "
                        "server log; the page still works, so try again or change the options.")
    assert not is_clear("null") and not is_clear(None) and not is_clear("AppError")


def test_a_success_holds_only_by_design():
    assert Outcome("d", "x", "accepted", "200", accepted="clients send their own").held
    assert not Outcome("d", "x", "accepted", "200").held
    assert Outcome("d", "x", "clear", "422").held
    for kind in ("unclear", "5xx", "crash", "hang", "damage"):
        assert not Outcome("d", "x", kind, "-", accepted="a reason changes nothing").held


def test_gradio_event_streams_are_read_both_ways():
    call = ["event: heartbeat", "data: null", "", "event: error",
            'data: {"error": "k must be an integer from 1 to 100, got 0"}']
    assert stream_result(call) == ("error", {"error": "k must be an integer from 1 to 100, "
                                                      "got 0"})
    queue = ['data: {"msg": "process_starts", "event_id": "e1"}',
             'data: {"msg": "process_completed", "event_id": "other", "success": true, '
             '"output": {"data": ["not ours"]}}',
             'data: {"msg": "process_completed", "event_id": "e1", "success": true, '
             '"output": {"data": ["<p>report</p>"]}}']
    assert stream_result(queue, "e1") == ("complete", ["<p>report</p>"])
    assert stream_result(["event: complete"]) == ("", None)
    assert error_outcome({"error": None}) == ("unclear", "a bare error event (no message)")


def _report(*files: FileReport) -> BuildReport:
    return BuildReport(files=files, chunks_added=1, chunks_removed=0, chunks_total=4,
                       seconds=0.1, published=True, version="v2")


def test_upload_reports_are_parsed_from_the_pages_own_html():
    refused = report_html([UploadResult("photo.txt", None, "not a text file: a PNG image")],
                          _report())
    assert parse_report(refused) == [("photo.txt", "rejected", "not a text file: a PNG image")]
    one = Upload("x", (("photo.txt", b""),))
    assert judge_upload(one, parse_report(refused))[0] == "clear"

    saved = report_html([UploadResult("../e.txt", "uploads/e.txt")],
                        _report(FileReport("uploads/e.txt", "added", posts=1, chunks=1)))
    assert judge_upload(one, parse_report(saved)) == ("accepted", "saved 1", "uploads/e.txt")
    outside = report_html([UploadResult("e.txt", "e.txt")],
                          _report(FileReport("e.txt", "added", posts=1, chunks=1)))
    assert judge_upload(one, parse_report(outside))[0] == "damage"
    skipped = report_html([UploadResult("p.txt", "uploads/p.txt")],
                          _report(FileReport("uploads/p.txt", "skipped", "binary file")))
    assert judge_upload(one, parse_report(skipped))[0] == "unclear"  # the old PNG bug
    lost = report_html([], _report(FileReport("ballot.txt", "removed")))
    assert judge_upload(one, parse_report(lost))[0] == "damage"
    two = Upload("x", (("a.txt", b"a"), ("b.txt", b"b")))
    assert judge_upload(two, parse_report(saved))[0] == "unclear"  # one of two saved


def test_the_row_counts_per_door_and_names_each_failure():
    outcomes = [Outcome("MCP", "k = 0", "clear", "tool error", "k must be …"),
                Outcome("MCP", "extra", "accepted", "result", accepted="by design"),
                Outcome("uploads", "empty", "unclear", "error event", "a bare error event")]
    row = malformed_check(outcomes)
    assert (row.part, row.trials, row.passed) == ("malformed inputs", 3, 2)
    assert row.figure.startswith("MCP 2/2, uploads 0/1; 5xx 0") and "unclear 1" in row.figure
    assert row.failures == ("uploads: empty: unclear (error event) a bare error event",)
    table = door_table(outcomes)
    assert "| MCP | 2 | 2 |" in table and "| uploads | empty | **no** |" in table


def test_at_least_30_probes_beyond_rest_and_v1():
    assert len(MALFORMED) >= 50 and len(MCP_PROBES) + len(CALLS) >= 60


@pytest.mark.server
def test_quick_sweep_holds_at_every_door():
    rows = checks(quick=True)
    assert [row.part for row in rows] == ["malformed inputs"]
    assert rows[0].trials >= len(MALFORMED) + 30 + 20
    for door in ("REST /ask", "/v1 chat", "MCP", "Gradio API", "uploads"):
        assert door in rows[0].figure
    assert all(row.ok for row in rows), rows[0].failures
