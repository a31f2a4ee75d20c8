"""The on-disk index: versioned FAISS vectors, BM25 postings, a sqlite chunk store and a
manifest, built incrementally from a corpus folder.

Modules, in the order a build uses them:

* ``files`` — walking the corpus; ``FileRow``, what the store records of each file
* ``parse_pool`` — parsing and chunking files, in fork-based worker processes when many
* ``plan`` — which files are new, changed, unchanged, skipped or gone; which chunks to reuse
* ``write`` — streaming a version: chunk store, dense and lexical indexes, in batches
* ``resume`` — embedded batches of an unfinished build, so a killed build resumes
* ``durability`` — fsync, byte-sharing copies, the build's background I/O thread
* ``versions`` — ``CURRENT``, publishing a version atomically, the build lock
* ``build`` — ``build_index`` and ``build_from_chunks``; ``report``: what a build did
* ``status`` — ``index_status`` (missing, stale or fresh) and ``ensure_index``
* ``manifest`` — the typed manifest and the one check of an index against its use
* ``store`` — the chunk store: its sqlite schema and every SQL statement of the package
* ``index_store`` — ``IndexStore``, a published version opened for reading
* ``leases`` — a reader's hold on its version, so cleanup never deletes it under the reader
* ``live`` — ``LiveIndex``: a running server follows ``CURRENT`` and swaps between requests
* ``integrity`` — per-file checksums of a version, ``index --verify``, repair of a bad one
* ``dense`` (``dense_spec``, ``calibration``) — the FAISS index of each kind
* ``lexical`` — BM25 over postings arrays, pinned to ``bm25s`` by a test

Only the lightweight names are re-exported here; FAISS loads when an index is read.
"""

from assistant.index.build import build_from_chunks, build_index
from assistant.index.files import corpus_embed_texts, iter_corpus_files
from assistant.index.index_store import IndexStore
from assistant.index.integrity import CorruptIndexError
from assistant.index.manifest import FORMAT_VERSION, IndexMismatchError
from assistant.index.plan import CorpusChangedError
from assistant.index.report import BuildReport, FileReport
from assistant.index.status import ensure_index, index_status
from assistant.index.versions import IndexNotFoundError

__all__ = [
    "FORMAT_VERSION",
    "BuildReport",
    "CorpusChangedError",
    "CorruptIndexError",
    "FileReport",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStore",
    "build_from_chunks",
    "build_index",
    "corpus_embed_texts",
    "ensure_index",
    "index_status",
    "iter_corpus_files",
]
