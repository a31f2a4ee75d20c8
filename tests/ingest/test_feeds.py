"""Saved RSS 2.0 and Atom feeds: items as posts, WordPress comment feeds and Atom threading
as comments, broken XML, DOCTYPE refused, and the sniffing order in read_source_text."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.ingest.feeds import looks_like_feed, read_feed
from assistant.ingest.files import SkippedFile
from assistant.ingest.parse import read_source_text

SITE = "https://seedlibrary.example"
RSS_NS = ('xmlns:content="http://purl.org/rss/1.0/modules/content/" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/"')


def rss(*items: str, title: str = "Seed Library") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" {RSS_NS}>\n'
            f"<channel><title>{title}</title><link>{SITE}/</link>\n"
            + "\n".join(items) + "\n</channel></rss>")


def item(title: str, link: str, body: str = "", *, creator: str = "", extra: str = "",
         when: str = "Tue, 02 Mar 2021 10:00:00 +0000", guid: str = "") -> str:
    return (f"<item><title>{title}</title><link>{link}</link><pubDate>{when}</pubDate>"
            + (f"<dc:creator><![CDATA[{creator}]]></dc:creator>" if creator else "")
            + f"<guid isPermaLink='false'>{guid or link}</guid>"
            + (f"<content:encoded><![CDATA[{body}]]></content:encoded>" if body else "")
            + extra + "</item>")


def comment(post_title: str, slug: str, n: int, name: str, text: str,
            when: str = "Wed, 03 Mar 2021 09:00:00 +0000") -> str:
    link = f"{SITE}/{slug}/#comment-{n}"
    return item(f"Comment on {post_title} by {name}", link, text, creator=name, when=when,
                extra=f"<description><![CDATA[{text[:10]}]]></description>")


def test_rss_items_become_posts() -> None:
    text = rss(
        item("Seed swap", f"{SITE}/seed-swap/",
             "<p>Bring <b>seeds</b>.</p><p>And bulbs.</p>", creator="Ivy",
             extra="<category><![CDATA[Events]]></category><category>seeds</category>"
                   "<category>Seeds</category>"),
        item("Tomato notes", f"{SITE}/tomatoes/", guid=f"{SITE}/?p=7",
             extra="<description>&lt;p&gt;Early this year.&lt;/p&gt;</description>"
                   "<author>ivy@mail.example (Ivy Green)</author>"),
        item("", f"{SITE}/note/", "<p>A short note with no title at all today.</p>",
             extra="<author>ivy@mail.example</author>"),
        item("", f"{SITE}/img/", "<img src='x.jpg'>"),
    )
    assert looks_like_feed(text)
    result = read_feed(text, "feed.xml")
    swap, tomato, note = result.posts
    assert (swap.title, swap.body, swap.author, swap.url, swap.tags) == (
        "Seed swap", "Bring seeds.\n\nAnd bulbs.", "Ivy", f"{SITE}/seed-swap/",
        ("Events", "seeds"))
    assert swap.date == date(2021, 3, 2) and swap.guid == f"{SITE}/seed-swap/"
    assert (tomato.body, tomato.author, tomato.guid) == ("Early this year.", "Ivy Green",
                                                         f"{SITE}/?p=7")
    assert note.title == "A short note with no title at all…" and note.author is None
    assert result.blog_title == "Seed Library"
    assert dict(result.left_out) == {"empty": 1}
    assert "mail.example" not in repr(result)


ATOM = ('<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:thr="http://purl.org/syndication/thread/1.0">\n'
        '<title type="html">Pond &amp;amp; Garden</title><id>urn:pond</id>\n{}\n</feed>')


def entry(n: int, title: str, content: str, *, extra: str = "", kind: str = "html",
          when: str = "2021-05-01T08:00:00+02:00") -> str:
    return (f"<entry><id>urn:pond:{n}</id><title>{title}</title><published>{when}</published>"
            f"<updated>2022-01-01T00:00:00Z</updated>"
            f"<link rel='alternate' type='text/html' href='{SITE}/e{n}'/>"
            f"<link rel='edit' href='{SITE}/api/{n}'/>"
            f"<author><name>Reed</name><email>reed@mail.example</email></author>"
            f"<content type='{kind}'>{content}</content>{extra}</entry>")


def test_atom_entries_become_posts() -> None:
    xhtml = ("<div xmlns='http://www.w3.org/1999/xhtml'><p>First para.</p>"
             "<p>Second <em>para</em>.</p></div>")
    text = ATOM.format("\n".join([
        entry(1, "Frogspawn", "&lt;p&gt;Seen today.&lt;/p&gt;&lt;p&gt;Lots.&lt;/p&gt;",
              extra="<category term='ponds' label='Ponds'/><category term='spring'/>"),
        entry(2, "Xhtml", xhtml, kind="xhtml"),
        entry(3, "Plain", "line one\nline two", kind="text"),
        "<entry><id>urn:pond:4</id><title>Summary only</title>"
        "<updated>2021-06-01T00:00:00Z</updated><summary>Just this.</summary></entry>",
    ]))
    assert looks_like_feed(text)
    result = read_feed(text, "atom.xml")
    frog, xh, plain, summary = result.posts
    assert (frog.title, frog.body, frog.tags, frog.author) == (
        "Frogspawn", "Seen today.\n\nLots.", ("Ponds", "spring"), "Reed")
    assert (frog.url, frog.guid, frog.date) == (f"{SITE}/e1", "urn:pond:1", date(2021, 5, 1))
    assert xh.body == "First para.\n\nSecond para."
    assert plain.body == "line one\nline two"
    assert (summary.body, summary.date, summary.url) == ("Just this.", date(2021, 6, 1), None)
    assert result.blog_title == "Pond & Garden"
    assert "mail.example" not in repr(result)


def test_wordpress_comment_feed_alone_groups_by_page() -> None:
    text = rss(
        comment("Seed swap", "seed-swap", 12, "Fern", "<p>Can I bring bulbs?</p>"),
        comment("Seed swap", "seed-swap", 14, "Oak", "<p>Me too!</p>",
                when="Thu, 04 Mar 2021 09:00:00 +0000"),
        comment("Stand by me", "stand", 20, "Jo", "<p>Great song.</p>"),
        comment("Seed swap", "seed-swap", 13, "Moss", "<p>Where?</p>",
                when="Wed, 03 Mar 2021 12:00:00 +0000"),
        title="Comments for Seed Library",
    )
    result = read_feed(text, "comments.xml")
    swap, stand = result.posts
    assert (swap.title, swap.url, swap.body) == ("Seed swap", f"{SITE}/seed-swap/",
                                                f"Comments on {SITE}/seed-swap/")
    got = [(c.number, c.id, c.author, c.text, c.url) for c in swap.comments]
    assert got == [("1", "12", "Fern", "Can I bring bulbs?", f"{SITE}/seed-swap/#comment-12"),
                   ("2", "13", "Moss", "Where?", f"{SITE}/seed-swap/#comment-13"),
                   ("3", "14", "Oak", "Me too!", f"{SITE}/seed-swap/#comment-14")]
    assert stand.title == "Stand by me" and stand.comments[0].author == "Jo"
    assert stand.guid == f"{SITE}/stand/"


def test_comment_feed_with_its_posts_in_one_file() -> None:
    text = rss(
        comment("Seed swap", "seed-swap", 12, "Fern", "<p>Can I bring bulbs?</p>"),
        item("Seed swap", f"{SITE}/seed-swap", "<p>Bring seeds.</p>"),  # no trailing slash
        item("By: Oak", f"{SITE}/seed-swap/#comment-15", "<p>See you there.</p>",
             when="Fri, 05 Mar 2021 09:00:00 +0000"),
        comment("Elsewhere", "elsewhere", 30, "Jo", "<p>Hi.</p>"),
    )
    result = read_feed(text, "all.xml")
    swap, elsewhere = result.posts
    assert swap.body == "Bring seeds."
    assert [(c.number, c.author, c.id) for c in swap.comments] == [("1", "Fern", "12"),
                                                                   ("2", "Oak", "15")]
    assert elsewhere.title == "Elsewhere" and len(elsewhere.comments) == 1


def test_atom_threading_replies_and_orphans() -> None:
    def reply(n: int, ref: int, href: str, text: str, when: str) -> str:
        return entry(n, "", text, when=when,
                     extra=f"<thr:in-reply-to ref='urn:pond:{ref}' href='{href}'/>")

    text = ATOM.format("\n".join([
        reply(12, 11, f"{SITE}/e1", "Agreed!", "2021-05-03T08:00:00Z"),  # parent comes later
        entry(1, "Frogspawn", "Seen today."),
        reply(11, 1, f"{SITE}/e1", "Lovely.", "2021-05-02T08:00:00Z"),
        reply(13, 1, f"{SITE}/e1", "", "2021-05-04T08:00:00Z"),
        reply(21, 99, f"{SITE}/gone", "Old page.", "2021-05-02T08:00:00Z"),
    ]))
    result = read_feed(text, "atom.xml")
    frog, gone = result.posts
    got = [(c.number, c.id, c.parent_id, c.text, c.url) for c in frog.comments]
    assert got == [("1", "urn:pond:11", None, "Lovely.", f"{SITE}/e11"),
                   ("1.1", "urn:pond:12", "urn:pond:11", "Agreed!", f"{SITE}/e12")]
    assert (gone.title, gone.url, gone.guid) == ("gone", f"{SITE}/gone", "urn:pond:99")
    assert dict(result.left_out) == {"comment empty": 1}


def test_broken_xml_names_line_and_column() -> None:
    broken = rss(item("Seed swap", f"{SITE}/a/", "<p>x</p>")).replace("</title>", "", 1)
    with pytest.raises(SkippedFile, match=r"feed\.xml: not well-formed XML at line \d+, "
                                          r"column \d+"):
        read_feed(broken, "feed.xml")


def test_doctype_refused_even_through_read_source_text() -> None:
    evil = rss(item("&xxe;", f"{SITE}/a/", "<p>x</p>")).replace(
        "<rss", "<!DOCTYPE rss [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>\n<rss", 1)
    assert looks_like_feed(evil)
    with pytest.raises(SkippedFile, match="DOCTYPE"):
        read_source_text(evil, "feed.xml", ".xml")


def test_sniffing_and_routing() -> None:
    assert not looks_like_feed("<html><body><rss>not a feed</rss></body></html>")
    assert not looks_like_feed("<feed><entry/></feed>")  # not in the Atom namespace
    assert not looks_like_feed("Just some text about <rss> feeds.")
    text = rss(item("Seed swap", f"{SITE}/a/", "<p>Bring seeds.</p>"))
    for suffix in (".xml", ".txt"):
        (post,) = read_source_text(text, "feed" + suffix, suffix).posts
        assert post.title == "Seed swap"
    with pytest.raises(SkippedFile, match="nor an RSS or Atom feed"):
        read_source_text("<?xml version='1.0'?><opml/>", "x.xml", ".xml")
