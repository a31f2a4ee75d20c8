"""Retrieval-augmented answers over a blog archive, with citations.

``build_index`` and ``Retriever`` are the library surface; nothing heavy loads at import.
"""

from .chunking import Chunk
from .corpus import Comment, Post
from .index import BuildReport, IndexMismatchError, IndexNotFoundError, build_index
from .retrieval import Hit, Retriever
from .settings import Settings

__all__ = [
    "BuildReport",
    "Chunk",
    "Comment",
    "Hit",
    "IndexMismatchError",
    "IndexNotFoundError",
    "Post",
    "Retriever",
    "Settings",
    "build_index",
]
