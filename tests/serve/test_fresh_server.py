"""A running server serves a version published by another process, under load, dropping no
request: real processes on 127.0.0.1, stopped by their PID.

The server is started on a small index; a burst of concurrent searches begins; a post is
added and another process indexes it; the burst goes on until a search has found the new
post (and at least ``BURST`` searches were made). Every search must succeed, the burst must
span the swap (searches before it saw the old version, later ones the new), and the version
the server stopped reading must be free for the next build's cleanup.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ..conftest import POST_A, POST_B, REPO
from ..ui.helpers import free_port

pytestmark = pytest.mark.server

WORKERS = 8  # concurrent clients
BURST = 200  # searches at least, spanning the swap
AFTER = 50  # searches at least once the new post was found
CAP = 3000  # searches at most (the bound on a server that never swaps)
PAUSE_S = 0.02  # between one client's searches
DEADLINE_S = 90  # the whole burst, however slow the machine
WARMUP = 20  # searches on the old version before the new post is indexed
QUERY = "quokka sanctuary volunteers"
NEW_POST = """Wednesday 5 March 2014

Quokka Sanctuary Opens

Volunteers opened a quokka sanctuary beside the probation office.
"""

_FAKE_SERVER = """
import sys
import uvicorn
from assistant import Settings
from assistant.embed.fake import FakeEmbedder
from assistant.serve.bootstrap import open_assistant
from assistant.serve.http import create_app
settings = Settings.from_env()
assistant = open_assistant(settings, "extractive", build=False, embedder=FakeEmbedder())
uvicorn.run(create_app(assistant, settings), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning")
"""
_FAKE_INDEX = """
from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
settings = Settings.from_env()
build_index(settings.corpus_dir, settings.index_dir, settings=settings, embedder=FakeEmbedder())
"""


@dataclass(frozen=True)
class Commands:
    """How to start the server (``{port}`` filled in) and how to index, in processes."""

    serve: list[str]
    index: list[str]
    fake: bool  # the index is built with FakeEmbedder before the server starts


FAKE = Commands([sys.executable, "-c", _FAKE_SERVER, "{port}"],
                [sys.executable, "-c", _FAKE_INDEX], fake=True)
CLI = Commands([sys.executable, "-m", "assistant", "serve", "--port", "{port}"],
               [sys.executable, "-m", "assistant", "index"], fake=False)


@dataclass(frozen=True)
class Outcome:
    started_at: float  # time.time() when the request was sent
    done_at: float  # and when its response arrived
    ok: bool
    new: bool  # the new post was among the hits
    error: str = ""


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "ASSISTANT_CORPUS_DIR": str(root / "corpus"),
            "ASSISTANT_INDEX_DIR": str(root / "index"), "ASSISTANT_BACKEND": "extractive",
            "ASSISTANT_CACHE_DIR": str(REPO / ".cache"), "ASSISTANT_PARSE_WORKERS": "1",
            "PYTHONUNBUFFERED": "1"}


def _start(commands: Commands, root: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("w") as fh:
        proc = subprocess.Popen([arg.replace("{port}", str(port)) for arg in commands.serve],
                                env=_env(root), cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    _stop(proc)
    pytest.fail(f"the server did not start:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(15)


class Burst:
    """``WORKERS`` clients searching until the new post was found and ``BURST`` searches
    were made, ``AFTER`` of them since (at most ``CAP``, and ``DEADLINE_S``)."""

    def __init__(self, url: str):
        self.url = url
        self.outcomes: list[Outcome] = []
        self.warm = threading.Event()  # WARMUP searches done
        self.found = threading.Event()
        self._found_by: int | None = None  # searches taken when the new post was found
        self._taken = itertools.count()
        self._lock = threading.Lock()
        self._deadline = time.monotonic() + DEADLINE_S

    def _more(self) -> bool:
        n = next(self._taken)
        if n >= CAP or time.monotonic() > self._deadline:
            return False
        if self.found.is_set() and self._found_by is None:
            self._found_by = n
        return self._found_by is None or n < max(BURST, self._found_by + AFTER)

    def client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while self._more():
                started = time.time()
                try:
                    resp = http.get("/search", params={"q": QUERY, "k": 3})
                    hits = resp.json() if resp.status_code == 200 else []
                    outcome = Outcome(started, time.time(), resp.status_code == 200,
                                      any(h["source"] == "new.txt" for h in hits),
                                      "" if resp.status_code == 200 else resp.text[:200])
                except (httpx.HTTPError, ValueError) as exc:
                    outcome = Outcome(started, time.time(), False, False, repr(exc))
                with self._lock:
                    self.outcomes.append(outcome)
                    if len(self.outcomes) >= WARMUP:
                        self.warm.set()
                if outcome.new:
                    self.found.set()
                time.sleep(PAUSE_S)


def _corpus(root: Path) -> None:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "a.txt").write_text(POST_A)
    (corpus / "b.txt").write_text(POST_B)


def _fake_index(root: Path) -> None:
    subprocess.run(FAKE.index, env=_env(root), cwd=REPO, check=True, timeout=DEADLINE_S)


def _swap_under_load(commands: Commands, root: Path) -> dict[str, float]:
    """Run the scenario; returns its figures (asserting as it goes)."""
    _corpus(root)
    if commands.fake:
        _fake_index(root)
    proc, url = _start(commands, root, root / "server.log")
    try:
        first = httpx.get(url + "/health").json()["index_version"]
        burst = Burst(url)
        with ThreadPoolExecutor(WORKERS) as pool:
            clients = [pool.submit(burst.client) for _ in range(WORKERS)]
            assert burst.warm.wait(DEADLINE_S)
            (root / "corpus" / "new.txt").write_text(NEW_POST)
            subprocess.run(commands.index, env=_env(root), cwd=REPO, check=True,
                           timeout=DEADLINE_S, capture_output=True)
            published_at = (root / "index" / "CURRENT").stat().st_mtime
            for future in clients:
                future.result(DEADLINE_S)
        failed = [o for o in burst.outcomes if not o.ok]
        assert not failed, failed[:3]
        assert burst.found.is_set(), "the server never served the new post"
        served_at = min(o.done_at for o in burst.outcomes if o.new)
        # The burst spans the swap: the first searches ran before the post was written, and
        # once one search had the new version, every search sent after it had it too.
        assert not burst.outcomes[0].new
        assert all(o.new for o in burst.outcomes if o.started_at > served_at)
        second = httpx.get(url + "/health").json()["index_version"]
        assert second != first
        # The server released the version it stopped reading: the next build removes it.
        (root / "corpus" / "later.txt").write_text(NEW_POST.replace("Quokka", "Wombat"))
        subprocess.run(commands.index, env=_env(root), cwd=REPO, check=True,
                       timeout=DEADLINE_S, capture_output=True)
        versions = sorted(p.name for p in (root / "index" / "versions").iterdir())
        assert first not in versions and second in versions and len(versions) == 2
    finally:
        _stop(proc)
    return {"searches": len(burst.outcomes), "failed": len(failed),
            "old": sum(not o.new for o in burst.outcomes),
            "new": sum(o.new for o in burst.outcomes),
            "served_after_publish_s": served_at - published_at}


def test_a_running_server_serves_a_new_version_under_load(tmp_path):
    figures = _swap_under_load(FAKE, tmp_path)
    print(f"\nfresh server (fake embedder): {figures}")


@pytest.mark.slow
def test_the_cli_server_serves_a_cli_index_under_load(tmp_path):
    """The same with ``python -m assistant serve`` and ``python -m assistant index`` and the
    real embedding model."""
    figures = _swap_under_load(CLI, tmp_path)
    print(f"\nfresh server (CLI, real model): {figures}")
