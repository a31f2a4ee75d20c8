"""A live uvicorn server in a thread, and a tiny assistant to serve."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.embed.fake import FakeEmbedder

from ..conftest import POST_A, POST_B

__all__ = ["live_server", "small_assistant"]


def small_assistant(root: Path, backend="extractive"):
    """A warm ``Assistant`` over the two-post test corpus, indexed with ``FakeEmbedder``,
    opened the way the servers open theirs."""
    from assistant import Settings, build_index
    from assistant.serve.bootstrap import open_assistant

    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "a.txt").write_text(POST_A)
    (corpus / "b.txt").write_text(POST_B)
    embedder = FakeEmbedder()
    settings = Settings.from_env({}, corpus_dir=corpus, index_dir=root / "index")
    build_index(corpus, root / "index", settings=settings, embedder=embedder)
    return open_assistant(settings, backend, build=False, embedder=embedder)


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
