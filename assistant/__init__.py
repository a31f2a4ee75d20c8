"""Retrieval-augmented answers over a blog archive, with citations.

``build_index``, ``Retriever`` and ``Assistant`` are the library surface; nothing heavy loads
at import.
"""

from .answering import Answer, Assistant, Citation
from .chunking import Chunk
from .corpus import Comment, Post
from .index import BuildReport, IndexMismatchError, IndexNotFoundError, build_index
from .retrieval import Hit, Retriever
from .settings import Settings

__all__ = [
    "Answer",
    "Assistant",
    "BuildReport",
    "Chunk",
    "Citation",
    "Comment",
    "Hit",
    "IndexMismatchError",
    "IndexNotFoundError",
    "Post",
    "Retriever",
    "Settings",
    "build_index",
]
