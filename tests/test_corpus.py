"""Tests for the corpus parser: the shipped files, excerpts of them, and the other formats."""

from __future__ import annotations

import codecs
import json
import re
from datetime import date
from pathlib import Path

import pytest

from assistant.ingest.corpus import SkippedFile, parse_file, parse_text, signed_sections
from assistant.records import Comment, Post

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.jsonl"
NOISE = {"ReplyDelete", "Delete", "Replies", "Reply"}


def _load(name: str) -> list[Post]:
    path = next(CORPUS.glob(f"{name}_*.txt"))
    return parse_file(path, f"corpus/{path.name}")


def _all_text(post: Post) -> str:
    return "\n".join([post.title, post.body, *(c.text for c in post.comments)])


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- shipped files


def test_file_002_has_eight_posts_split_on_date_lines() -> None:
    posts = _load("002")
    assert [(p.date, p.title) for p in posts] == [
        (date(2016, 9, 30), "Napo at Work in the South West 7"),
        (date(2016, 9, 29), "Cardiff AGM 2016"),
        (date(2016, 9, 28), "Napo at Work in the South West 6"),
        (date(2016, 9, 27), "Accountant's Reinvent the Wheel - Shock!"),
        (date(2016, 9, 26), "How We Got Here"),
        (date(2016, 9, 25), "Pick of the Week 15"),
        (date(2016, 9, 24), "MP's Raise the Alarm"),
        (date(2016, 9, 23), "Latest From Napo 119"),
    ]
    assert all(p.comments == () and p.author is None for p in posts)
    # "19th May 2016" / "Branch correspondence" inside the first body is not a post boundary
    assert "19th May 2016\nBranch correspondence" in posts[0].body
    assert posts[0].body.endswith("Regular communications will also be shared via managers.")
    assert posts[1].body.startswith("So, much to the surprise and delight")
    assert "Thursday 29 September 2016" not in posts[0].body


def test_file_000_comments_and_replies() -> None:
    (post,) = _load("000")
    assert post.title == "What Probation Could Look Like"
    assert post.date == date(2019, 6, 6)
    assert post.source == "corpus/000_0cb4c25e1103f043.txt"
    assert "comments:" not in post.body
    assert post.body.endswith("Russell Webster")
    numbers = [c.number for c in post.comments]
    assert numbers == ["1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "3"]  # "8 comments:"
    assert len([n for n in numbers if "." not in n]) == 3
    second = post.comments[1]
    assert second.author == "Anonymous"
    assert second.date == date(2019, 6, 6)
    assert "Anonymous6 June" not in second.text
    assert second.text.startswith("Re-post: seems appropriate -\n\nSnake oil, get yer luvverly")
    assert post.comments[0].author is None and post.comments[0].date is None
    assert "74% of ESA tests" in post.comments[5].text
    for comment in post.comments:
        assert not NOISE & {line.strip() for line in comment.text.splitlines()}
        assert comment.text == comment.text.strip() and "\n\n\n" not in comment.text
        assert not any(line.startswith(" ") for line in comment.text.splitlines())


def test_file_001_signatures_and_lists_inside_replies() -> None:
    (post,) = _load("001")
    assert post.title == "Probation Worries For Voluntary Sector"
    assert post.date == date(2020, 10, 19)
    by_number = {c.number: c for c in post.comments}
    assert [n for n in by_number if "." not in n] == ["1", "2", "3", "4", "5", "6"]
    assert [n for n in by_number if n.startswith("1.")] == [f"1.{i}" for i in range(1, 7)]
    assert [n for n in by_number if n.startswith("2.")] == [f"2.{i}" for i in range(1, 9)]
    # the numbered recommendations quoted in reply 1.3 stay in its text
    assert "1. Regional Probation Directors must ensure" in by_number["1.3"].text
    assert "11. Budgets should be set aside" in by_number["1.3"].text
    assert by_number["2.8"].author == "Getafix"
    assert by_number["3"].author == "Getafix"
    assert by_number["4"].author == "FranK"
    assert by_number["1"].author is None
    assert by_number["6"].author is None


def test_file_003_comments() -> None:
    (post,) = _load("003")
    assert (post.date, post.title) == (date(2014, 12, 19), "Guest Blog 15")
    top = [c for c in post.comments if "." not in c.number]
    assert len(top) == 6
    assert len(post.comments) == 16  # the header says "17 comments:"; one is not in the file
    assert [c.number for c in post.comments if c.number.startswith("2.")] == [
        f"2.{i}" for i in range(1, 10)
    ]
    papa = post.comments[-2]
    assert papa.number == "5" and papa.author == "papa"
    assert "17 comments" not in post.body
    assert post.body.endswith("A national probation service and we will begin again.")


def test_file_004_web_page_without_date_line() -> None:
    (post,) = _load("004")
    assert post.title == "Voluntary sector “less involved than ever in probation”"
    assert post.date == date(2018, 4, 17)
    assert post.author is None
    assert post.comments == ()
    assert post.body.startswith("Probation inspectors' investigation into probation supply")
    assert "under two members of staff" in post.body
    chrome_lines = ["Share This Post", "Leave a Reply", "Subscribe", "Related posts"]
    chrome_lines += ["One Response", "Keep up-to-date", "Search", "Unilink", "email address"]
    for chrome in chrome_lines:
        assert chrome not in post.body
    assert post.body.endswith("meet service user needs.")


def test_every_shipped_file_parses_cleanly() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        posts = parse_file(path, f"corpus/{path.name}")
        assert posts
        for post in posts:
            assert post.source == f"corpus/{path.name}"
            assert post.title and post.body and post.date
            text = _all_text(post)
            assert "ReplyDelete" not in text
            assert "\u00a0" not in text and "  " not in text
            assert len(post.post_id) == 16


def _dev_gold() -> list[tuple[str, str]]:
    if not DEV_QUESTIONS.exists():
        return []
    rows = [json.loads(line) for line in DEV_QUESTIONS.read_text("utf-8").splitlines() if line]
    return [(g["source"], g["evidence"]) for row in rows for g in row.get("gold", [])]


@pytest.mark.skipif(not DEV_QUESTIONS.exists(), reason="../shared/eval/dev.jsonl not present")
@pytest.mark.parametrize(("source", "evidence"), _dev_gold())
def test_dev_evidence_survives_parsing(source: str, evidence: str) -> None:
    path = ROOT / source
    posts = parse_file(path, source)
    parsed = [_squash(_all_text(p)) for p in posts]
    assert any(_squash(evidence) in text for text in parsed)


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


# --------------------------------------------------------------------------- Markdown, HTML


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


HTML = """<!DOCTYPE html>
<html><head><title>MPs raise the alarm | Civil Service World</title>
<meta name="author" content="Jim Brown">
<meta property="article:published_time" content="2016-09-24T08:00:00+01:00">
<link rel="canonical" href="https://example.org/mps">
<style>body { color: red }</style>
<script>alert(1)</script></head>
<body><nav><a href="/">Home</a> Search</nav>
<header><h1>MPs raise the alarm</h1></header>
<article><p>The Ministry of Justice is <b>unable</b> to demonstrate&nbsp;success.</p>
<script>alert(1)</script><noscript>Enable JavaScript</noscript>
<template><p>hidden</p></template>
<ul><li>one</li><li>two</li></ul>
<p>ICT systems were &ldquo;inefficient, unreliable and hard to use&rdquo;.<br>New line.</p>
</article><aside>Related posts</aside><footer>Subscribe</footer></body></html>
"""


def test_html_text_only_with_metadata() -> None:
    (post,) = parse_text(HTML, "p.html", suffix=".html")
    assert post.title == "MPs raise the alarm"
    assert post.date == date(2016, 9, 24)
    assert post.author == "Jim Brown"
    assert post.url == "https://example.org/mps"
    assert post.body == (
        "The Ministry of Justice is unable to demonstrate success.\n\n• one\n• two\n\n"
        "ICT systems were \u201cinefficient, unreliable and hard to use\u201d.\nNew line."
    )
    hidden_text = ["alert", "color", "Enable JavaScript", "hidden", "Home", "Subscribe", "Related"]
    for hidden in hidden_text:
        assert hidden not in post.body


def test_html_time_element_and_h1_without_title() -> None:
    text = (
        "<html><body><h1>Guest Blog 15</h1><time datetime='2014-12-19'>Friday</time>"
        "<p>A view from the small and medium charity sector</p></body></html>"
    )
    (post,) = parse_text(text, "g.txt")  # sniffed as HTML despite the suffix
    assert (post.title, post.date) == ("Guest Blog 15", date(2014, 12, 19))
    assert post.body == "Friday\n\nA view from the small and medium charity sector"


def test_html_with_only_scripts_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "s.html"
    path.write_text("<html><script>alert(1)</script><style>p{}</style></html>")
    with pytest.raises(SkippedFile, match=r"^no text found$"):
        parse_file(path, "s.html")


# --------------------------------------------------------------------------- parse_file


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \n\t\r\n  \n", "empty file (whitespace only)"),
        (b"Title\n\x00\x01\x02binary", "binary file"),
        (bytes(range(1, 32)) * 20 + b"text", "binary file"),
    ],
)
def test_unindexable_files(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    with pytest.raises(SkippedFile) as info:
        parse_file(path, "f.txt")
    assert str(info.value) == reason


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + "body text " * 50)
    with pytest.raises(SkippedFile, match=r"^too large: 507 bytes > 100 bytes limit$"):
        parse_file(path, "big.txt", max_bytes=100)
    sparse = tmp_path / "huge.txt"
    with sparse.open("wb") as f:
        f.truncate(int(25.3 * 1024 * 1024))
    with pytest.raises(SkippedFile) as info:
        parse_file(sparse, "huge.txt")
    assert str(info.value) == "too large: 25.3 MB > 20 MB limit"


@pytest.mark.parametrize("name", ["a.pdf", "b.PNG", "c.docx"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 whatever")
    with pytest.raises(SkippedFile) as info:
        parse_file(path, name)
    assert str(info.value) == f"unsupported file type {Path(name).suffix.lower()}"
    with pytest.raises(SkippedFile, match=r"unsupported file type \.pdf"):
        parse_text("text", "a.pdf", suffix=".pdf")


def test_invalid_utf8_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(
        "Tuesday 27 September 2016\n\nAccountant\u2019s Reinvent the Wheel\n\n".encode()
        + b"Broken \xff\xfe bytes in the middle, caf\xc3\xa9 still fine.\n"
    )
    (post,) = parse_file(path, "bad.txt")
    assert post.title == "Accountant\u2019s Reinvent the Wheel"
    assert post.date == date(2016, 9, 27)
    assert post.body.startswith("Broken ") and post.body.endswith("caf\u00e9 still fine.")
    assert "\ufffd" in post.body


def test_cp1252_file_is_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Caf\u00e9 notes\n\nIt\u2019s \u00a312bn \u2013 or so.\n".encode("cp1252"))
    (post,) = parse_file(path, "legacy.txt")
    assert post.title == "Caf\u00e9 notes"
    assert post.body == "It\u2019s \u00a312bn \u2013 or so."


def test_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"Friday 19 December 2014\r\n\r\nGuest Blog 15\r\n\r\nBody.")
    (post,) = parse_file(path, "bom.txt")
    assert (post.title, post.date, post.body) == ("Guest Blog 15", date(2014, 12, 19), "Body.")
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("My notes\n\nBody.".encode("utf-16"))
    (post,) = parse_file(utf16, "utf16.txt")
    assert (post.title, post.body) == ("My notes", "Body.")


def test_markdown_file_and_source(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text("---\ntitle: Hello\ndate: 6 June 2019\n---\nBody *text*.\n", encoding="utf-8")
    (post,) = parse_file(path, "sub/post.md")
    assert (post.source, post.title, post.date, post.body) == (
        "sub/post.md",
        "Hello",
        date(2019, 6, 6),
        "Body text.",
    )


# --------------------------------------------------------------------------- signed sections


def test_shipped_sign_offs_attribute_their_sections() -> None:
    signed = {}
    for name in ("000", "001", "002", "003", "004"):
        for post in _load(name):
            for text, signer in signed_sections(post):
                if signer:
                    signed[(post.title, signer)] = text
    assert set(signed) == {
        ("What Probation Could Look Like", "Russell Webster"),
        ("Probation Worries For Voluntary Sector", "Jessica Mullen"),
        ("Napo at Work in the South West 6", "Ian Lawrence"),
        ("How We Got Here", "David Raho"),
    }
    raho = signed[("How We Got Here", "David Raho")]
    assert raho.rstrip().endswith("David Raho")
    assert "Privatisation of the probation service in England and Wales" in raho
    # a name over its role line: "Ian Lawrence / Napo General Secretary"
    assert signed[("Napo at Work in the South West 6", "Ian Lawrence")].endswith(
        "Napo General Secretary")


def test_text_after_the_last_sign_off_keeps_the_post_author() -> None:
    (how,) = [p for p in _load("002") if p.title == "How We Got Here"]
    sections = signed_sections(how)
    assert [s for _, s in sections] == ["David Raho", None]
    assert sections[1][0].startswith('"Cameron gave Grayling')
    assert "".join(t for t, _ in sections).replace("\n", "") == how.body.replace("\n", "")


def test_headings_salutations_and_short_openers_are_not_sign_offs() -> None:
    prose = "The unions do not believe that steps should be taken to reduce jobs. " * 8
    body = (f"{prose}\n\nJustice News Extra\nTransformation Update\n\n"
            "The justice update is the news for staff, with extra detail.\n\n"
            f"Dear John\n\n{prose}\n\nAs we said:\n\nKind Regards")
    post = Post(source="x.txt", title="T", body=body)
    assert [s for _, s in signed_sections(post)] == [None]
    # a name straight after the title, with no prose before it, opens rather than closes
    post = Post(source="x.txt", title="T", body=f"Mark Smith\n\n{prose}")
    assert [s for _, s in signed_sections(post)] == [None]


def test_a_markdown_author_is_kept_for_unsigned_text() -> None:
    prose = "Probation staff told the inspectors about caseloads and sickness rates. " * 8
    post = Post(source="x.md", title="T", body=f"{prose}\n\nJane Doe\nGuest writer\n\nMore.",
                author="Editor")
    assert [s for _, s in signed_sections(post)] == ["Jane Doe", "Editor"]
