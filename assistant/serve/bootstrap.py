"""The one way to open a warm ``Assistant``, used by the page (``app.py``), REST and MCP.

In order: build the index when it is missing or stale (with FAISS's default threads, which
training and adding vectors use), set the process-wide query settings once
(``runtime.configure_for_queries``), open the ``Retriever``, run one search so the embedding
model, FAISS and BM25 are loaded before concurrent requests arrive, and pick the backend
(``settings.backend`` unless one is given; a model is loaded on first use).

The retriever follows the index: a version published later (``python -m assistant index``
in another process, the page's re-index) is loaded in the background and served from the
next request on, within ``ASSISTANT_INDEX_CHECK_MS`` plus its load time (``index.live``).

With ``ASSISTANT_CLUSTER`` set, the retriever is the cluster's router over the shards Ray
Serve serves (``cluster.retriever``): built by ``python -m assistant index --cluster``, not
here, and served by ``python -m assistant cluster deploy``.
"""

from __future__ import annotations

from assistant.answer.assistant import Assistant
from assistant.index import ensure_index
from assistant.runtime import configure_for_queries
from assistant.search.retriever import Retriever
from assistant.settings import Settings

__all__ = ["open_assistant", "open_retriever"]


def open_retriever(settings: Settings, embedder=None):
    """The index's ``Retriever``, or with ``settings.cluster`` the cluster's router."""
    if settings.cluster:
        from assistant.cluster.retriever import ClusterRetriever

        return ClusterRetriever.open(settings.cluster, settings.index_dir, settings=settings,
                                     embedder=embedder)
    return Retriever.open(settings.index_dir, settings=settings, embedder=embedder)


def open_assistant(settings: Settings | None = None, backend=None, *, build: bool = True,
                   quiet: bool = False, warm: bool = True, embedder=None,
                   **assistant_options) -> Assistant:
    """An ``Assistant`` over ``settings.index_dir`` with its indexes and embedder loaded.

    ``backend`` is a spec string or a ``ChatBackend``; ``build=False`` opens the index as it
    is; ``quiet`` silences the build's progress (it goes to stderr either way); ``embedder``
    replaces the model the index names (tests pass the package's fake);
    ``assistant_options`` (``k``, ``max_passages``) go to the ``Assistant``.
    """
    settings = settings or Settings.from_env()
    if build and not settings.cluster:
        ensure_index(settings, quiet=quiet)
    configure_for_queries()
    retriever = open_retriever(settings, embedder)
    if warm:
        retriever.search("warm up", k=1)
    return Assistant(retriever, backend=backend, settings=settings, **assistant_options)
