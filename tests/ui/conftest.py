"""Fixtures for the page's tests: a small index with a post full of markup, and the real
``python app.py`` serving the shipped corpus."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from assistant.embed.fake import FakeEmbedder
from tests.conftest import REPO
from tests.ui.helpers import EVIL, EVIL_IMG, free_port

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture
def hash_index(tmp_path, small_corpus):
    """The small corpus plus a post full of markup, indexed with the fake embedder."""
    from assistant import Settings, build_index

    (small_corpus / "evil.txt").write_text(
        "Friday 7 March 2014\n\nEvil markup " + EVIL_IMG + "\n\n"
        f"This xylophone post quotes {EVIL} and {EVIL_IMG} as plain text. "
        "The xylophone committee met on Friday.\n")
    settings = Settings.from_env(corpus_dir=small_corpus, index_dir=tmp_path / "index",
                                 embedding_model=FakeEmbedder.model_id)
    build_index(small_corpus, settings.index_dir, settings=settings, embedder=FakeEmbedder())
    return settings


@pytest.fixture(scope="module")
def app_url(shipped_index, tmp_path_factory):
    """``python app.py`` serving the shipped corpus on a free port (backend extractive)."""
    log = tmp_path_factory.mktemp("app") / "app.log"
    port = free_port()
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(shipped_index.parent / "corpus"),
           "ASSISTANT_INDEX_DIR": str(shipped_index), "ASSISTANT_BACKEND": "extractive",
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    with log.open("w") as fh:
        proc = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(port)],
                                env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail(f"app.py did not start:\n{log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
