"""Text without date lines: saved web pages (chrome removed) and plain notes."""

from __future__ import annotations

from datetime import date

from assistant.ingest import parse_text
from assistant.records import Comment

# --------------------------------------------------------------------------- undated text

WEB_PAGE = """\
Keep up-to-date with drugs and crime

The latest research, policy, practice and opinion on our criminal justice and drug & alcohol \
treatment systems
Search
Voluntary sector \u201cless involved than ever in probation\u201d
Probation inspectors' investigation into probation supply chains finds a \u201cbleak and \
exasperating\u201d picture.

Share This Post

We have known that this has not been the case in practice for some time now.\u00a0 \
Today\u2019s (17 April 2018) HMI Probation\u2019s thematic report on probation supply chains \
confirms that this is the case.

The small scale nature of provision was underlined by the fact that nearly half of the \
providers working with CRCs were employing under two members of staff:

Share This Post

Related posts

On Probation
An A-Z of key research messages

One Response

Leave a Reply

Your email address will not be published. Required fields are marked *

Subscribe

Get every blog post by email for free
"""


def test_web_page_text_title_date_and_chrome() -> None:
    (post,) = parse_text(WEB_PAGE, "page.txt")
    assert post.title == "Voluntary sector \u201cless involved than ever in probation\u201d"
    assert post.date == date(2018, 4, 17)
    assert post.body.startswith("Probation inspectors' investigation")
    assert post.body.endswith("employing under two members of staff:")
    assert "Today\u2019s (17 April 2018) HMI" in post.body
    for chrome in ("Share This Post", "Related posts", "Leave a Reply", "Subscribe", "Search"):
        assert chrome not in post.body


def test_web_page_byline() -> None:
    text = (
        "Menu\nSearch\nProbation Inspectors Report\nBy Jane Smith\n\n"
        "The inspectorate published its findings on 3 March 2021 and they were bleak.\n"
    )
    (post,) = parse_text(text, "p.txt")
    assert (post.title, post.author, post.date) == (
        "Probation Inspectors Report",
        "Jane Smith",
        date(2021, 3, 3),
    )
    assert (
        post.body == "The inspectorate published its findings on 3 March 2021 and they were bleak."
    )


def test_plain_text_first_line_is_title() -> None:
    (post,) = parse_text("\n\nMy notes\n\nFirst para\nstill first.\n\n\n\nSecond.\n", "n.txt")
    assert (post.title, post.body, post.date, post.comments) == (
        "My notes",
        "First para\nstill first.\n\nSecond.",
        None,
        (),
    )


def test_undated_comments_only() -> None:
    (post,) = parse_text("8 comments:\n\n  1. First.\n\n    ReplyDelete\n", "dir/thread.txt")
    assert (post.title, post.body) == ("thread", "")
    assert post.comments == (Comment(number="1", text="First."),)


def test_plain_text_long_first_line_stays_in_body() -> None:
    line = "word " * 60
    (post,) = parse_text(line, "n.txt", suffix="")
    assert post.title.endswith("…") and len(post.title) <= 121
    assert post.body == line.strip()
