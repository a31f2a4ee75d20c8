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
