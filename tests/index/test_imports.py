"""Blog exports indexed end to end: a WordPress and a Blogger export side by side in one
corpus, their posts and threaded comments searchable, nothing private in the index."""

from __future__ import annotations

import re
import shutil

import pytest

from assistant import Settings, build_index
from assistant.index import IndexStore
from tests.conftest import SHARED

REAL = SHARED / "real-exports"
WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Allotment diary</title><link>https://allotment.example</link>
<item><title>Slugs again</title><link>https://allotment.example/slugs</link>
<dc:creator><![CDATA[maria]]></dc:creator>
<content:encoded><![CDATA[<p>The slugs ate every lettuce on plot 7 this week.</p>
<p>Copper tape did nothing.</p>]]></content:encoded>
<wp:post_id>11</wp:post_id><wp:post_date><![CDATA[2019-05-02 09:00:00]]></wp:post_date>
<wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type>
<wp:comment><wp:comment_id>5</wp:comment_id>
<wp:comment_author><![CDATA[Tom]]></wp:comment_author>
<wp:comment_author_email><![CDATA[tom@mail.example]]></wp:comment_author_email>
<wp:comment_author_IP><![CDATA[203.0.113.9]]></wp:comment_author_IP>
<wp:comment_date><![CDATA[2019-05-03 10:00:00]]></wp:comment_date>
<wp:comment_content><![CDATA[Beer traps worked for me on plot 9.]]></wp:comment_content>
<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
<wp:comment_parent>0</wp:comment_parent></wp:comment>
</item>
<item><title>Secret plans</title><wp:post_id>12</wp:post_id>
<content:encoded><![CDATA[A draft about the greenhouse.]]></content:encoded>
<wp:status><![CDATA[draft]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type></item>
</channel></rss>
"""


def _index(corpus, tmp_path, embedder) -> tuple[object, IndexStore]:
    report = build_index(corpus, tmp_path / "index", settings=Settings.from_env({}),
                         embedder=embedder)
    return report, IndexStore.open(tmp_path / "index")


def test_a_wordpress_export_is_indexed_with_its_comments_and_without_drafts_or_emails(
        tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "export.xml").write_text(WXR, encoding="utf-8")
    (corpus / "notes.xml").write_text("<notes><note>not a blog</note></notes>")
    report, store = _index(corpus, tmp_path, hash_embedder)
    chunks = list(store.chunks_by_ids(store.all_ids().tolist()).values())
    assert {(c.kind, c.author) for c in chunks} == {("post", "maria"), ("comment", "Tom")}
    assert any("Beer traps" in c.text for c in chunks)
    text = " ".join(c.text for c in chunks)
    assert "greenhouse" not in text and "tom@mail.example" not in text and "203.0.113" not in text
    skipped = {f.source: f.reason for f in report.files if f.status == "skipped"}
    assert "neither a WordPress" in skipped["notes.xml"]


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-exports is not in this checkout")
def test_real_wordpress_and_blogger_exports_side_by_side(tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("wp-theme-unit-test/themeunittestdata.wordpress.xml",
                 "blogger-arborlodge/blogger.xml"):
        shutil.copy(REAL / name, corpus / name.replace("/", "-"))
    report, store = _index(corpus, tmp_path, hash_embedder)
    assert not [f for f in report.files if f.status == "skipped"]
    chunks = list(store.chunks_by_ids(store.all_ids().tolist()).values())
    posts = {c.post_id for c in chunks if c.kind == "post"}
    threaded = [c for c in chunks if c.kind == "comment" and "." in (c.comment_number or "")]
    assert len(posts) > 600 and threaded  # replies keep their place in the thread
    # the commenters' and authors' own addresses and IPs (a post body may publish a
    # contact address: that is the post's text)
    private = set()
    for name, pattern in (
            ("wp-theme-unit-test/themeunittestdata.wordpress.xml",
             r"<wp:(?:comment_author_email|comment_author_IP|author_email)>(?:<!\[CDATA\[)?"
             r"([^<\]]+)"),
            ("blogger-arborlodge/blogger.xml", r"<email>([^<]+)</email>")):
        raw = (REAL / name).read_text(encoding="utf-8", errors="replace")
        private |= {v.strip() for v in re.findall(pattern, raw) if v.strip()}
    text = "\n".join(f"{c.text} {c.author or ''} {c.context}" for c in chunks)
    assert private and not [v for v in private if v in text]
