"""Reading files: what is skipped and why, size limits, decoding and repair."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import pytest

from assistant.ingest import SkippedFile, parse_file, parse_text

# --------------------------------------------------------------------------- parse_file


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \n\t\r\n  \n", "empty file (whitespace only)"),
        (b"Title\n\x00\x01\x02binary", "binary file"),
        (bytes(range(1, 32)) * 20 + b"text", "binary file"),
    ],
)
def test_unindexable_files(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    with pytest.raises(SkippedFile) as info:
        parse_file(path, "f.txt")
    assert str(info.value) == reason


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + "body text " * 50)
    with pytest.raises(SkippedFile, match=r"^too large: 507 bytes > 100 bytes limit$"):
        parse_file(path, "big.txt", max_bytes=100)
    sparse = tmp_path / "huge.txt"
    with sparse.open("wb") as f:
        f.truncate(int(25.3 * 1024 * 1024))
    with pytest.raises(SkippedFile) as info:
        parse_file(sparse, "huge.txt")
    assert str(info.value) == "too large: 25.3 MB > 20 MB limit"


@pytest.mark.parametrize("name", ["a.pdf", "b.PNG", "c.docx"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 whatever")
    with pytest.raises(SkippedFile) as info:
        parse_file(path, name)
    assert str(info.value) == f"unsupported file type {Path(name).suffix.lower()}"
    with pytest.raises(SkippedFile, match=r"unsupported file type \.pdf"):
        parse_text("text", "a.pdf", suffix=".pdf")


def test_invalid_utf8_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(
        "Tuesday 27 September 2016\n\nAccountant\u2019s Reinvent the Wheel\n\n".encode()
        + b"Broken \xff\xfe bytes in the middle, caf\xc3\xa9 still fine.\n"
    )
    (post,) = parse_file(path, "bad.txt")
    assert post.title == "Accountant\u2019s Reinvent the Wheel"
    assert post.date == date(2016, 9, 27)
    assert post.body.startswith("Broken ") and post.body.endswith("caf\u00e9 still fine.")
    assert "\ufffd" in post.body


def test_cp1252_file_is_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Caf\u00e9 notes\n\nIt\u2019s \u00a312bn \u2013 or so.\n".encode("cp1252"))
    (post,) = parse_file(path, "legacy.txt")
    assert post.title == "Caf\u00e9 notes"
    assert post.body == "It\u2019s \u00a312bn \u2013 or so."


def test_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"Friday 19 December 2014\r\n\r\nGuest Blog 15\r\n\r\nBody.")
    (post,) = parse_file(path, "bom.txt")
    assert (post.title, post.date, post.body) == ("Guest Blog 15", date(2014, 12, 19), "Body.")
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("My notes\n\nBody.".encode("utf-16"))
    (post,) = parse_file(utf16, "utf16.txt")
    assert (post.title, post.body) == ("My notes", "Body.")


def test_markdown_file_and_source(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text("---\ntitle: Hello\ndate: 6 June 2019\n---\nBody *text*.\n", encoding="utf-8")
    (post,) = parse_file(path, "sub/post.md")
    assert (post.source, post.title, post.date, post.body) == (
        "sub/post.md",
        "Hello",
        date(2019, 6, 6),
        "Body text.",
    )
