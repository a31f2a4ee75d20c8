"""The one reference renderer: the rows an answer lists and the line each caller writes."""

from __future__ import annotations

from datetime import date

from assistant.answer.references import (
    CHAT_COMPLETION,
    MARKDOWN,
    PLAIN_TEXT,
    TERMINAL,
    UNSUPPORTED_FLAG,
    reference_line,
    references,
    references_block,
    where,
    who,
)
from assistant.records import Answer, Citation, Hit


def _hit(n=1, kind="post", author=None, number=None, url=None, day=date(2014, 3, 3)):
    return Hit(text="Napo says pay has been frozen for six years. " * 8, score=1.0,
               source=f"file{n}.txt", title="Pay Freeze", date=day, kind=kind, author=author,
               chunk_id=f"c{n}", comment_number=number, url=url)


def test_who_when_where():
    assert who(_hit()) == "Post" and who(_hit(author="Ann")) == "Post by Ann"
    assert who(_hit(kind="comment", author="Getafix", number="3")) == \
        "Reader comment #3 by Getafix"
    assert who(_hit(kind="comment")) == "Reader comment (anonymous)"
    assert who(_hit(author="Ann"), lower_case=True) == "post by Ann"
    assert where(_hit(url="https://blog.example/p")) == "https://blog.example/p"
    assert where(_hit(url="javascript:alert(1)")) == "file1.txt"


def test_each_caller_writes_the_same_line():
    hit = _hit(kind="comment", author="Getafix", number="2")
    assert reference_line(1, hit) == \
        "[1] Pay Freeze — 3 Mar 2014 — Reader comment #2 by Getafix — file1.txt"
    assert reference_line(1, hit, TERMINAL) == \
        "[1] Pay Freeze — 2014-03-03 — reader comment #2 by Getafix — file1.txt"
    assert reference_line(1, hit, CHAT_COMPLETION) == \
        "- [1] Pay Freeze — 2014-03-03 — reader comment #2 by Getafix — file1.txt"
    assert reference_line(1, hit, MARKDOWN) == \
        "1. *Pay Freeze* — 3 Mar 2014 — Reader comment #2 by Getafix — `file1.txt`"
    assert reference_line(2, _hit(day=None), supported=False).endswith(
        f"— undated — Post — file1.txt  {UNSUPPORTED_FLAG}")


def test_rows_are_cited_passages_once_or_the_closest_matches():
    one, two = _hit(), _hit(n=2)
    answer = Answer("q", "a [2] b [1] c [2]", False,
                    (Citation(2, two, "", False), Citation(1, one, "first", True),
                     Citation(2, two, "frozen", True)), (one, two))
    heading, rows = references(answer)
    assert heading == "References" and [r.n for r in rows] == [1, 2]
    assert rows[1].quote == "frozen" and rows[1].supported  # the citation that checked out
    refused = Answer("q", "The archive does not say.", True, (), (one, two))
    heading, rows = references(refused)
    assert heading == "Closest matches" and [r.n for r in rows] == [1, 2]
    assert references_block(Answer("q", "no", True)) == ""


def test_blocks():
    one = _hit()
    answer = Answer("q", "a [1]", False, (Citation(1, one, "six years", True),), (one,))
    assert references_block(answer, PLAIN_TEXT) == \
        'References:\n[1] Pay Freeze — 3 Mar 2014 — Post — file1.txt\n    "six years"'
    assert references_block(answer, CHAT_COMPLETION) == \
        "References:\n- [1] Pay Freeze — 2014-03-03 — post — file1.txt"
    assert references_block(answer, MARKDOWN).startswith("**References**\n\n1. *Pay Freeze*")
    closest = references_block(Answer("q", "no", True, (), (one,)), TERMINAL).splitlines()
    assert closest[0] == "Closest matches:" and closest[2].startswith('    "Napo says')
    assert len(closest[2]) < 220 and closest[2].endswith(' …"')
