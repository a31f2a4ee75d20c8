"""Blogger in Google Takeout (``feed.atom``, the 2018 schema): posts, pages, drafts, threaded
comments whatever their order in the file, deleted and spam comments, emails never kept, and a
Takeout zip holding it (with an older Blogger export beside it)."""

from __future__ import annotations

import dataclasses
import zipfile
from collections.abc import Iterator
from datetime import date

import pytest

from assistant.ingest.files import SkippedFile
from assistant.ingest.parse import read_file, read_source_text
from assistant.ingest.takeout import looks_like_takeout, read_takeout
from tests.ingest.test_blogger import entry as old_entry
from tests.ingest.test_blogger import feed as old_feed

BLOG = "tag:blogger.com,1999:blog-77"


def entry(kind: str, n: int, *, status: str = "LIVE", title: str = "", content: str = "",
          parent: int | None = None, reply_to: int | None = None, author: str = "Ivy",
          when: str = "2021-05-01T10:00:00Z", extra: str = "", uri: str = "") -> str:
    links = ""
    if parent is not None:
        links += f"<blogger:parent>{BLOG}.post-{parent}</blogger:parent>"
    links += (f"<blogger:inReplyTo>{BLOG}.post-{reply_to}</blogger:inReplyTo>"
              if reply_to is not None else "<blogger:inReplyTo/>")
    filename = (f"<blogger:filename>/2021/05/post-{n}.html</blogger:filename>"
                if kind != "COMMENT" else "")
    return (f"<entry><id>{BLOG}.post-{n}</id>{links}<blogger:type>{kind}</blogger:type>"
            f"<blogger:status>{status}</blogger:status>"
            f"<author><name>{author}</name><email>{author.split()[0].lower()}@mail.example"
            f"</email><uri>{uri}</uri><blogger:type>BLOGGER</blogger:type></author>"
            f"<title>{title}</title><content type='html'>{content}</content>"
            f"<blogger:created>{when}</blogger:created><published>{when}</published>"
            f"<updated>{when}</updated>{filename}{extra}</entry>")


def feed(*entries: str, link: str = "<link rel='alternate' href='https://quiet.example/'/>"
         ) -> str:
    return ("<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom' "
            "xmlns:blogger='http://schemas.google.com/blogger/2018'>"
            f"<id>{BLOG}</id><title>Quiet Garden</title>{link}{''.join(entries)}</feed>")


FEED = feed(
    entry("POST", 10, title="Seed swap", content="&lt;p&gt;Bring seeds on Saturday.&lt;/p&gt;"
          "&lt;p&gt;Tea at four.&lt;/p&gt;",
          extra="<category scheme='tag:blogger.com,1999:blog-77' term='events'/>"),
    # A reply to comment 21, which comes later in the file.
    entry("COMMENT", 22, parent=10, reply_to=21, author="Ivy", when="2021-05-03T09:00:00Z",
          content="Yes, from ten until noon."),
    entry("COMMENT", 21, parent=10, author="tom@mail.example", when="2021-05-02T09:00:00Z",
          content="What time does it open?"),
    # A reply naming its parent comment in blogger:parent (no inReplyTo).
    entry("COMMENT", 23, parent=21, author="Rosa Lind", when="2021-05-04T09:00:00Z",
          content="I will bring beans."),
    entry("COMMENT", 24, parent=10, status="DELETED", author="Gone",
          content="Something regrettable."),
    entry("COMMENT", 25, parent=10, status="SPAM", author="Cheap Pills",
          content="&lt;a href='https://pills.example'&gt;buy&lt;/a&gt;"),
    entry("COMMENT", 26, parent=10, author="Bin", content="Binned words.",
          extra="<blogger:trashed>2021-06-01T00:00:00Z</blogger:trashed>"),
    entry("POST", 11, status="DRAFT", title="Secret plans", content="Not ready yet."),
    entry("COMMENT", 27, parent=11, author="Early", content="On a draft."),
    entry("PAGE", 12, title="About", content="We grow things.",
          extra="<blogger:trashed/>"),  # empty: not in the bin
    entry("POST", 13, title="", content="&amp;lt;p&amp;gt;Frost came early this year and "
          "took the dahlias with it.&amp;lt;/p&amp;gt;"),  # double escaped, untitled
)


def strings(record: object) -> Iterator[str]:
    for field in dataclasses.fields(record):  # type: ignore[arg-type]
        value = getattr(record, field.name)
        for v in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(v):
                yield from strings(v)
            elif isinstance(v, str):
                yield v


def test_posts_pages_and_drafts():
    assert looks_like_takeout(FEED)
    imported = read_takeout(FEED, "feed.atom")
    by_title = {p.title: p for p in imported.posts}
    assert set(by_title) == {"Seed swap", "About", "Frost came early this year and took the…"}
    seed = by_title["Seed swap"]
    assert seed.body == "Bring seeds on Saturday.\n\nTea at four."
    assert seed.date == date(2021, 5, 1) and seed.author == "Ivy" and seed.tags == ("events",)
    assert seed.url == "https://quiet.example/2021/05/post-10.html"
    assert seed.guid == f"{BLOG}.post-10" and not seed.page
    assert by_title["About"].page
    assert by_title["Frost came early this year and took the…"].body.startswith("Frost came")
    assert imported.blog_title == "Quiet Garden"
    assert dict(imported.left_out) == {"draft": 1, "comment deleted": 1, "comment spam": 1,
                                       "comment trashed": 1, "comment orphan": 1}


def test_comments_thread_whatever_the_order_and_emails_are_not_kept():
    seed = next(p for p in read_takeout(FEED, "feed.atom").posts if p.title == "Seed swap")
    shown = [(c.number, c.author, c.text) for c in seed.comments]
    assert shown == [("1", None, "What time does it open?"),
                     ("1.1", "Ivy", "Yes, from ten until noon."),
                     ("1.2", "Rosa Lind", "I will bring beans.")]
    first = seed.comments[0]
    assert first.id == f"{BLOG}.post-21" and first.parent_id is None
    assert {c.parent_id for c in seed.comments[1:]} == {first.id}
    everything = " ".join(s for p in read_takeout(FEED, "feed.atom").posts for s in strings(p))
    assert "@mail.example" not in everything
    for private in ("Something regrettable", "pills.example", "Binned words", "Not ready",
                    "On a draft"):
        assert private not in everything


def test_a_reply_whose_parent_was_deleted_answers_the_post():
    text = feed(entry("POST", 1, title="Hello", content="Hi."),
                entry("COMMENT", 2, parent=1, status="DELETED", content="Gone."),
                entry("COMMENT", 3, parent=1, reply_to=2, content="Replying to a ghost."))
    post = read_takeout(text, "feed.atom").posts[0]
    assert [(c.number, c.text, c.parent_id) for c in post.comments] == [
        ("1", "Replying to a ghost.", None)]


def test_live_link_drop_comments_are_spam_unless_by_the_blogs_author_or_to_the_blog():
    ivy = "https://www.blogger.com/profile/1"
    link = "&lt;p&gt;See &lt;a href='{}'&gt;this&lt;/a&gt;.&lt;/p&gt;"
    text = feed(
        entry("POST", 1, title="Hello", content="Hi.", uri=ivy),
        entry("COMMENT", 2, parent=1, author="Seo Bot",
              content=link.format("https://cheap.example/deal")),
        entry("COMMENT", 3, parent=1, author="cheap-pills.example", content="Nice post."),
        entry("COMMENT", 4, parent=1, author="Tom",
              content=link.format("https://quiet.example/2021/05/post-9.html")),
        entry("COMMENT", 5, parent=1, author="Ivy", uri=ivy,
              content=link.format("https://seeds.example/")))
    imported = read_takeout(text, "feed.atom")
    assert [c.author for c in imported.posts[0].comments] == ["Tom", "Ivy"]
    assert dict(imported.left_out) == {"comment spam": 2}


def test_without_a_blog_address_posts_have_no_url():
    post = read_takeout(feed(entry("POST", 1, title="Hello", content="Hi."), link=""),
                        "feed.atom").posts[0]
    assert post.url is None


def test_parse_sniffs_it_by_content_before_the_generic_feed_reader():
    imported = read_source_text(FEED, "Takeout/Blogger/Blogs/Quiet Garden/feed.atom", ".atom")
    assert {p.title for p in imported.posts} >= {"Seed swap", "About"}
    assert dict(imported.left_out)["comment spam"] == 1  # read as Takeout: comments are comments


def test_a_doctype_is_refused():
    text = FEED.replace("<feed ", "<!DOCTYPE feed [<!ENTITY x 'y'>]><feed ", 1)
    with pytest.raises(SkippedFile, match="DOCTYPE"):
        read_takeout(text, "feed.atom")


def test_a_takeout_zip_reads_the_new_feed_and_an_older_blogger_export(tmp_path):
    older = old_feed(old_entry("post", 5, title="Old days", content="We started in 2009."))
    path = tmp_path / "takeout-20240101.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Takeout/Blogger/Blogs/Quiet Garden/feed.atom", FEED)
        archive.writestr("Takeout/Blogger/Blogs/Quiet Garden/theme-classic.html",
                         "<html><body><b:skin>body {}</b:skin></body></html>")
        archive.writestr("Takeout/Blogger/Albums/Quiet Garden/leek.jpg", b"\xff\xd8\xff")
        archive.writestr("Takeout/archive_browser.html", "<html><body><h1>Archive</h1>"
                         "<p>This archive holds your Blogger data.</p></body></html>")
        archive.writestr("Blogger/blog-04-01-2015.xml", older)
    imported = read_file(path, "takeout-20240101.zip")
    sources = {p.title: p.source for p in imported.posts}
    assert sources["Seed swap"] == ("takeout-20240101.zip/Takeout/Blogger/Blogs/Quiet Garden/"
                                    "feed.atom")
    assert sources["Old days"] == "takeout-20240101.zip/Blogger/blog-04-01-2015.xml"
    seed = next(p for p in imported.posts if p.title == "Seed swap")
    assert len(seed.comments) == 3
    left = dict(imported.left_out)
    assert left["draft"] == 1 and left["zip member of unsupported type .jpg"] == 1
    assert left["Google Takeout page (not a post)"] == 2  # the theme and the index page
    assert set(sources) == {"Seed swap", "About", "Frost came early this year and took the…",
                            "Old days"}
