"""Uploads: safe names, saved only inside ``corpus/uploads``, refused when unfit."""

from __future__ import annotations

import pytest

from assistant.ui.uploads import safe_filename, save_upload


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\boot.ini.md", "boot_ini.md"),
    (".hidden.html", "hidden.html"),
    ("My Post (final).HTML", "My_Post_final.html"),
    ("résumé.txt", "resume.txt"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_uploads_stay_inside_the_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    src = tmp_path / "src.txt"
    src.write_text("Monday 3 March 2014\n\nTitle\n\nBody text.\n")
    saved = save_upload(src, "../../../outside.txt", corpus, 1000)
    assert saved.saved_as == "uploads/outside.txt"
    assert (corpus / "uploads" / "outside.txt").read_text() == src.read_text()
    assert not (tmp_path / "outside.txt").exists()
    again = save_upload(src, "outside.txt", corpus, 1000)
    assert again.saved_as is None and "already in the archive" in again.reason
    src.write_text("Different text")
    assert save_upload(src, "outside.txt", corpus, 1000).saved_as == "uploads/outside-1.txt"
    assert "unsupported type .exe" in save_upload(src, "x.exe", corpus, 1000).reason
    assert "too large" in save_upload(src, "big.txt", corpus, 3).reason
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == \
        ["outside-1.txt", "outside.txt"]


def test_empty_files_are_refused(tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("")
    assert save_upload(empty, "empty.md", tmp_path, 1000).reason == "empty file"
    assert not (tmp_path / "uploads").exists()


def _zip(path, members):
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_blog_export_and_a_zip_are_taken_and_the_zip_is_stored_as_a_zip(tmp_path):
    from assistant.ingest.parse import read_file
    from tests.ingest.test_wxr import item, wxr

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    export = tmp_path / "upload-1"
    export.write_text(wxr(item(1, title="Leeks in winter")))
    saved = save_upload(export, "WordPress export.XML", corpus, 100_000)
    assert saved.saved_as == "uploads/WordPress_export.xml", saved.reason
    archive = _zip(tmp_path / "upload-2", {"blog/export.xml": export.read_text(),
                                           "notes/swap.md": "# Seed swap\n\nOn Saturday."})
    saved = save_upload(archive, "../my site.zip", corpus, 100_000)
    assert saved.saved_as == "uploads/my_site.zip", saved.reason
    stored = corpus / "uploads" / "my_site.zip"
    assert stored.read_bytes() == archive.read_bytes()  # not unpacked
    posts = read_file(stored, "uploads/my_site.zip").posts
    assert {p.source for p in posts} == {"uploads/my_site.zip/blog/export.xml",
                                        "uploads/my_site.zip/notes/swap.md"}
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == \
        ["WordPress_export.xml", "my_site.zip"]


@pytest.mark.parametrize("members, reason", [
    ({"a.jpg": b"\xff\xd8\xff"}, "no posts found in the zip"),
    ({"bomb.txt": b"a" * (2 * 1024 * 1024)}, "zip bomb"),
])
def test_a_zip_without_posts_or_a_zip_bomb_is_refused_and_nothing_is_left(tmp_path, members,
                                                                          reason):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    archive = _zip(tmp_path / "upload", members)
    saved = save_upload(archive, "photos.zip", corpus, 100_000)
    assert saved.saved_as is None and reason in saved.reason
    assert list((corpus / "uploads").iterdir()) == []  # no file, no .part left


def test_a_corrupt_zip_is_refused_with_the_builds_reason(tmp_path):
    src = tmp_path / "upload"
    src.write_bytes(b"PK\x03\x04 not really a zip" * 20)
    saved = save_upload(src, "site.zip", tmp_path, 100_000)
    assert saved.saved_as is None and "not a readable zip archive" in saved.reason
