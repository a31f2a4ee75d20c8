"""Blogger Atom exports: kinds, drafts, threads, escaped HTML, spam and the real arborlodge file."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest

from assistant.ingest.blogger import looks_like_blogger, parse_blogger, read_blogger
from assistant.ingest.files import SkippedFile
from tests.conftest import SHARED

KIND = "http://schemas.google.com/blogger/2008/kind#"
BLOG = "tag:blogger.com,1999:blog-42"
FEEDS = "https://www.blogger.com/feeds/42"
SITE = "https://quietgarden.example"
REAL = SHARED / "real-exports" / "blogger-arborlodge" / "blogger.xml"


def entry(kind: str, n: int, *, title: str = "", content: str = "", extra: str = "",
          post: int | None = None, when: str = "2020-03-01T10:00:00.000-08:00",
          author: str = "Ivy", labels: tuple[str, ...] = ()) -> str:
    cats = "".join(f"<category scheme='http://www.blogger.com/atom/ns#' term='{t}'/>"
                   for t in labels)
    if kind == "comment":
        links = (f"<link rel='self' href='{FEEDS}/{post}/comments/default/{n}'/>"
                 f"<link rel='alternate' href='{SITE}/p{post}.html?showComment=1#c{n}'/>"
                 f"<thr:in-reply-to ref='{BLOG}.post-{post}' href='{SITE}/p{post}.html'/>")
    else:
        links = f"<link rel='alternate' type='text/html' href='{SITE}/p{n}.html'/>"
    return (f"<entry><id>{BLOG}.post-{n}</id><published>{when}</published>"
            f"<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}{kind}'/>"
            f"{cats}<title type='text'>{title}</title><content type='html'>{content}</content>"
            f"{links}<author><name>{author}</name><uri>https://www.blogger.com/profile/{author}"
            f"</uri><email>{author.lower()}@mail.example</email></author>{extra}</entry>")


def feed(*entries: str) -> str:
    return ("<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
            "xmlns:thr='http://purl.org/syndication/thread/1.0' "
            "xmlns:app='http://purl.org/atom/app#' xmlns:gd='http://schemas.google.com/g/2005'>"
            f"<id>{BLOG}.archive</id><title>Quiet Garden</title>{''.join(entries)}</feed>")


DRAFT = "<app:control><app:draft>yes</app:draft></app:control>"


def test_kinds_pages_drafts_settings_template() -> None:
    text = feed(
        entry("template", 1, content="&lt;b:skin&gt;"),
        entry("settings", 2, content="true"),
        entry("post", 10, title="Seed swap", content="&lt;p&gt;Bring seeds.&lt;/p&gt;",
              labels=("events", "seeds")),
        entry("page", 11, title="About", content="We grow things."),
        entry("post", 12, title="Secret plans", content="Not yet.", extra=DRAFT),
    )
    assert looks_like_blogger(text)
    result = read_blogger(text, "b.xml")
    post, page = result.posts
    assert (post.title, post.body, post.tags, post.page) == ("Seed swap", "Bring seeds.",
                                                             ("events", "seeds"), False)
    assert post.guid == f"{BLOG}.post-10" and post.url == f"{SITE}/p10.html"
    assert post.author == "Ivy" and post.date == date(2020, 3, 1)
    assert page.page and page.title == "About"
    assert dict(result.left_out) == {"template": 1, "settings": 1, "draft": 1}


def test_sniffing() -> None:
    assert not looks_like_blogger("<feed xmlns='http://www.w3.org/2005/Atom'><entry/></feed>")
    assert not looks_like_blogger("<rss><channel><item>kind#post</item></channel></rss>")


def test_threads_replies_and_missing_parents() -> None:
    reply_link = f"<link rel='related' href='{FEEDS}/10/comments/default/21'/>"
    lost = f"<link rel='related' href='{FEEDS}/10/comments/default/99'/>"
    text = feed(
        # the reply comes first in the file, its parent later: order does not matter
        entry("comment", 23, post=10, content="Me too!", extra=reply_link, author="Oak",
              when="2020-03-03T09:00:00Z"),
        entry("post", 10, title="Seed swap", content="Bring seeds."),
        entry("comment", 21, post=10, content="Can I bring bulbs?", author="Fern",
              when="2020-03-02T09:00:00Z"),
        entry("comment", 22, post=10, content="Where is it?", author="Anonymous",
              when="2020-03-02T12:00:00Z"),
        entry("comment", 24, post=10, content="Lost thread.", extra=lost,
              when="2020-03-04T09:00:00Z"),
        entry("comment", 25, post=77, content="Nobody home."),
    )
    (post,) = parse_blogger(text, "b.xml")
    got = [(c.number, c.text, c.author, c.parent_id) for c in post.comments]
    assert got == [("1", "Can I bring bulbs?", "Fern", None),
                   ("1.1", "Me too!", "Oak", f"{BLOG}.post-21"),
                   ("2", "Where is it?", None, None),  # "Anonymous" is no name
                   ("3", "Lost thread.", "Ivy", None)]
    assert post.comments[0].url == f"{SITE}/p10.html?showComment=1#c21"
    assert post.comments[0].id == f"{BLOG}.post-21"
    assert dict(read_blogger(text, "b.xml").left_out) == {"comment orphan": 1}


def test_in_reply_to_naming_a_comment_threads_it() -> None:
    reply = entry("comment", 32, post=10, content="Yes, bulbs too.", when="2020-03-05T00:00:00Z")
    reply = reply.replace(f"ref='{BLOG}.post-10'", f"ref='{BLOG}.post-31'")
    text = feed(entry("post", 10, title="T", content="B"),
                entry("comment", 31, post=10, content="Bulbs?"), reply)
    (post,) = parse_blogger(text, "b.xml")
    assert [(c.number, c.parent_id) for c in post.comments] == [("1", None),
                                                               ("1.1", f"{BLOG}.post-31")]


def test_removed_spam_and_draft_comments_left_out() -> None:
    removed_flag = "<gd:extendedProperty name='blogger.contentRemoved' value='true'/>"
    text = feed(
        entry("post", 10, title="T", content="B"),
        entry("comment", 41, post=10, content="This comment has been removed by the author."),
        entry("comment", 42, post=10, content="gone", extra=removed_flag),
        entry("comment", 43, post=10, author="Sam",
              content="Nice! &lt;a href=&quot;https://cheap-pills.example/&quot;&gt;pills&lt;/a&gt;"),
        entry("comment", 44, post=10, author="bestdeals.example.com", content="Great post."),
        entry("comment", 45, post=10, author="Ivy",  # the blog's author may link anywhere
              content="Map: &lt;a href=&quot;https://maps.example/&quot;&gt;here&lt;/a&gt;"),
        entry("comment", 46, post=10, content="Own link &lt;a href=&quot;"
              f"{SITE}/p9.html&quot;&gt;earlier&lt;/a&gt;", author="Reader"),
    )
    (post,) = parse_blogger(text, "b.xml")
    assert [c.text for c in post.comments] == ["Map: here", "Own link earlier"]
    skipped = dict(read_blogger(text, "b.xml").left_out)
    assert skipped == {"comment removed": 2, "comment spam": 2}


def test_double_escaped_html_and_paragraphs() -> None:
    body = ("&amp;lt;p&amp;gt;First &amp;amp;amp; one.&amp;lt;/p&amp;gt;"
            "&amp;lt;p&amp;gt;Second.&amp;lt;/p&amp;gt;")
    text = feed(entry("post", 10, title="Twice", content=body),
                entry("post", 11, title="Code", content="&lt;p&gt;Write &amp;lt;p&amp;gt; "
                      "for a paragraph.&lt;/p&gt;&lt;p&gt;Done.&lt;/p&gt;"))
    twice, code = parse_blogger(text, "b.xml")
    assert twice.body == "First & one.\n\nSecond."
    assert code.body == "Write <p> for a paragraph.\n\nDone."  # escaped code stays code


def test_empty_title_from_body_and_empty_post_left_out() -> None:
    text = feed(entry("post", 10, content="&lt;p&gt;The tomatoes came up early this year, "
                      "and the beans too.&lt;/p&gt;"),
                entry("post", 11, content="Short note."),
                entry("post", 12, content="&lt;img src=&quot;x.jpg&quot;&gt;"))
    long, short = parse_blogger(text, "b.xml")
    assert long.title == "The tomatoes came up early this year, and…"
    assert short.title == "Short note"
    assert dict(read_blogger(text, "b.xml").left_out) == {"empty": 1}


def test_no_email_anywhere() -> None:
    text = feed(entry("post", 10, title="T", content="B"),
                entry("comment", 51, post=10, content="Hello", author="Fern"))
    assert "mail.example" not in repr(parse_blogger(text, "b.xml"))


def test_doctype_and_entities_refused() -> None:
    evil = feed(entry("post", 10, title="&xxe;", content="B")).replace(
        "<feed", "<!DOCTYPE feed [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><feed", 1)
    with pytest.raises(SkippedFile, match="DOCTYPE"):
        parse_blogger(evil, "evil.xml")


def test_malformed_xml_names_file_and_line() -> None:
    broken = feed(entry("post", 10, title="T", content="B")).replace("</title>", "", 1)
    broken = broken.replace("<entry>", "\n\n<entry>", 1)
    with pytest.raises(SkippedFile, match=r"broken\.xml: not well-formed XML at line 3"):
        parse_blogger(broken, "broken.xml")


@pytest.fixture(scope="module")
def real() -> tuple[str, object, float]:
    if not REAL.exists():
        pytest.skip("real exports absent")
    text = REAL.read_text(encoding="utf-8")
    start = time.perf_counter()
    result = read_blogger(text, "blogger.xml")
    return text, result, time.perf_counter() - start


def test_real_export_counts(real) -> None:
    # Read from the file: 628 posts (11 drafts, 166 empty titles, 7 of them drafts), 13 pages,
    # 51 settings, 1 template, 56 comments (7 removed placeholders, 14 link-drop spam).
    text, result, seconds = real
    assert looks_like_blogger(text)
    posts = result.posts
    assert sum(not p.page for p in posts) == 628 - 11 - 1  # one post is a lone image
    assert sum(p.page for p in posts) == 13
    assert dict(result.left_out) == {"draft": 11, "empty": 1, "settings": 51, "template": 1,
                                    "comment removed": 7, "comment spam": 14}
    assert sum(len(p.comments) for p in posts) == 56 - 7 - 14
    assert all(p.title for p in posts) and sum(p.title.endswith("…") for p in posts) >= 100
    assert not any("removed by" in c.text for p in posts for c in p.comments)
    assert seconds < 5


def test_real_export_threads_and_permalinks(real) -> None:
    _, result, _ = real
    (post,) = [p for p in result.posts if p.title.startswith("Land Use Update: 6307 N Montana")]
    replies = [c for c in post.comments if "." in c.number]
    assert [c.number for c in replies] == ["3.1", "4.1", "4.2"]
    parents = {c.id: c for c in post.comments}
    assert all(c.parent_id in parents for c in replies)
    assert all(c.url and c.url.startswith(post.url) and "#c" in c.url for c in post.comments)


def test_real_export_stores_no_email(real) -> None:
    text, result, _ = real
    emails = set(re.findall(r"<email>([^<]+)</email>", text))
    assert emails
    dump = repr(result.posts)
    leaked = [e for e in emails if e in dump]
    assert not leaked, f"{len(leaked)} author emails reached the records"
