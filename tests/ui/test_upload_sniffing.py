"""Uploads are taken by content, not suffix: a binary renamed ``.txt`` is refused at upload
with a message naming it, by the same reading the build does (``ingest.files.read_text``),
and leaves nothing behind; text in other encodings is taken and then indexed."""

from __future__ import annotations

import codecs

import pytest

from assistant.ingest.files import read_text
from assistant.ui.uploads import UPLOAD_FOLDER, save_upload

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
POST = "Monday 3 March 2014\n\nCafé notes\n\nThe café on the corner reopened after the strike.\n"


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


def upload(tmp_path, corpus, data: bytes, name: str):
    src = tmp_path / "incoming.bin"  # Gradio's temporary name need not match the original
    src.write_bytes(data)
    return save_upload(src, name, corpus, 1_000_000)


@pytest.mark.parametrize("data, what", [
    (PNG, "a PNG image"),
    (b"%PDF-1.7\n" + bytes(range(32)) * 40, "a PDF"),
    (b"PK\x03\x04" + bytes(range(256)) * 4, "a zip archive"),
    (bytes(range(256)) * 16, "not text"),
], ids=["png", "pdf", "zip", "bytes"])
def test_binary_renamed_txt_is_refused_at_upload(tmp_path, corpus, data, what):
    result = upload(tmp_path, corpus, data, "holiday photo.txt")
    assert result.saved_as is None
    assert result.reason.startswith(f"not a text file: its content is binary ({what}")
    assert "named .txt" in result.reason and "text, Markdown or HTML" in result.reason
    assert list((corpus / UPLOAD_FOLDER).iterdir()) == []  # no file, no .part left


@pytest.mark.parametrize("data", [
    POST.encode("utf-8"),
    codecs.BOM_UTF8 + POST.encode("utf-8"),
    POST.encode("utf-16"),  # with its BOM
    POST.encode("cp1252"),
], ids=["utf-8", "utf-8-bom", "utf-16", "cp1252"])
def test_text_in_any_encoding_the_build_reads_is_taken(tmp_path, corpus, data):
    result = upload(tmp_path, corpus, data, "cafe.txt")
    assert result.saved_as == "uploads/cafe.txt", result.reason
    saved = corpus / result.saved_as
    assert saved.read_bytes() == data
    assert "café on the corner" in read_text(saved, 1_000_000)  # as the build will read it


def test_blank_text_is_refused_with_the_builds_reason(tmp_path, corpus):
    result = upload(tmp_path, corpus, b" \n\t\n", "blank.md")
    assert result.saved_as is None and result.reason == "empty file (whitespace only)"
