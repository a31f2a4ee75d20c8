"""The blog-text format: posts split on date lines, numbered nested comments, sign-offs."""

from __future__ import annotations

from datetime import date

from assistant.ingest import parse_text
from assistant.records import Comment

# --------------------------------------------------------------------------- blog excerpts

EXCERPT_000 = """\
Thursday 6 June 2019

What Probation Could Look Like

I notice Russell Webster\u00a0has filled in some of the gaps.\u00a0

  \u2022 Not enough good quality placements.
  \u2022 Excessive   travel time.
Accredited programmes

Russell Webster

8 comments:

  1. "ensuring that in the future Accredited Programmes are the intervention of choice"

    It will also increase my workload.

    ReplyDelete
  2. Re-post: seems appropriate -
    Anonymous6 June 2019 at 07:02

    Snake oil, get yer luvverly snake oil here.

    A clear victory for the unions!!!

    ReplyDelete
    Replies
    1. It's time 'accredited programmes' were placed in inverted commas.

      Delete
    2. Wow. You couldn't make it up.

      Delete
  3. Some news on pay in the RRP CRCs.
    Dear colleagues,

    ReplyDelete
"""


def test_blog_excerpt_body_comments_and_whitespace() -> None:
    (post,) = parse_text(EXCERPT_000, "blog.txt")
    assert post.source == "blog.txt"
    assert post.body == (
        "I notice Russell Webster has filled in some of the gaps.\n\n"
        "• Not enough good quality placements.\n"
        "• Excessive travel time.\n"
        "Accredited programmes\n\n"
        "Russell Webster"
    )
    assert [c.number for c in post.comments] == ["1", "2", "2.1", "2.2", "3"]
    assert post.comments[0] == Comment(
        number="1",
        text='"ensuring that in the future Accredited Programmes are the intervention of '
        'choice"\n\nIt will also increase my workload.',
    )
    second = post.comments[1]
    assert (second.author, second.date) == ("Anonymous", date(2019, 6, 6))
    assert second.text == (
        "Re-post: seems appropriate -\n\nSnake oil, get yer luvverly snake oil here.\n\n"
        "A clear victory for the unions!!!"
    )
    assert post.comments[3].text == "Wow. You couldn't make it up."
    assert post.comments[4].text == "Some news on pay in the RRP CRCs.\nDear colleagues,"


EXCERPT_002 = """\
Friday 30 September 2016

Napo at Work in the South West 7

Dino Peros South South West NAPO Branch Chair JNCC Rep.


19th May 2016
Branch correspondence

Dear John,

Monday 2 May 2016

Dear John,

The report was published today (Thursday 29 September).

Thursday 29 September 2016

Cardiff AGM 2016

So, much to the surprise and delight of at least some present.
"""


def test_date_like_lines_inside_a_body_do_not_start_posts() -> None:
    posts = parse_text(EXCERPT_002, "x.txt")
    assert [(p.date, p.title) for p in posts] == [
        (date(2016, 9, 30), "Napo at Work in the South West 7"),
        (date(2016, 9, 29), "Cardiff AGM 2016"),
    ]
    assert "19th May 2016\nBranch correspondence" in posts[0].body
    assert "Monday 2 May 2016\n\nDear John," in posts[0].body
    assert posts[1].body == "So, much to the surprise and delight of at least some present."


def test_blog_post_with_no_comments_header_and_blogger_chrome() -> None:
    text = (
        "Sunday 25 September 2016\n\nPick of the Week 15\n\nFirst paragraph.\n\n"
        "Posted by Jim Brown at 07:00\nEmail ThisBlogThis!Share to TwitterShare to Facebook\n\n"
        "No comments:\n\nPost a Comment\n"
    )
    (post,) = parse_text(text, "x.txt")
    assert post.body == "First paragraph."
    assert post.author == "Jim Brown"
    assert post.comments == ()


SIGNED = """\
Monday 19 October 2020

Probation Worries For Voluntary Sector

Body.

5 comments:

  1. Was it 37 companies that Serco subcontracted track and trace to?

    'Getafix

    ReplyDelete
  2. They are shameless liars.

    FranK.

    ReplyDelete
  3. Good guest blog interesting and informative.

    Thanks

    ReplyDelete
  4. Gove has just made a statement.

    Well Done

    ReplyDelete
  5. Jim Brown

    ReplyDelete
  6. One could be forgiven for thinking John Crace reads Jim's blog!

    NAPO

    ReplyDelete
  7. Reply from a reader.

    Andrew Hatton

    ReplyDelete
"""


def test_signatures_are_conservative() -> None:
    (post,) = parse_text(SIGNED, "x.txt")
    authors = {c.number: c.author for c in post.comments}
    assert authors == {
        "1": "Getafix",
        "2": "FranK",
        "3": None,  # a sign-off word, not a name
        "4": None,
        "5": None,  # the only line: not a signature
        "6": None,  # an acronym
        "7": "Andrew Hatton",
    }
    assert post.comments[0].text.endswith("'Getafix")  # the text itself is left intact
