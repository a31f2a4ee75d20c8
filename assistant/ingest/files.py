"""Reading one file: supported suffixes, size limit, binary sniffing, decoding and repair."""

from __future__ import annotations

import codecs
from pathlib import Path

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SkippedFile",
    "check_suffix",
    "decode_bytes",
    "fmt_size",
    "read_text",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".text", ".xml", ".json",
                      ".atom", ".zip", ".yml", ".yaml", "")

_SNIFF_BYTES = 8192
_CONTROL_SHARE = 0.05  # more control characters than this in the first 8 KB: binary
_MIB = 1024 * 1024


class SkippedFile(Exception):
    """A file that cannot be indexed; ``str(exc)`` is a one-line reason for the report."""


def check_suffix(suffix: str) -> None:
    """Raise ``SkippedFile`` unless ``suffix`` (lower case, with its dot) is supported."""
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkippedFile(f"unsupported file type {suffix}")


def read_text(path: Path, max_bytes: int) -> str:
    """The decoded text of ``path``. Raises ``SkippedFile`` for unsupported, unreadable,
    oversized, empty and binary files."""
    check_suffix(path.suffix.lower())
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkippedFile(f"too large: {fmt_size(size)} > {fmt_size(max_bytes)} limit")
        data = path.read_bytes()
    except OSError as exc:
        raise SkippedFile(f"unreadable: {exc.strerror or exc.__class__.__name__}") from exc
    if len(data) > max_bytes:  # grew since stat()
        raise SkippedFile(f"too large: {fmt_size(len(data))} > {fmt_size(max_bytes)} limit")
    return decode_bytes(data)


def decode_bytes(data: bytes) -> str:
    """A file's bytes (on disk or a zip member) as text. Raises ``SkippedFile`` for empty,
    blank and binary data."""
    if not data:
        raise SkippedFile("empty file")
    text = _decode(data)
    if not text.strip():
        raise SkippedFile("empty file (whitespace only)")
    return text


def fmt_size(n: int) -> str:
    """``25.3 MB``, ``20 MB``, ``12 KB``, ``300 bytes``."""
    for unit, scale in (("MB", _MIB), ("KB", 1024)):
        if n >= scale:
            value = f"{n / scale:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    return f"{n} bytes"


def _decode(data: bytes) -> str:
    """Bytes to text: BOMs honoured, bad UTF-8 repaired (or read as cp1252), binary refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data[:_SNIFF_BYTES]:
        raise SkippedFile("binary file")
    else:
        data = data.removeprefix(codecs.BOM_UTF8)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            bad = text.count("\ufffd") - data.count("\ufffd".encode())
            good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
            if bad > good:  # mostly single high bytes: a legacy 8-bit file, not broken UTF-8
                text = data.decode("cp1252", errors="replace")
    sample = text[:_SNIFF_BYTES]
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or ch == "\x7f")
    if sample and controls / len(sample) > _CONTROL_SHARE:
        raise SkippedFile("binary file")
    return text
