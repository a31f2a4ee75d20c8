"""Zip archives read in place: members read as loose files are, sources naming the member,
limits (zip bombs, unsafe paths, encrypted and nested members), corrupt zips, and a zip's
posts counted under it by an incremental build."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from assistant import Settings, build_index
from assistant.index import IndexStore
from assistant.ingest.archives import read_zip, safe_member_path
from assistant.ingest.files import SkippedFile
from assistant.ingest.parse import read_file, read_source_text
from tests.conftest import SHARED
from tests.ingest.test_wxr import comment, item, wxr

MB = 1024 * 1024
REAL_BLOGGER = SHARED / "real-exports" / "blogger-arborlodge" / "blogger.xml"
NOTE = "---\ntitle: Seed swap\ndate: 2019-03-02\n---\n\nThe seed swap is on Saturday at the hall.\n"


def make_zip(path: Path, members: dict[str, bytes | str], *,
             method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def export() -> str:
    return wxr(item(1, title="Leeks in winter", body="<p>Leeks stand the frost well.</p>",
                    comments=comment(7, text="Mine bolted in March.")),
               item(2, title="Unfinished", status="draft"))


def test_a_zip_holding_an_export_and_a_note_reads_both_with_member_sources(tmp_path):
    path = make_zip(tmp_path / "site.zip", {"backup/export.xml": export(),
                                            "notes/seed-swap.md": NOTE,
                                            "photos/leek.jpg": b"\xff\xd8\xff\xe0binary"})
    imported = read_file(path, "uploads/site.zip")
    by_title = {p.title: p for p in imported.posts}
    assert set(by_title) == {"Leeks in winter", "Seed swap"}
    assert by_title["Leeks in winter"].source == "uploads/site.zip/backup/export.xml"
    assert by_title["Seed swap"].source == "uploads/site.zip/notes/seed-swap.md"
    assert [c.text for c in by_title["Leeks in winter"].comments] == ["Mine bolted in March."]
    assert "Saturday at the hall" in by_title["Seed swap"].body
    left = dict(imported.left_out)
    assert left["draft"] == 1  # the export's own left-out counts are merged
    assert left["zip member of unsupported type .jpg"] == 1
    assert imported.blog_title == "Fernhill Allotment"


def test_a_zip_bomb_is_refused_before_anything_is_decompressed(tmp_path):
    path = make_zip(tmp_path / "bomb.zip", {"ok.md": NOTE, "bomb.txt": b"a" * (2 * MB)})
    info = zipfile.ZipFile(path).getinfo("bomb.txt")
    assert info.file_size / info.compress_size > 100  # the fixture is a bomb
    with pytest.raises(SkippedFile, match=r"zip bomb.*over 100:1"):
        read_file(path, "bomb.zip")


def test_a_small_highly_compressed_member_is_read(tmp_path):
    text = "Frost again tonight. " * 20_000  # 420 KB, far over 100:1, but under 1 MB
    path = make_zip(tmp_path / "frost.zip", {"frost.txt": f"Frost\n\n{text}"})
    assert read_file(path, "frost.zip").posts


def test_members_that_climb_out_or_are_absolute_are_never_read(tmp_path):
    path = make_zip(tmp_path / "evil.zip", {"../evil.md": NOTE, "/etc/evil.md": NOTE,
                                            "C:/evil.md": NOTE, "a/../../evil.md": NOTE,
                                            "good.md": NOTE})
    imported = read_file(path, "evil.zip")
    assert [p.source for p in imported.posts] == ["evil.zip/good.md"]
    assert dict(imported.left_out)["zip member with an unsafe path (absolute or ..)"] == 4
    assert not (tmp_path / "evil.md").exists() and not (tmp_path.parent / "evil.md").exists()


@pytest.mark.parametrize("name,expected", [
    ("a/b.md", "a/b.md"), ("./a//b.md", "a/b.md"), ("a\\b.md", "a/b.md"),
    ("../x.md", None), ("/x.md", None), ("\\x.md", None), ("D:x.md", None), ("a/../b", None),
])
def test_safe_member_path(name, expected):
    assert safe_member_path(name) == expected


def test_a_corrupt_zip_is_one_clear_line(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file" * 10)
    with pytest.raises(SkippedFile) as caught:
        read_file(path, "broken.zip")
    assert "not a readable zip archive" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_member_with_a_bad_crc_is_left_out_and_the_rest_read(tmp_path):
    path = make_zip(tmp_path / "crc.zip", {"a.md": NOTE, "b.txt": "Frost\n\nIt froze hard."},
                    method=zipfile.ZIP_STORED)
    data = path.read_bytes().replace(b"froze hard", b"froze soft")  # content no longer matches
    path.write_bytes(data)
    imported = read_file(path, "crc.zip")
    assert [p.title for p in imported.posts] == ["Seed swap"]
    assert dict(imported.left_out)["zip member corrupt"] == 1


def _mark_encrypted(path: Path, name: str) -> None:
    """Set the 'encrypted' flag of ``name`` in its local and central headers (zipfile can
    write no encrypted member)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_at:start + name_at + len(encoded)] == encoded:
                data[start + flag_at] |= 0x1
            start += 4
    path.write_bytes(bytes(data))


def test_an_encrypted_member_is_skipped_with_its_reason(tmp_path):
    path = make_zip(tmp_path / "locked.zip", {"open.md": NOTE, "secret.md": NOTE})
    _mark_encrypted(path, "secret.md")
    assert zipfile.ZipFile(path).getinfo("secret.md").flag_bits & 0x1
    imported = read_file(path, "locked.zip")
    assert [p.source for p in imported.posts] == ["locked.zip/open.md"]
    assert dict(imported.left_out)["zip member encrypted (password protected)"] == 1


def test_nested_zips_are_not_opened_and_binary_members_use_the_file_sniffing(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("inner.md", NOTE)
    path = make_zip(tmp_path / "outer.zip", {"inner.zip": inner.getvalue(), "top.md": NOTE,
                                             "image.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                                             ".hidden.md": NOTE, "__MACOSX/._top.md": b"x"})
    imported = read_file(path, "outer.zip")
    assert [p.source for p in imported.posts] == ["outer.zip/top.md"]
    left = dict(imported.left_out)
    assert left == {"zip inside the zip (not opened: unzip it)": 1,
                    "zip member skipped: binary file": 1}


def test_too_many_members_or_too_much_text_are_refused(tmp_path, monkeypatch):
    from assistant.ingest import archives

    member = NOTE + "More about the seed swap.\n" * 100
    path = make_zip(tmp_path / "many.zip", {f"n{i}.md": member for i in range(5)})
    monkeypatch.setattr(archives, "MAX_ZIP_MEMBERS", 4)
    with pytest.raises(SkippedFile, match="5 files, over the 4 limit"):
        read_zip(path, "many.zip", MB, read_source_text)
    monkeypatch.setattr(archives, "MAX_ZIP_MEMBERS", 10)
    monkeypatch.setattr(archives, "MAX_ZIP_TOTAL_BYTES", 4 * len(member))
    with pytest.raises(SkippedFile, match="expands to"):
        read_zip(path, "many.zip", MB, read_source_text)


def test_a_member_over_the_file_limit_is_left_out(tmp_path):
    path = make_zip(tmp_path / "big.zip", {"big.txt": "Big\n\n" + "x y z\n" * 3000,
                                           "small.md": NOTE})
    imported = read_zip(path, "big.zip", 4096, read_source_text)
    assert [p.title for p in imported.posts] == ["Seed swap"]
    assert dict(imported.left_out)["zip member too large"] == 1


def test_a_zip_with_nothing_readable_says_why(tmp_path):
    path = make_zip(tmp_path / "pics.zip", {"a.jpg": b"\xff\xd8", "b.png": b"\x89PNG"})
    with pytest.raises(SkippedFile, match=r"no posts found in the zip \(zip member of "
                                          r"unsupported type \.jpg 1"):
        read_file(path, "pics.zip")


def test_an_incremental_build_re_embeds_only_the_changed_member_and_drops_a_deleted_zip(
        tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "loose.md").write_text(NOTE.replace("Seed swap", "Loose note"))
    zipped = corpus / "site.zip"
    notes = {f"notes/n{i}.txt": f"Note {i}\n\nPlot {i} needs compost and a new fence post."
             for i in range(3)}
    make_zip(zipped, {"export.xml": export(), **notes})
    settings = Settings.from_env({})
    first = build_index(corpus, tmp_path / "index", settings=settings, embedder=hash_embedder)
    row = {f.source: f for f in first.files}["site.zip"]
    assert row.status == "added" and row.posts == 4 and row.comments == 1
    store = IndexStore.open(tmp_path / "index")
    sources = {c.source for c in store.chunks_by_ids(store.all_ids().tolist()).values()}
    assert "site.zip/notes/n1.txt" in sources and "site.zip/export.xml" in sources
    stats = store.stats()
    assert (stats["posts"], stats["comments"]) == (5, 1)
    zip_stats = {s["source"]: s for s in stats["sources"]}["site.zip"]
    assert (zip_stats["posts"], zip_stats["left_out"]) == (4, {"draft": 1})

    hash_embedder.embedded.clear()
    notes["notes/n1.txt"] = "Note 1\n\nPlot 1 was given to the school garden club."
    make_zip(zipped, {"export.xml": export(), **notes})
    os.utime(zipped, ns=(1, 1))  # size may match: the mtime tells the build to look
    second = build_index(corpus, tmp_path / "index", settings=settings, embedder=hash_embedder)
    assert {f.source: f.status for f in second.files} == {"loose.md": "unchanged",
                                                          "site.zip": "updated"}
    assert hash_embedder.embedded and all("school garden" in t for t in hash_embedder.embedded)
    assert (second.changes.posts_changed, second.changes.posts_added,
            second.changes.posts_removed) == (1, 0, 0)
    store = IndexStore.open(tmp_path / "index")
    assert (store.stats()["posts"], store.stats()["comments"]) == (5, 1)
    texts = [c.text for c in store.chunks_by_ids(store.all_ids().tolist()).values()]
    assert not any("compost" in t and "Plot 1 " in t for t in texts)

    zipped.unlink()
    third = build_index(corpus, tmp_path / "index", settings=settings, embedder=hash_embedder)
    assert {f.source: f.status for f in third.files} == {"loose.md": "unchanged",
                                                         "site.zip": "removed"}
    store = IndexStore.open(tmp_path / "index")
    chunks = store.chunks_by_ids(store.all_ids().tolist()).values()
    assert {c.source for c in chunks} == {"loose.md"}
    assert (store.stats()["posts"], store.stats()["comments"]) == (1, 0)


def test_a_corrupt_zip_is_skipped_by_the_build_and_a_damaged_one_keeps_its_last_version(
        tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "loose.md").write_text(NOTE)
    (corpus / "broken.zip").write_bytes(b"PK\x03\x04 truncated" * 8)
    make_zip(corpus / "good.zip", {"n.txt": "Fence\n\nThe fence on plot 4 blew down."})
    settings = Settings.from_env({})
    report = build_index(corpus, tmp_path / "index", settings=settings, embedder=hash_embedder)
    status = {f.source: (f.status, f.reason) for f in report.files}
    assert status["broken.zip"][0] == "skipped"
    assert status["broken.zip"][1].startswith("not a readable zip archive")
    assert "\n" not in status["broken.zip"][1]
    assert status["loose.md"][0] == status["good.zip"][0] == "added"

    (corpus / "good.zip").write_bytes((corpus / "good.zip").read_bytes()[:40])  # damaged
    report = build_index(corpus, tmp_path / "index", settings=settings, embedder=hash_embedder)
    good = {f.source: f for f in report.files}["good.zip"]
    assert good.status == "skipped" and "kept the previously indexed version" in good.reason
    store = IndexStore.open(tmp_path / "index")
    texts = [c.text for c in store.chunks_by_ids(store.all_ids().tolist()).values()]
    assert any("plot 4 blew down" in t for t in texts) and store.stats()["posts"] == 2


@pytest.mark.skipif(not REAL_BLOGGER.is_file(), reason="../shared/real-exports is not here")
def test_the_real_blogger_export_zipped_reads_as_the_loose_file_does(tmp_path):
    loose = read_file(REAL_BLOGGER, "blogger.xml")
    path = tmp_path / "takeout.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(REAL_BLOGGER, "Takeout/Blogger/blog-backup.xml")
    zipped = read_file(path, "takeout.zip")
    assert len(zipped.posts) == len(loose.posts) > 0
    assert sum(len(p.comments) for p in zipped.posts) == \
        sum(len(p.comments) for p in loose.posts)
    assert zipped.left_out == loose.left_out and zipped.blog_title == loose.blog_title
    assert {p.source for p in zipped.posts} == {"takeout.zip/Takeout/Blogger/blog-backup.xml"}


def test_a_zipped_static_site_keeps_its_staticman_comments_with_their_posts(tmp_path):
    from tests.ingest.test_staticsite import NATIVE, NATIVE_REPLY, POST

    path = make_zip(tmp_path / "site.zip", {
        "site/_posts/2013-09-05-drawing-clouds.md": POST,
        "site/_data/comments/drawing-clouds/comment-1.yml": NATIVE,
        "site/_data/comments/drawing-clouds/comment-2.yml": NATIVE_REPLY,
        "site/_data/comments/gone/comment-3.yml": "message: Orphan.\nname: Sam\n",
    })
    imported = read_file(path, "site.zip")
    (post,) = imported.posts
    assert post.source == "site.zip/site/_posts/2013-09-05-drawing-clouds.md"
    assert [(c.number, c.author) for c in post.comments] == [("1", "Rowan"),
                                                             ("1.1", "Mira Holt")]
    assert "rowan@mail.example" not in repr(imported)
    # the orphan is a member skipped, counted; never a post of its own
    assert sum(n for reason, n in imported.left_out if "YAML data file" in reason) == 1
