"""A static site indexed end to end: each post with its Staticman comment files, which are
recorded as attached (not indexed, not skipped); one comment file added, edited or deleted
re-reads only its post; a comment folder with no post is skipped saying so."""

from __future__ import annotations

import re
import shutil

import pytest

from assistant import Settings, build_index
from assistant.index import IndexStore
from tests.conftest import SHARED
from tests.ingest.test_staticsite import NATIVE, NATIVE_REPLY, POST

REAL = SHARED / "real-exports" / "jekyll-mademistakes"


def _build(corpus, index, embedder):
    report = build_index(corpus, index, settings=Settings.from_env({}), embedder=embedder)
    return report, IndexStore.open(index)


def _site(root):
    (root / "_posts").mkdir(parents=True)
    (root / "_posts" / "2013-09-05-drawing-clouds.md").write_text(POST)
    (root / "_posts" / "2014-01-02-drawing-trees.md").write_text(
        "---\ntitle: Drawing trees\n---\nTrees start with the trunk.")
    comments = root / "_data" / "comments" / "drawing-clouds"
    comments.mkdir(parents=True)
    (comments / "comment-1.yml").write_text(NATIVE)
    (comments / "comment-2.yml").write_text(NATIVE_REPLY)
    orphan = root / "_data" / "comments" / "old-post"
    orphan.mkdir()
    (orphan / "comment-9.yml").write_text("message: Where did it go?\nname: Sam\n")
    (root / "_config.yml").write_text("title: Sketchbook\n")
    return comments


def test_a_site_is_indexed_with_its_comment_files_attached(tmp_path, hash_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    comments = _site(corpus / "sketchbook")
    report, store = _build(corpus, index, hash_embedder)
    status = {f.source.removeprefix("sketchbook/"): (f.status, f.reason) for f in report.files}
    assert status["_data/comments/drawing-clouds/comment-1.yml"] == (
        "attached", "comments of sketchbook/_posts/2013-09-05-drawing-clouds.md")
    assert status["_data/comments/old-post/comment-9.yml"][0] == "skipped"
    assert "no post named 'old-post'" in status["_data/comments/old-post/comment-9.yml"][1]
    assert "a YAML data file" in status["_config.yml"][1]
    assert "2 attached files" in report.summary()
    chunks = list(store.chunks_by_ids(store.all_ids().tolist()).values())
    replies = [c for c in chunks if c.kind == "comment" and c.reply_to]
    assert [(c.author, c.reply_to, c.comment_number) for c in replies] == [
        ("Mira Holt", "Rowan", "1.1")]
    assert "rowan@mail.example" not in repr(chunks)
    stats = store.stats()
    assert (stats["files_indexed"], stats["files_attached"], stats["comments"]) == (2, 2, 2)
    assert stats["skipped_by_reason"] and "attached" not in str(stats["skipped_by_reason"])

    # nothing changed: nothing read again
    again, _ = _build(corpus, index, hash_embedder)
    assert not again.published and not again.added and not again.updated
    # a new comment file: only its post is read again, only the new comment embedded
    (comments / "comment-3.yml").write_text(
        "message: Try a grey wash first.\nname: Ivy\ndate: 2017-06-01\n")
    added, store = _build(corpus, index, hash_embedder)
    assert [f.source for f in added.updated] == [
        "sketchbook/_posts/2013-09-05-drawing-clouds.md"]
    assert (added.changes.comments_added, added.changes.posts_changed) == (1, 0)
    assert added.chunks_added == 1
    # a deleted comment file: its comment leaves the index
    (comments / "comment-3.yml").unlink()
    removed, store = _build(corpus, index, hash_embedder)
    assert removed.changes.comments_removed == 1 and removed.chunks_removed == 1
    texts = [c.text for c in store.chunks_by_ids(store.all_ids().tolist()).values()]
    assert not [t for t in texts if "grey wash" in t]


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-exports is not in this checkout")
def test_the_real_jekyll_site_keeps_every_staticman_comment(tmp_path, hash_embedder):
    """39 posts under _posts/ (none a draft: no ``draft``/``published: false`` in them) and
    560 comment files under _data/comments/ in 34 folders, each naming a post's slug. 302
    of them have a ``replying_to``: 43 empty (``''`` or bare), 259 the number of a
    top-level comment, under which each threads. None is a honeypot-caught bot (``hidden``
    is empty in all)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(REAL, corpus / "jekyll")
    report, store = _build(corpus, tmp_path / "index", hash_embedder)
    assert len(report.added) == 39 and len(report.attached) == 560
    assert not report.skipped
    stats = store.stats()
    assert (stats["posts"], stats["comments"]) == (39, 560)
    chunks = list(store.chunks_by_ids(store.all_ids().tolist()).values())
    comments = {(c.post_id, c.comment_number): c for c in chunks if c.kind == "comment"}
    assert len(comments) == 560
    assert sum(1 for c in comments.values() if "." in c.comment_number) == 259
    # the 14th top-level comment on the tool guide, and the author's reply under it
    guide = [c for c in comments.values() if c.title == "Mastering Paper: Tool guide"
             or "tool-guide" in c.source]
    reply = next(c for c in guide if c.comment_number == "14.1")
    assert (reply.author, reply.reply_to) == ("Michael Rose", "Verna Koperu")
    assert reply.text.startswith("My pleasure.")
    assert reply.url is None  # Staticman records no comment permalink; the post has none
    # no commenter address or its hash (303 email fields, 82 distinct values) reached the
    # comments (one commenter pasted a debug dump of his own record, '"email"=>"<md5>"',
    # into his message: it reads "[email]" there); only counts are asserted, so a failure
    # prints none of them
    raw = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                    for p in (REAL / "_data" / "comments").rglob("*.yml"))
    emails = {m.strip().strip("'\"") for m in re.findall(r"^email:\s*(.+)$", raw, re.M)}
    text = "\n".join(f"{c.text} {c.author or ''} {c.context}" for c in comments.values())
    found = len(emails)
    leaked = sum(1 for e in emails if e and e in text)
    assert found > 50
    assert leaked == 0
