"""Ghost JSON exports: published public posts and pages, authors and tags by their join
tables, drafts and members-only posts left out, no secret kept, bad JSON and other JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant.ingest.files import SkippedFile
from assistant.ingest.ghost import looks_like_ghost, read_ghost
from assistant.ingest.parse import read_file, read_source_text

SECRETS = ("ivy@mail.example", "$2a$10$hashhashhash", "ghost-admin-key-123", "sess-456",
           "member@mail.example", "203.0.113.9")


def ghost_post(n: int, title: str, html: str | None = "<p>Body.</p>", **fields: object) -> dict:
    row = {"id": f"p{n}", "uuid": f"uuid-{n}", "title": title, "slug": f"post-{n}",
           "html": html, "plaintext": None, "type": "post", "status": "published",
           "visibility": "public", "published_at": "2021-05-01T10:00:00.000Z",
           "created_at": "2021-04-30T10:00:00.000Z", "canonical_url": None}
    row.update(fields)
    return row


def export(*posts: dict, wrap: bool = True, meta: dict | None = None) -> str:
    data = {
        "posts": list(posts),
        "users": [{"id": "u1", "name": "Ivy Green", "slug": "ivy", "email": SECRETS[0],
                   "password": SECRETS[1]},
                  {"id": "u2", "name": "Reed", "email": "reed@mail.example"}],
        "tags": [{"id": "t1", "name": "Ponds", "visibility": "public"},
                 {"id": "t2", "name": "Frogs"},
                 {"id": "t3", "name": "#hidden", "visibility": "internal"}],
        "posts_tags": [{"post_id": "p1", "tag_id": "t2", "sort_order": 1},
                       {"post_id": "p1", "tag_id": "t1", "sort_order": 0},
                       {"post_id": "p1", "tag_id": "t3", "sort_order": 2}],
        "posts_authors": [{"post_id": "p1", "author_id": "u2", "sort_order": 1},
                          {"post_id": "p1", "author_id": "u1", "sort_order": 0}],
        "api_keys": [{"id": "k", "secret": SECRETS[2]}],
        "sessions": [{"id": "s", "session_data": SECRETS[3]}],
        "members": [{"email": SECRETS[4], "ip": SECRETS[5]}],
        "settings": [{"key": "title", "value": "Pond Life"}],
    }
    db = {"meta": meta or {"exported_on": 1620000000000, "version": "4.4.0"}, "data": data}
    return json.dumps({"db": [db]} if wrap else db, indent=1, ensure_ascii=False)


def test_published_posts_authors_tags_and_pages() -> None:
    text = export(
        ghost_post(1, "Frogspawn", "<p>Seen today.</p><p>Lots of it 🐸.</p>"),
        ghost_post(2, "About", "<p>We like ponds.</p>", type="page", published_at=None,
                   canonical_url="https://pond.example/about/"),
        ghost_post(3, "Old style page", "<p>Contact us.</p>", page=True, type=None),
    )
    assert looks_like_ghost(text)
    result = read_ghost(text, "ghost.json")
    frog, about, old = result.posts
    assert (frog.title, frog.body, frog.author, frog.tags) == (
        "Frogspawn", "Seen today.\n\nLots of it 🐸.", "Ivy Green", ("Ponds", "Frogs"))
    assert (frog.date, frog.guid, frog.url, frog.page) == (date(2021, 5, 1), "p1", None, False)
    assert about.page and about.url == "https://pond.example/about/"
    assert about.date == date(2021, 4, 30)  # no published_at: created_at
    assert old.page and old.author is None and old.tags == ()
    assert result.left_out == () and result.blog_title == ""


def test_no_secret_is_kept() -> None:
    result = read_ghost(export(ghost_post(1, "Frogspawn")), "ghost.json")
    dumped = repr(result)
    assert not [s for s in SECRETS if s in dumped]
    assert "mail.example" not in dumped and "Pond Life" not in dumped  # settings unread


def test_drafts_scheduled_and_members_only_left_out() -> None:
    text = export(
        ghost_post(1, "Kept"),
        ghost_post(2, "Draft", "<p>Secret draft text.</p>", status="draft"),
        ghost_post(3, "Later", status="scheduled"),
        ghost_post(4, "Newsletter", status="sent"),
        ghost_post(5, "For members", "<p>Members text.</p>", visibility="members"),
        ghost_post(6, "For payers", visibility="paid"),
        ghost_post(7, "Nothing", html=None),
    )
    result = read_ghost(text, "ghost.json")
    assert [p.title for p in result.posts] == ["Kept"]
    assert dict(result.left_out) == {"draft": 1, "scheduled": 1, "sent": 1,
                                     "members-only": 2, "empty": 1}
    assert "Secret draft" not in repr(result) and "Members text" not in repr(result)


def test_plaintext_lexical_and_mobiledoc_bodies() -> None:
    lexical = {"root": {"children": [
        {"type": "heading", "children": [{"type": "extended-text", "text": "Spring"}]},
        {"type": "paragraph", "children": [{"type": "text", "text": "Frogs "},
                                           {"type": "text", "text": "came."},
                                           {"type": "linebreak"},
                                           {"type": "text", "text": "Then newts."}]},
        {"type": "list", "children": [{"type": "listitem", "children": [
            {"type": "text", "text": "one"}]}, {"type": "listitem", "children": [
                {"type": "text", "text": "two"}]}]},
        {"type": "html", "html": "<p>Raw <b>card</b></p>"}]}}
    mobiledoc = {"version": "0.3.1", "atoms": [["soft-return", "", {}]],
                 "cards": [["markdown", {"markdown": "Some *markdown*."}], ["image", {}]],
                 "markups": [],
                 "sections": [[1, "p", [[0, [], 0, "Hello"], [1, [], 0, 0],
                                        [0, [], 0, " there."]]],
                              [10, 0], [10, 1], [3, "ul", [[[0, [], 0, "a"]], [[0, [], 0, "b"]]]]]}
    text = export(
        ghost_post(1, "Plain", None, plaintext="Line one.\n\nLine two."),
        ghost_post(2, "Lexical", None, lexical=json.dumps(lexical)),
        ghost_post(3, "Mobiledoc", None, mobiledoc=json.dumps(mobiledoc)),
        ghost_post(4, "Broken doc", None, mobiledoc="{\"sections\": [[10, 9]]}"),
    )
    result = read_ghost(text, "ghost.json")
    plain, lex, mob = result.posts
    assert plain.body == "Line one.\n\nLine two."
    assert lex.body == "Spring\n\nFrogs came.\nThen newts.\n\none\ntwo\n\nRaw card"
    assert mob.body == "Hello there.\n\nSome *markdown*.\n\na\nb"
    assert dict(result.left_out) == {"empty": 1}


def test_old_export_at_top_level_and_site_url_in_meta() -> None:
    text = export(ghost_post(1, "Old", published_at=1388534400000, author_id="u2"),
                  wrap=False, meta={"exported_on": 1, "version": "000", "url": "https://p.example/"})
    (post,) = read_ghost(text.replace('"post_id": "p1"', '"post_id": "none"'), "g.json").posts
    assert (post.date, post.author, post.url) == (date(2014, 1, 1), "Reed",
                                                  "https://p.example/post-1/")


def test_malformed_json_names_the_position() -> None:
    broken = export(ghost_post(1, "Frogspawn")).replace('"title": "Frogspawn",', '"title" "F",')
    with pytest.raises(SkippedFile, match=r"g\.json: not valid JSON at line \d+, column \d+"):
        read_ghost(broken, "g.json")


def test_other_json_is_skipped_saying_what_is_read(tmp_path: Path) -> None:
    with pytest.raises(SkippedFile, match=r"not a Ghost export.*Ghost's"):
        read_ghost('{"db": [{"data": {"pages": []}}], "exported_on": 1}', "g.json")
    other = tmp_path / "package.json"
    other.write_text('{"name": "x", "posts": [1, 2]}', encoding="utf-8")
    with pytest.raises(SkippedFile, match="not a Ghost export"):
        read_file(other, "package.json")
    assert not looks_like_ghost('{"name": "x", "data": [1]}')
    assert not looks_like_ghost('<rss "db" "posts" "data">')


def test_read_source_text_routes_ghost_whatever_the_suffix() -> None:
    text = "\ufeff" + export(ghost_post(1, "Frogspawn",
                                        "<!--kg-card-begin: html--><p>Seen.</p>"))
    for suffix in (".json", ".txt"):
        (post,) = read_source_text(text, "g" + suffix, suffix).posts
        assert post.body == "Seen."
