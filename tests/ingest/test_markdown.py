"""Markdown through markdown-it-py and front matter through PyYAML: the text and metadata."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from assistant.ingest import parse_text
from assistant.ingest.frontmatter import front_matter, front_matter_lines
from assistant.ingest.markdown import markdown_text


def _md(text: str):
    (post,) = parse_text(text, "p.md", suffix=".md")
    return post


# --------------------------------------------------------------------------- front matter


def test_yaml_anchors_aliases_lists_and_quoted_dates() -> None:
    post = _md(
        "---\n"
        "writer: &who Jim Brown\n"
        "author: *who\n"
        "title: 'It''s \"quoted\"'\n"
        'date: "2016-09-29"\n'
        "image:\n  path: &image /a.jpg\n  feature: *image\n"
        "tags:\n  - napo\n  - agm\n"
        "---\n\nBody.\n"
    )
    assert post.title == 'It\'s "quoted"'
    assert (post.author, post.date) == ("Jim Brown", date(2016, 9, 29))
    meta, rest = front_matter("---\ntitle: T\ntags: [a, b]\ncats:\n  - c\n  - d\n---\nx")
    assert (meta["tags"], meta["cats"], rest) == ("a, b", "c, d", "x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-09-29", date(2016, 9, 29)),
        ("'2019-06-06T07:02:00+01:00'", date(2019, 6, 6)),
        ("2018-11-06T23:59:09-05:00", date(2018, 11, 6)),  # the day written, not UTC's
        ('"6 June 2019"', date(2019, 6, 6)),
        ("2016-09-29 10:00:00 +0100", date(2016, 9, 29)),
        ("2016-13-45", None),  # not a date: no error, and the body has none either
    ],
)
def test_front_matter_dates(value: str, expected: date | None) -> None:
    assert _md(f"---\ntitle: T\ndate: {value}\n---\nBody.\n").date == expected


def test_failsafe_schema_keeps_values_as_written() -> None:
    post = _md("---\ntitle: No\nauthor: 007\n---\nBody.\n")
    assert (post.title, post.author) == ("No", "007")  # not False, not 7
    post = _md("---\ntitle: >-\n  A folded\n  title\nauthor:\n  name: Ann Lee\n---\nBody.\n")
    assert (post.title, post.author) == ("A folded title", "Ann Lee")
    post = _md('---\ntitle: "Caf\\u00e9 **bold**"\nurl: https://x.org/a\n---\nBody.\n')
    assert (post.title, post.url) == ("Café bold", "https://x.org/a")


def test_front_matter_yaml_refuses_still_reads_its_lines() -> None:
    post = _md("---\ntitle: Napo: the union\ndate: 6 June 2019\n---\nBody.\n")
    assert (post.title, post.date, post.body) == ("Napo: the union", date(2019, 6, 6), "Body.")


def test_front_matter_needs_a_post_key_and_txt_files_with_one_are_markdown() -> None:
    assert front_matter("---\nlayout: post\n---\nBody") == ({}, "---\nlayout: post\n---\nBody")
    assert front_matter("---\n- a\n- b\n---\nBody") == ({}, "---\n- a\n- b\n---\nBody")
    (post,) = parse_text("---\ntitle: Notes\n---\nSome *text*.\n", "n.txt")
    assert (post.title, post.body) == ("Notes", "Some text.")


FLAT_BLOCKS = [
    "title: Cardiff AGM 2016\ndate: 2016-09-29",
    "title: \"Cardiff AGM 2016\"\nauthor: 'Jim Brown'",
    "Title: Upper case key\nURL: https://example.org/a?b=c",
    "title: Hello\ntags: [napo]\ndate: 6 June 2019",
    "title: It is 10 o'clock\nauthor: Jim Brown",
    "title: A\ntitle_2: B\nlink: /x/",
]


@pytest.mark.parametrize("block", FLAT_BLOCKS)
def test_line_fallback_matches_yaml_on_flat_front_matter(block: str) -> None:
    """``front_matter_lines`` runs only where YAML refuses a block; on the flat blocks both
    read, it must agree with PyYAML (the pattern of ``test_scores_match_bm25s``)."""
    data = yaml.load(block, Loader=yaml.BaseLoader)
    by_yaml = {
        k.lower(): ", ".join(v) if isinstance(v, list) else v for k, v in data.items()
    }
    assert front_matter_lines(block) == by_yaml
    assert front_matter(f"---\n{block}\n---\nx")[0] == by_yaml


# --------------------------------------------------------------------------- Markdown posts


def test_markdown_front_matter() -> None:
    text = (
        '---\ntitle: "Cardiff AGM 2016"\ndate: 2016-09-29\nauthor: Jim Brown\n'
        "url: https://example.org/agm\ntags: [napo]\n---\n\n"
        "# Not the title\n\nSo, **much** to the _surprise_ of [some](http://x.org).\n\n"
        "- quoracy\n- NEC\n\n```\ncode *stays*\n```\n"
    )
    (post,) = parse_text(text, "a.md", suffix=".md")
    assert post.title == "Cardiff AGM 2016"
    assert post.date == date(2016, 9, 29)
    assert post.author == "Jim Brown"
    assert post.url == "https://example.org/agm"
    assert post.body == (
        "Not the title\n\nSo, much to the surprise of some.\n\n• quoracy\n• NEC\n\ncode *stays*"
    )


def test_markdown_heading_is_title() -> None:
    text = "Intro line\n\n# How We Got Here\n\nBody with a date: 26 September 2016.\n"
    (post,) = parse_text(text, "b.markdown", suffix="markdown")
    assert post.title == "How We Got Here"
    assert post.body == "Intro line\n\nBody with a date: 26 September 2016."
    assert post.date == date(2016, 9, 26)
    assert post.author is None


# --------------------------------------------------------------------------- Markdown text


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("AT&amp;T \\*not emphasis\\* &copy;", "AT&T *not emphasis* ©"),
        ("See [the *report*][r] and `Vec<T>`.\n\n[r]: https://x.org", "See the report and Vec<T>."),
        ("[options[parent]](https://x.org) and ![a *b*](i.png)", "options[parent] and a b"),
        ("3. three\n4. four", "3. three\n4. four"),
        ("- a\n  - b\n- c\n\nAfter.", "• a\n• b\n• c\n\nAfter."),
        ("| a | b |\n|---|---|\n| 1 | **2** |", "a | b\n1 | 2"),
        ("<div>\n<script>x()</script>\nHi &amp; bye\n</div>", "Hi & bye"),
        ("<ul>\n<li><img src=a.jpg></li>\n<li>one</li>\n</ul>", "• one"),
        ("[the post]({% post_url /a/b %}) and [ref][p].\n\n[p]: {{ site.url }}{% link x %}",
         "the post and ref."),
        ("> quoted\n> line\n\n---\n\n~~gone~~ kept", "quoted\nline\n\ngone kept"),
        ("```\n# not a heading\n  *code*\n```", "# not a heading\n*code*"),
        ("line one  \nline two\nline three", "line one\nline two\nline three"),
    ],
)
def test_markdown_to_text(markdown: str, text: str) -> None:
    assert markdown_text(markdown) == (None, text)


def test_first_level_one_heading_is_the_title() -> None:
    post = _md("```\n# in code\n```\n\nSubtitle\n\nThe Title\n=========\n\n# Second\n\nText.\n")
    assert post.title == "The Title"
    assert post.body == "# in code\n\nSubtitle\n\nSecond\n\nText."
    post = _md("## Only a level two\n\nText.\n")
    assert (post.title, post.body) == ("Only a level two", "Text.")
