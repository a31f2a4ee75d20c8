"""Process-wide settings, made once at start-up and nowhere else.

FAISS's OpenMP thread count belongs to the whole process, so changing it around each search
(as the dense index once did) races when the page runs several searches at once. A process
that answers queries calls ``configure_for_queries`` once, before it serves (the bootstrap
of the page, REST and MCP; the CLI's search and ask; the benchmarks' timed searches); a
process that only builds keeps FAISS's default of one thread per core for training and
adding vectors. The page also re-indexes uploads in its serving process, so those builds
run FAISS on one thread: an upload is a few files, and an exact index (below
``ASSISTANT_ANN_THRESHOLD`` chunks) needs no training; a large archive is best indexed with
``python -m assistant index``. Library code that serves queries calls it once too.
"""

from __future__ import annotations

__all__ = ["configure_for_queries"]


def configure_for_queries() -> None:
    """One OpenMP thread for FAISS: a single query is memory-bound, and a second thread only
    adds contention (measured 19 ms with one thread, 53 ms with two, exact search at 100k
    chunks on 2 cores). Concurrent queries run side by side on their own threads instead."""
    import faiss

    faiss.omp_set_num_threads(1)
