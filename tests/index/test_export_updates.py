"""One big export re-imported: only what changed is embedded, and the build report and
``stats`` count posts and comments (added, changed, removed; left out by reason), not
just files. Replies carry whom they answer and their own permalink into the index."""

from __future__ import annotations

import sqlite3

from assistant.answer.references import who
from assistant.index import IndexStore, build_index
from assistant.index.store import ChunkStore, ChunkWriter
from assistant.ingest.chunking import chunk_post
from assistant.records import Comment, Hit, Post, faiss_id
from assistant.search.retriever import Retriever
from assistant.settings import Settings
from tests.ingest.test_wxr import comment, item, wxr

SITE = "https://fernhill.example"
CHUNK_ID = "ab" * 32
ROW = faiss_id(CHUNK_ID)


def _build(corpus, index, embedder):
    return build_index(corpus, index, settings=Settings.from_env({}), embedder=embedder)


def _export(*posts: str) -> str:
    return wxr(*posts)


def test_reply_chunks_say_whom_they_answer_and_link_to_themselves():
    post = Post("blog.xml", "Leeks", "Leeks need deep holes.", url=f"{SITE}/leeks/", comments=(
        Comment("1", "How deep exactly?", "Ann", id="7", url=f"{SITE}/leeks/#comment-7"),
        Comment("1.1", "Fifteen centimetres.", "Bob", id="9", parent_id="7",
                url=f"{SITE}/leeks/#comment-9"),
        Comment("2", "A javascript link never survives.", None, url="javascript:alert(1)"),
    ))
    body, first, reply, third = chunk_post(post)
    assert body.url == f"{SITE}/leeks/" and body.reply_to is None
    assert first.reply_to is None and first.url.endswith("#comment-7")
    assert reply.reply_to == "Ann" and reply.url.endswith("#comment-9")
    assert "Reader comment by Bob, replying to Ann:" in reply.embed_text
    assert third.url == f"{SITE}/leeks/"  # the post's permalink, not the script
    hit = Hit.from_chunk(reply, 1.0, 1.0)
    assert who(hit) == "Reader comment #1.1 by Bob, replying to Ann"
    assert hit.as_dict()["url"] == f"{SITE}/leeks/#comment-9"
    assert hit.as_dict()["reply_to"] == "Ann"


def test_a_newer_export_embeds_only_what_changed_and_counts_posts_and_comments(
        tmp_path, hash_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    export = corpus / "blog.xml"
    replies = comment(1, text="Which variety did you grow?") + comment(
        2, parent=1, author="Ivy", text="Musselburgh, every year.")
    export.write_text(_export(
        item(1, body="Leeks went in on Sunday.", comments=replies),
        item(2, body="The shed roof leaks again."),
        item(3, body="Compost bins were delivered."),
        item(4, status="draft", body="Half-written notes."),
    ))
    first = _build(corpus, index, hash_embedder)
    assert first.changes.posts_added == 3 and first.changes.comments_added == 2
    (row,) = first.files
    assert (row.posts, row.comments, row.left_out) == (3, 2, "draft=1")

    retriever = Retriever.open(index, settings=Settings.from_env({}), embedder=hash_embedder)
    stats = retriever.stats()
    assert stats["left_out"] == {"draft": 1}
    assert stats["blog_titles"] == ["Fernhill Allotment"]
    (source,) = stats["sources"]
    assert (source["posts"], source["comments"]) == (3, 2)
    reply = next(h for h in retriever.search("Musselburgh every year", k=10)
                 if h.kind == "comment" and "Musselburgh" in h.text)
    assert reply.reply_to == "Reader" and reply.url == f"{SITE}/post-1/#comment-2"
    retriever.close()

    # The newer export: post 2 edited, post 3 deleted, a comment added to post 1.
    export.write_text(_export(
        item(1, body="Leeks went in on Sunday.",
             comments=replies + comment(3, text="Mine bolted in June.")),
        item(2, body="The shed roof leaks again, so it was re-felted."),
    ))
    second = _build(corpus, index, hash_embedder)
    changes = second.changes
    assert (changes.posts_added, changes.posts_changed, changes.posts_removed) == (0, 1, 1)
    assert (changes.comments_added, changes.comments_changed, changes.comments_removed) == (1, 0, 0)
    assert second.chunks_added == 2  # the edited post body and the new comment, nothing else
    assert second.chunks_removed == 2  # the old body of post 2, and post 3
    assert "posts +0 ~1 -1, comments +1 ~0 -0" in second.summary()
    store = IndexStore.open(index)
    assert "Compost" not in " ".join(c.text for c in store.chunks_by_ids(
        store.all_ids().tolist()).values())
    store.close()


def test_a_store_written_before_the_reply_and_count_columns_is_read_and_upgraded(tmp_path):
    path = tmp_path / "chunks.sqlite"
    db = sqlite3.connect(path)
    db.executescript(f"""
        CREATE TABLE chunks (id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE,
            post_id TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL, date TEXT,
            kind TEXT NOT NULL, author TEXT, comment_number TEXT, position INTEGER NOT NULL,
            text TEXT NOT NULL, url TEXT, context TEXT NOT NULL DEFAULT '');
        CREATE TABLE files (source TEXT PRIMARY KEY, sha256 TEXT, size INTEGER,
            mtime_ns INTEGER, status TEXT NOT NULL, reason TEXT,
            posts INTEGER NOT NULL DEFAULT 0, chunks INTEGER NOT NULL DEFAULT 0);
        INSERT INTO chunks VALUES ({ROW}, '{CHUNK_ID}', 'p', 'a.txt', 'T', '2015-01-01',
            'comment', 'Ann',
            '1.1', 0, 'Old text.', NULL, '');
        INSERT INTO files VALUES ('a.txt', 'abc', 10, 1, 'indexed', NULL, 1, 1);
    """)
    db.commit()
    db.close()
    old = ChunkStore.read(path)
    assert old.chunks_by_ids([ROW])[ROW].reply_to is None
    assert old.file_rows()["a.txt"].comments == 0
    old.close()
    writer = ChunkWriter.create(path)  # a build writes on a copy of the previous store
    (chunk,) = writer.chunks_by_ids([ROW]).values()
    writer.insert([chunk.__class__(**{**chunk.__dict__, "reply_to": "Bob"})])
    writer.replace_files(writer.file_rows().values())
    writer.commit()
    assert writer.chunks_by_ids([ROW])[ROW].reply_to == "Bob"
    writer.close()
