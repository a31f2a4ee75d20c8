"""The page's pure renderers, without Gradio: escaping, ``[n]`` links, unverified sentences,
source cards, the copies, the chat message and the Archive tab's panels."""

from __future__ import annotations

import subprocess
import sys

from assistant.ui.cards import Turn as _Turn
from assistant.ui.cards import render_sources
from assistant.ui.messages import final_message
from assistant.ui.render import answer_markdown, answer_plain, render_answer
from assistant.ui.reports import report_html, stats_html
from assistant.ui.uploads import UploadResult
from tests.conftest import REPO
from tests.ui.helpers import EVIL, EVIL_IMG
from tests.ui.helpers import answer_of as _answer
from tests.ui.helpers import hit as _hit


def test_answer_text_is_escaped_and_markers_link_to_cards():
    md = render_answer(f"Quote {EVIL} and {EVIL_IMG} [1] [7] *bold*", 2, turn=3,
                       titles=["T<1>", "T2"])
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;" in md and "&lt;img" in md
    assert 'href="#src-3-1"' in md and 'title="Source 1: T&lt;1&gt;"' in md
    assert "#src-3-7" not in md and "\\[7\\]" in md  # not a passage: left as text
    assert "\\*bold\\*" in md


def test_unsupported_sentence_is_marked():
    text = "Pay was frozen [1]. The moon is cheese [2]. [unverified] Napo agreed [1]."
    md = render_answer(text, 2)
    assert md.count('<span class="unsupported"') == 1 and "[unverified]" not in md
    start = md.index('<span class="unsupported"')
    assert md.index("Pay was frozen") < start < md.index("The moon") < md.index("</span>") \
        < md.index("Napo agreed")


def test_unverified_mark_covers_one_list_item():
    """The verified answer joins list items into one line: the mark covers the last item."""
    md = render_answer("Reasons: • pay [1]. • caseloads [2]. [unverified]", 2)
    start = md.index('<span class="unsupported"')
    assert md.index("pay") < start < md.index("caseloads")
    md = render_answer("Only one claim [1]. [unverified]", 1)
    assert md.startswith('<span class="unsupported"')


def test_source_cards_escape_everything_and_highlight_the_quote():
    hits = [_hit(text=f"Before {EVIL} frozen for six years after {EVIL_IMG}",
                 title=f"Evil {EVIL_IMG}"),
            _hit(n=2, kind="comment", author="Getafix<b>", number="3")]
    turn = _Turn(1, f"question {EVIL}", tuple(hits), {1: ["frozen for six years"]}, {1},
                 set(), False, True)
    page = render_sources([turn])
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<mark>frozen for six years</mark>" in page
    assert 'id="src-1-1"' in page and 'id="src-1-2"' in page
    assert "Reader comment #3 by Getafix&lt;b&gt;" in page and "14" in page
    assert "Sources" in page and "file1.txt" in page


def test_cards_link_only_web_addresses():
    safe = _hit(url="https://blog.example/pay")
    unsafe = _hit(n=2, url="javascript:alert(1)")
    page = render_sources([_Turn(1, "q", (safe, unsafe), done=True)])
    assert 'href="https://blog.example/pay"' in page
    assert "javascript:" not in page and "<code>file2.txt</code>" in page


def test_refusal_shows_closest_matches():
    hits = [_hit(), _hit(n=2)]
    answer = _answer(hits, "The archive does not say.", refused=True)
    turn = _Turn(1, "shortbread?", tuple(hits), refused=True, done=True)
    assert "Closest matches" in render_sources([turn])
    plain = answer_plain(answer)
    assert plain.startswith("The archive does not say.") and "Closest matches:" in plain


def test_copy_formats_carry_references():
    hits = [_hit(kind="comment", author="Getafix", number="2")]
    answer = _answer(hits)
    plain, md = answer_plain(answer), answer_markdown(answer)
    assert "References:\n[1] Pay Freeze — 3 Mar 2014 — Reader comment #2 by Getafix" in plain
    assert '"frozen for six years"' in plain
    assert "**References**" in md and "1. *Pay Freeze*" in md and "> frozen for six years" in md


def test_final_message_links_sources_and_names_the_backend():
    hits = [_hit(title=f"Pay {EVIL}"), _hit(n=2)]
    turn = _Turn(4, "q", tuple(hits)).answered(_answer(hits, supported=False))
    message = final_message(_answer(hits, supported=False), turn, ["Model was busy"])
    assert '<a class="cite" href="#src-4-1"' in message and "<script" not in message
    assert "Note: Model was busy" in message and "Answered by extractive" in message
    assert turn.done and turn.cited == {1} and turn.unverified == {1}


def test_archive_panels_escape_and_report_each_file():
    stats = stats_html({"posts": 3, "comments": EVIL, "chunks": 9, "files_indexed": 2,
                        "built_at": "2024-05-01T10:00:00", "index_bytes": 2_000_000})
    assert stats.count('class="stat"') == 4 and "&lt;script&gt;" in stats
    assert "2024-05-01 10:00:00 UTC" in stats and "2.0 MB" in stats
    assert "error-box" in stats_html(None, "no index")
    report = report_html([UploadResult("x.exe", None, "unsupported type .exe")], None, "boom")
    assert "rejected" in report and "boom" in report
    assert report_html([], None) == "<p>Nothing to report.</p>"


def test_renderers_import_no_gradio():
    code = ("import sys, assistant.ui.render, assistant.ui.cards, assistant.ui.messages, "
            "assistant.ui.reports, assistant.ui.uploads, assistant.ui.backends; "
            "print('gradio' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    assert out.strip() == "False"
