"""Disqus comment exports: threads as posts, replies, deleted and spam left out, privacy,
broken XML, and the real yesilmavihayat export."""

from __future__ import annotations

import re
from datetime import date

import pytest

from assistant.ingest.disqus import looks_like_disqus, read_disqus
from assistant.ingest.files import SkippedFile
from assistant.ingest.parse import read_source_text
from tests.conftest import SHARED

REAL = SHARED / "real-exports" / "disqus-yesilmavihayat" / "disqus-export.xml"
SITE = "https://millpond.example"


def thread(n: int, *, link: str = f"{SITE}/walks/old-mill/", title: str = "The old mill",
           ident: str = "walk-7", message: str = "", deleted: str = "false") -> str:
    return (f'<thread dsq:id="{n}"><id>{ident}</id><forum>millpond</forum>'
            f"<link>{link}</link><title>{title}</title><message>{message}</message>"
            "<createdAt>2021-04-01T08:00:00Z</createdAt><author><name>Owner</name>"
            f"<email>owner@mail.example</email></author><isDeleted>{deleted}</isDeleted>"
            "</thread>")


def post(n: int, on: int, text: str, *, parent: int | None = None, name: str = "Fern",
         when: str = "2021-04-02T10:00:00Z", deleted: str = "false", spam: str = "false",
         username: str = "") -> str:
    return (f'<post dsq:id="{n}"><id /><message><![CDATA[{text}]]></message>'
            f"<createdAt>{when}</createdAt><isDeleted>{deleted}</isDeleted>"
            f"<isSpam>{spam}</isSpam><author><name>{name}</name>"
            f"<email>{name.lower() or 'x'}@mail.example</email><isAnonymous>false</isAnonymous>"
            f"<username>{username}</username></author><ipAddress>203.0.113.9</ipAddress>"
            f'<thread dsq:id="{on}" />'
            + (f'<parent dsq:id="{parent}" />' if parent else "") + "</post>")


def export(*parts: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">\n' + "\n".join(parts)
            + "\n</disqus>")


def test_thread_becomes_post_with_threaded_comments() -> None:
    text = export(
        thread(1),
        post(12, 1, "<p>Me too!</p>", parent=11, name="Oak", when="2021-04-03T09:00:00Z"),
        post(11, 1, "<p>Lovely walk.</p><p>Muddy though.</p>", when="2021-04-02T10:00:00Z"),
        post(13, 1, "<p>When is the next one? 🦆</p>", name="", username="reed99",
             when="2021-04-02T11:00:00Z"),
    )
    assert looks_like_disqus(text)
    result = read_disqus(text, "c.xml")
    (p,) = result.posts
    assert (p.title, p.url, p.guid, p.date) == ("The old mill", f"{SITE}/walks/old-mill/",
                                               "walk-7", date(2021, 4, 1))
    assert p.body == f"Comments on {SITE}/walks/old-mill/"
    assert p.author is None
    got = [(c.number, c.id, c.parent_id, c.author, c.text) for c in p.comments]
    assert got == [("1", "11", None, "Fern", "Lovely walk.\n\nMuddy though."),
                   ("1.1", "12", "11", "Oak", "Me too!"),
                   ("2", "13", None, "reed99", "When is the next one? 🦆")]
    assert p.comments[1].url == f"{SITE}/walks/old-mill/#comment-12"
    assert p.comments[0].date == date(2021, 4, 2)
    assert result.left_out == ()


def test_no_email_or_ip_anywhere() -> None:
    text = export(thread(1), post(11, 1, "<p>Hi</p>", name="Fern"))
    got = repr(read_disqus(text, "c.xml"))
    assert "mail.example" not in got and "203.0.113" not in got
    # a name typed as an email address is no name
    text = export(thread(1), post(11, 1, "<p>Hi</p>", name="fern@mail.example"))
    (p,) = read_disqus(text, "c.xml").posts
    assert p.comments[0].author is None


def test_deleted_spam_empty_threads_and_orphans_counted() -> None:
    text = export(
        thread(1, message="&lt;p&gt;A walk round the pond.&lt;/p&gt;"),
        thread(2, link=f"{SITE}/quiet/", title="", ident=""),
        thread(3, deleted="true"),
        post(11, 1, "<p>Kept.</p>"),
        post(12, 1, "<p>Gone.</p>", deleted="true"),
        post(13, 1, "<p>Cheap pills</p>", spam="true"),
        post(14, 2, "<p>Also gone.</p>", deleted="true"),
        post(15, 3, "<p>On a removed page.</p>"),
        post(16, 9, "<p>Nowhere.</p>"),
    )
    result = read_disqus(text, "c.xml")
    (p,) = result.posts
    assert [c.text for c in p.comments] == ["Kept."]
    assert p.body == "A walk round the pond."  # the thread's own message, when it has one
    assert dict(result.left_out) == {"comment deleted": 2, "comment spam": 1,
                                     "empty thread": 1, "deleted thread": 1,
                                     "comment on a deleted thread": 1, "comment orphan": 1}
    assert "Cheap pills" not in repr(result) and "Gone." not in repr(result)


def test_title_from_link_and_guid_from_disqus_id() -> None:
    text = export(thread(5, link=f"{SITE}/2019/heron-spotted.html", title="", ident=""),
                  post(11, 5, "<p>Saw it too.</p>"))
    (p,) = read_disqus(text, "c.xml").posts
    assert (p.title, p.guid) == ("heron spotted", "5")


def test_double_escaped_html() -> None:
    text = export(thread(1), post(11, 1, "&amp;lt;p&amp;gt;One &amp;amp;amp; two."
                                  "&amp;lt;/p&amp;gt;&amp;lt;p&amp;gt;Three.&amp;lt;/p&amp;gt;"))
    text = text.replace("<![CDATA[", "").replace("]]>", "")
    (p,) = read_disqus(text, "c.xml").posts
    assert p.comments[0].text == "One & two.\n\nThree."


def test_broken_xml_names_line_and_column() -> None:
    broken = export(thread(1), post(11, 1, "<p>x</p>")).replace("</title>", "", 1)
    with pytest.raises(SkippedFile, match=r"c\.xml: not well-formed XML at line \d+, column \d+"):
        read_disqus(broken, "c.xml")


def test_doctype_refused() -> None:
    evil = export(thread(1, title="&xxe;"), post(11, 1, "x")).replace(
        "<disqus", "<!DOCTYPE disqus [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><disqus", 1)
    with pytest.raises(SkippedFile, match="DOCTYPE"):
        read_disqus(evil, "c.xml")


def test_no_threads_gives_no_posts_and_read_file_skips() -> None:
    text = export('<category dsq:id="1"><forum>f</forum><title>General</title></category>')
    assert read_disqus(text, "c.xml").posts == ()
    assert read_source_text(text, "c.xml", ".xml").posts == ()  # read_file: "no text found"


def test_read_source_text_sniffs_disqus_whatever_the_suffix() -> None:
    text = export(thread(1), post(11, 1, "<p>Hi</p>"))
    assert read_source_text(text, "comments.txt", ".txt").posts[0].comments[0].text == "Hi"


@pytest.fixture(scope="module")
def real() -> tuple[str, object]:
    if not REAL.exists():
        pytest.skip("real exports absent")
    text = REAL.read_text(encoding="utf-8")
    return text, read_disqus(text, "disqus-export.xml")


def test_real_export_counts(real) -> None:
    # Read from the file (grep): 1 <thread> with comments, 51 <post> elements, 2 with
    # <isDeleted>true, none spam, no <parent> (every comment answers the page), no email or
    # ipAddress element; 16 characters outside the BMP (emoji).
    text, result = real
    assert looks_like_disqus(text)
    assert len(re.findall(r"<post dsq:id=", text)) == 51
    (p,) = result.posts
    assert dict(result.left_out) == {"comment deleted": 2}
    assert len(p.comments) == 49
    assert (p.url, p.guid, p.title) == ("https://yesilmavihayat.com/yorumlar", "yorumlar",
                                        "Yeşil Mavi Hayat")
    assert p.body == "Comments on https://yesilmavihayat.com/yorumlar"
    assert [c.number for c in p.comments] == [str(n) for n in range(1, 50)]
    assert all(c.parent_id is None for c in p.comments)
    assert all(c.url == f"{p.url}#comment-{c.id}" and c.id.isdigit() for c in p.comments)
    first = p.comments[0]
    assert first.id == "6245632673" and first.author == "Meltem Soğuk Stropoli"
    assert first.text.endswith("teşekkür ederim🙏") and first.date == date(2023, 8, 2)
    dates = [c.date for c in p.comments]
    assert dates == sorted(dates)
    outside_bmp = sum(1 for c in p.comments for ch in c.text if ord(ch) > 0xFFFF)
    assert outside_bmp == sum(1 for ch in text if ord(ch) > 0xFFFF)  # no deleted one had any
    assert "Deneme" not in repr(result)  # the deleted test comment


def test_real_export_keeps_no_address(real) -> None:
    _, result = real
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w|\b\d{1,3}(?:\.\d{1,3}){3}\b", repr(result))
