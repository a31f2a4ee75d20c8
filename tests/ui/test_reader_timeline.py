"""The reader's HTML and the timeline chart's pure pieces (no browser)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from assistant.search.thread import Thread, ThreadEntry
from assistant.search.timeline import Bucket, Timeline
from assistant.ui.reader import render_thread
from assistant.ui.timeline import period_dates, span_dates, timeline_frame, timeline_note

EVIL = '<img src=x onerror="alert(1)">'


def _entry(kind, text, ids, *, author=None, number=None, reply_to=None, depth=0,
           url=None, texts=None):
    return ThreadEntry(kind, author, date(2016, 6, 7), number, url, reply_to, depth, text,
                       tuple(ids), tuple(texts or [text]))


def _thread(**kwargs):
    post = _entry("post", "The offer was one per cent. The union said no.", ["p1"],
                  author="Editor", url="https://blog.example/pay-talks")
    comments = (
        _entry("comment", f"First reply {EVIL}", ["c1"], author="Getafix", number="1"),
        _entry("comment", "Answering Getafix: six years of frozen pay.", ["c2"],
               author="FrankK", number="1.1", reply_to="Getafix", depth=1),
    )
    return Thread("pay.txt#0", "Pay Talks <Stall>", post, comments, **kwargs)


def test_the_cited_passage_is_the_focus_with_its_quote_marked():
    html = render_thread(_thread(left_out=0), "c2", ["six years of frozen pay"])
    assert html.count('id="reader-focus"') == 1
    focus = html[html.index('id="reader-focus"'):]
    assert focus.index("<mark") < focus.index("six years of frozen pay") < focus.index("</span>")
    assert 'class="reader-comment cited"' in html and "replying to Getafix" in html
    assert 'data-depth="1"' in html and "2 comments" in html


def test_archive_text_is_escaped_and_only_web_links_are_kept():
    html = render_thread(_thread(left_out=0), "p1")
    assert EVIL not in html and "&lt;img" in html
    assert "Pay Talks &lt;Stall&gt;" in html
    assert 'href="https://blog.example/pay-talks"' in html and 'rel="noopener noreferrer"' in html
    hostile = Thread("x#0", "t", _entry("post", "text", ["p"], url="javascript:alert(1)"), (),
                     0)
    assert "javascript:" not in render_thread(hostile, "p")


def test_passages_past_the_limit_are_counted_and_a_missing_post_said():
    html = render_thread(_thread(left_out=1234), "nothing-cited")
    assert "1234 more passages" in html and 'id="reader-focus"' not in html
    orphan = Thread("x#0", "t", None, (_entry("comment", "hi", ["c"], number="1"),), 0)
    assert "The post itself is not in the archive" in render_thread(orphan, "c")


def test_period_dates_and_spans():
    assert period_dates("2016") == ("2016-01-01", "2016-12-31")
    assert period_dates("2016-02") == ("2016-02-01", "2016-02-29")
    assert period_dates("2015-02") == ("2015-02-01", "2015-02-28")
    assert span_dates(["2016-03", "2014-11"]) == ("2014-11-01", "2016-03-31")
    for bad in ("", "2016-13", "16", "2016-1", "'; drop"):
        with pytest.raises(ValueError):
            period_dates(bad)
    with pytest.raises(ValueError):
        span_dates([])


def test_the_chart_table_keeps_empty_periods_and_the_note_says_what_it_counts():
    timeline = Timeline("year", (Bucket("2014", 2, 5), Bucket("2015", 0, 0),
                                 Bucket("2016", 1, 0)), posts=3, comments=5, undated=1,
                        rule="")
    frame = timeline_frame(timeline)
    assert list(frame["period"]) == ["2014", "2014", "2015", "2015", "2016", "2016"]
    assert list(frame["count"]) == [2, 5, 0, 0, 1, 0]
    assert set(frame["kind"]) == {"posts", "comments"}
    note = timeline_note(timeline, "pay <freeze>")
    assert "3 posts and 5 comments" in note and "per year" in note
    assert "1 undated one not shown" in note and "&lt;freeze&gt;" in note
    empty = SimpleNamespace(posts=0, comments=0, buckets=(), granularity="year", undated=0)
    assert "No dated post or comment matches" in timeline_note(empty, "zebra")
