"""The project's servers as the benchmarks start them: real processes on 127.0.0.1, ready
when their health answers, stopped by their PID.

    with rest_server(settings) as url: ...   # python -m assistant serve (REST, /v1)
    with page_server(settings) as url: ...   # python app.py (the Gradio page and its API)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from benchmarks.common import REPO

__all__ = ["free_port", "loopback_only", "page_server", "rest_server", "server_env", "start",
           "stop"]

START_S = 180  # a cold start loads the embedder (and builds a missing index): seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_only() -> None:
    """Requests to 127.0.0.1 bypass any proxy the environment names (httpx honours them)."""
    os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1",
                                                    "localhost"]))
    os.environ.pop("no_proxy", None)


def server_env(settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a server child runs with: ``settings``' corpus and index folders,
    the extractive backend unless ``extra`` says otherwise, this checkout importable."""
    return {**os.environ, "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
            "ASSISTANT_INDEX_DIR": str(settings.index_dir), "ASSISTANT_BACKEND": "extractive",
            "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(REPO), **(extra or {})}


def start(argv: list[str], port: int, env: Mapping[str, str], log: Path,
          health: str = "/health") -> subprocess.Popen:
    """``argv`` started with ``env``, returned once ``GET health`` on ``port`` answers 200."""
    with log.open("w") as sink:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(argv, cwd=REPO, env=dict(env), stdout=subprocess.DEVNULL,
                                stderr=sink)
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{argv[1:3]} exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{health}", timeout=2,
                         trust_env=False).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"{argv[1:3]} did not answer within {START_S} s:\n"
                       f"{log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server this module started, by its PID: SIGTERM, then SIGKILL after 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _log(name: str, port: int) -> Path:
    return Path(tempfile.gettempdir()) / f"bench_{name}_{port}.log"


@contextmanager
def rest_server(settings, extra_env: Mapping[str, str] | None = None) -> Iterator[str]:
    """``python -m assistant serve`` over ``settings``' index; yields its base URL."""
    port = free_port()
    proc = start([sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1",
                  "--port", str(port)], port, server_env(settings, extra_env),
                 _log("rest", port))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextmanager
def page_server(settings, extra_env: Mapping[str, str] | None = None) -> Iterator[str]:
    """``python app.py`` (the Gradio page) over ``settings``' index; yields its base URL."""
    port = free_port()
    proc = start([sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)], port,
                 server_env(settings, extra_env), _log("page", port), health="/")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
