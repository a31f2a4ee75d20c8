"""A Disqus export beside the blog it served: each thread joins the post it was left on
(by its address, however Disqus spelled it), its comments cited and counted as that
post's; a thread of a page the archive lacks stays a post of its own; the join follows the
post when it changes or goes."""

from __future__ import annotations

from assistant import Settings, build_index
from assistant.index import IndexStore
from assistant.ingest.disqus import read_disqus
from assistant.ingest.imported import PostLink
from tests.ingest import test_disqus as dq
from tests.ingest.test_wxr import SITE, comment, item, wxr


def _build(corpus, index, embedder):
    report = build_index(corpus, index, settings=Settings.from_env({}), embedder=embedder)
    return report, IndexStore.open(index)


def _chunks(store):
    return list(store.chunks_by_ids(store.all_ids().tolist()).values())


def _comments_export() -> str:
    # Disqus wrote the blog's https://fernhill.example/post-1/ as http://www…/post-1
    host = SITE.replace("https://", "http://www.")
    return dq.export(dq.thread(1, link=f"{host}/post-1", title="Post 1 | Fernhill",
                               ident="post-1"),
                     dq.thread(2, link="https://elsewhere.example/about/", title="About",
                               ident="about"),
                     dq.post(11, 1, "The leeks look splendid.", name="Rowan"),
                     dq.post(12, 1, "Thank you, Rowan!", parent=11, name="Ivy"),
                     dq.post(13, 2, "Nice page.", name="Sam"))


def test_a_thread_joins_the_post_it_was_left_on():
    link = PostLink("abc123", "Leeks on plot nine", "2015-04-02", f"{SITE}/post-1/")
    imported = read_disqus(_comments_export(), "disqus.xml",
                           {"fernhill.example/post-1": link})
    joined, alone = imported.posts
    assert (joined.post_id, joined.title, joined.url, joined.body) == (
        "abc123", "Leeks on plot nine", f"{SITE}/post-1/", "")
    assert [(c.number, c.author) for c in joined.comments] == [("D1", "Rowan"),
                                                               ("D1.1", "Ivy")]
    assert alone.thread_of is None and alone.title == "About"
    assert imported.wants_links


def test_a_build_joins_disqus_threads_to_the_blog_posts(tmp_path, hash_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    blog = corpus / "fernhill.xml"
    blog.write_text(wxr(item(1, title="Leeks on plot nine",
                             comments=comment(1, author="Moss", text="Own comment.")),
                        item(2, title="The shed roof")))
    (corpus / "disqus.xml").write_text(_comments_export())
    report, store = _build(corpus, index, hash_embedder)
    chunks = _chunks(store)
    post_id = next(c.post_id for c in chunks if c.title == "Leeks on plot nine"
                   and c.kind == "post")
    joined = sorted((c.comment_number, c.author, c.reply_to) for c in chunks
                    if c.source == "disqus.xml" and c.post_id == post_id)
    assert joined == [("D1", "Rowan", None), ("D1.1", "Ivy", "Rowan")]
    rows = {f.source: f for f in report.files}
    assert (rows["disqus.xml"].posts, rows["disqus.xml"].comments) == (1, 3)  # About's own
    stats = store.stats()
    assert (stats["posts"], stats["comments"]) == (3, 4)  # two blog posts, About; 1 + 3
    assert store.most_discussed(1) == [("Leeks on plot nine", 3)]

    # the post renamed: the unchanged Disqus file is read again, its comments follow
    blog.write_text(wxr(item(1, title="Leeks, plot nine",
                             comments=comment(1, author="Moss", text="Own comment.")),
                        item(2, title="The shed roof")))
    renamed, store = _build(corpus, index, hash_embedder)
    assert {f.source for f in renamed.updated} == {"fernhill.xml", "disqus.xml"}
    titles = {c.title for c in _chunks(store) if c.source == "disqus.xml"}
    assert titles == {"Leeks, plot nine", "About"}
    # another file changes, the join does not: the Disqus file stays unchanged
    (corpus / "note.md").write_text("# Frost\n\nFrost came early.")
    other, _ = _build(corpus, index, hash_embedder)
    assert "disqus.xml" in {f.source for f in other.unchanged}
    # the blog gone: the thread stands alone again, its comments kept
    blog.unlink()
    _, store = _build(corpus, index, hash_embedder)
    alone = [c for c in _chunks(store) if c.source == "disqus.xml"]
    assert sorted(c.comment_number for c in alone if c.kind == "comment") == ["1", "1", "1.1"]
    assert (store.stats()["posts"], store.stats()["comments"]) == (3, 3)  # with note.md


def test_addresses_compare_as_comment_systems_write_them():
    from assistant.ingest.exports import link_key

    same = {link_key(u) for u in ("https://fernhill.example/post-1/",
                                  "http://www.fernhill.example/post-1",
                                  "https://fernhill.example/post-1/?utm=x#comments")}
    assert same == {"fernhill.example/post-1"}
    assert link_key("https://fernhill.example/post-2/") != "fernhill.example/post-1"
    assert link_key("javascript:alert(1)") is None and link_key("") is None
