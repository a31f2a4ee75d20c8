"""A live uvicorn server in a thread, and a tiny extractive assistant to serve."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .conftest import POST_A, POST_B, HashEmbedder

__all__ = ["ScriptedBackend", "live_server", "small_assistant"]


class ScriptedBackend:
    """A chat backend that streams one scripted reply in small pieces."""

    name = "scripted"
    context_length = 4096

    def __init__(self, reply: str):
        self.reply = reply

    def stream(self, messages, *, max_tokens=512, temperature=0.1, stop=None):
        for i in range(0, len(self.reply), 9):
            yield self.reply[i:i + 9]


def small_assistant(root: Path, backend="extractive"):
    """An ``Assistant`` over the two-post test corpus, indexed with ``HashEmbedder``."""
    from assistant import Settings, build_index
    from assistant.answer.assistant import Assistant
    from assistant.index.build import IndexStore
    from assistant.search.retriever import Retriever

    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "a.txt").write_text(POST_A)
    (corpus / "b.txt").write_text(POST_B)
    embedder = HashEmbedder()
    settings = Settings.from_env({}, corpus_dir=corpus, index_dir=root / "index")
    build_index(corpus, root / "index", settings=settings, embedder=embedder)
    retriever = Retriever(IndexStore.open(root / "index"), embedder)
    retriever.search("warm up", k=1)
    return Assistant(retriever, backend=backend, settings=settings)


@contextmanager
def live_server(app) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1; yields the base URL, stops on exit."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
