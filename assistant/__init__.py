"""Retrieval-augmented answers over a blog archive, with citations.

``build_index``, ``Retriever`` and ``Assistant`` are the library surface; nothing heavy loads
at import.
"""

from assistant.answer.assistant import Assistant
from assistant.index import BuildReport, IndexMismatchError, IndexNotFoundError, build_index
from assistant.records import Answer, Chunk, Citation, Comment, Hit, Post
from assistant.search.retriever import Retriever
from assistant.settings import Settings

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
