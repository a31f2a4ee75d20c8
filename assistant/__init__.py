"""Retrieval-augmented answers over a blog archive, with citations.

The package reads top to bottom in data-flow order; each folder imports only from the
folders before it and the leaf modules (an import-linter contract, ``.importlinter``, holds
it so in the tests, function-local imports included)::

    files ─ingest─▶ Post(+Comments) ─chunk─▶ Chunk ─embed─▶ vectors ─index─▶ index/
    question ─answer.understand─▶ query ─search─▶ Hits ─answer─▶ Answer(text, citations)

    ingest/   files and exports -> Post/Comment (one module per format), chunking
    embed/    text -> unit vectors: the Embedder, its int8 ONNX and torch backends, a fake
    index/    the versioned on-disk index: manifest, chunk store (all SQL), FAISS, BM25, builds
    search/   Retriever: filters, dense + BM25, fusion, sign-offs, dedupe
    llm/      ChatBackend protocol and backends by spec string; knows nothing of the index
    answer/   Assistant: understand, evidence, answerers (extractive, model), citations,
              prompts, the reference renderer
    serve/    one bootstrap, shared request schemas, REST, OpenAI-compatible /v1, MCP
    ui/       the Gradio page: layout and wiring, pure renderers, static CSS/JS
    evaluation.py, cli.py   on top of everything

Leaves, importable from anywhere: ``settings`` (typed settings, the only defaults),
``records`` (the frozen records and stream events every stage shares), ``text`` (sentences,
tokens, content words, stems), ``hashing`` (file digests) and ``runtime`` (process-wide
settings, made once at start-up).

``build_index``, ``Retriever`` and ``Assistant`` are the library surface; nothing heavy loads
at import (no model, FAISS, Gradio, FastAPI or MCP).
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
