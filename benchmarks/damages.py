"""The damages ``benchmarks.corruption`` does to the files of a version: for each file, one
that changes its size or structure and one that keeps its size, which only the checksums
can tell (``damages_for``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Damage", "damages_for"]


def _cut(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _xor(path: Path, offset: int, count: int) -> None:
    data = bytearray(path.read_bytes())
    for i in range(offset, min(offset + count, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _garbage(path: Path, offset: int, count: int) -> None:
    data = bytearray(path.read_bytes())
    count = min(count, len(data) - offset)
    data[offset:offset + count] = np.random.default_rng(14).bytes(count)
    path.write_bytes(bytes(data))


def _swap_case(path: Path, needle: bytes, fallback: int) -> None:
    """One letter's case swapped where ``needle`` is stored (or near ``fallback``): the file
    still parses and keeps its size; only its bytes tell."""
    data = bytearray(path.read_bytes())
    at = data.find(needle) if needle else -1
    at = fallback if at < 0 else at
    while at < len(data) and not chr(data[at]).isalpha():
        at += 1
    data[at] ^= 0x20
    path.write_bytes(bytes(data))


def _npy_data(path: Path) -> int:
    """Where a .npy file's elements start."""
    return path.stat().st_size - np.load(path, mmap_mode="r").nbytes


def _edit_manifest(path: Path) -> None:
    """A plausible hand edit: parses, and would quietly change every search."""
    data = json.loads(path.read_text())
    if "nprobe" in data.get("dense", {}):
        data["dense"]["nprobe"] = 1
    else:
        data["counts"]["chunks"] = data["counts"]["chunks"] + 1
    path.write_text(json.dumps(data, indent=2))


@dataclass(frozen=True)
class Damage:
    """One damage to one file of a version: ``apply(file path)``. ``same_size``: the file
    keeps its size; ``on_open``: a plain open's checks (sizes, the manifest's own digest,
    the sqlite header) catch it, where otherwise only the checksums can."""

    file: str
    kind: str
    same_size: bool
    on_open: bool
    apply: Callable[[Path], None]


def damages_for(files: list[str], stored_text: str = "") -> list[Damage]:
    """Two damages for each of ``files`` (paths in the version), chosen by the file's kind;
    ``stored_text`` is a passage the chunk store holds (its letters get flipped)."""
    needle = stored_text[:40].encode()
    found = []
    for name in files:
        if name == "manifest.json":
            pair = [("truncated", False, True, _cut),
                    ("edited by hand", False, True, _edit_manifest)]
        elif name.endswith(".sqlite"):
            pair = [("header flipped", True, True, lambda p: _xor(p, 0, 16)),
                    ("a letter of chunk text flipped", True, False,
                     lambda p: _swap_case(p, needle, p.stat().st_size // 2))]
        elif name.endswith(".faiss"):
            pair = [("cut in half", False, True, _cut),
                    ("garbage over vectors", True, False,
                     lambda p: _garbage(p, p.stat().st_size // 2, 256))]
        elif name.endswith(".npy"):
            pair = [("truncated", False, True, _cut),
                    ("elements flipped", True, False, lambda p: _xor(
                        p, (_npy_data(p) + p.stat().st_size) // 2, 8))]
        elif name.endswith(".json"):
            pair = [("truncated", False, True, _cut),
                    ("a letter flipped", True, False,
                     lambda p: _swap_case(p, b"", p.stat().st_size // 2))]
        else:
            pair = [("cut in half", False, True, _cut),
                    ("bytes flipped", True, False, lambda p: _xor(p, p.stat().st_size // 2, 16))]
        found += [Damage(name, kind, same, on_open, fn) for kind, same, on_open, fn in pair]
    return found
