"""The shipped corpus files, for tests that parse them."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest import parse_file
from assistant.records import Post

__all__ = ["CORPUS", "ROOT", "load_shipped"]

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"


def load_shipped(name: str) -> list[Post]:
    """The posts of ``corpus/<name>_*.txt``, with the source the index gives them."""
    path = next(CORPUS.glob(f"{name}_*.txt"))
    return parse_file(path, f"corpus/{path.name}")
