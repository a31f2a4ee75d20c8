"""Helpers for the UI tests: records to render, a scripted assistant, a served page, a
headless browser."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from assistant.answer.assistant import Assistant
from assistant.records import (
    Answer,
    AnswerEvent,
    Citation,
    Hit,
    NoticeEvent,
    SourcesEvent,
    TextDelta,
)

__all__ = [
    "CHIPS_QUESTION",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "EVIL",
    "EVIL_IMG",
    "FakeAssistant",
    "answer_of",
    "browser_page",
    "filters_index",
    "free_port",
    "hit",
    "out_dir",
    "real_assistant",
    "retriever",
    "serve",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic"]


EVIL = "<script>alert(1)</script>"
EVIL_IMG = "<img src=x onerror=alert(1)>"


def hit(text="Napo says pay has been frozen for six years.", title="Pay Freeze", n=1,
        kind="post", author=None, number=None, url=None):
    """Passage ``n`` of a made-up answer (file ``file<n>.txt``, 3 March 2014)."""
    return Hit(text=text, score=1.0 / n, source=f"file{n}.txt", title=title,
               date=date(2014, 3, 3), kind=kind, author=author, chunk_id=f"c{n}",
               comment_number=number, dense_score=0.8, url=url)


def answer_of(hits, text="Pay was frozen for six years [1].", refused=False, supported=True,
              unsupported=()):
    """An extractive answer citing the first passage (none when ``refused``)."""
    citations = () if refused else (Citation(1, hits[0], "frozen for six years", supported),)
    return Answer("q", text, refused, citations, tuple(hits), "q", "extractive",
                  unsupported=tuple(unsupported))


PAY_2014 = """Monday 3 March 2014

Pay Freeze Bites

Napo members say the pay freeze has bitten hard. The union wants a pay rise for staff.

2 comments:

  1. Staff pay has been frozen for four years and morale is low.
    Getafix3 March 2014 at 10:15

    ReplyDelete
  2. The pay freeze is why I am leaving probation.
    papa3 March 2014 at 11:20

    ReplyDelete
"""

PAY_2016 = """Tuesday 7 June 2016

Pay Talks Stall

The employers offered one per cent and the union said the pay offer was not enough.

2 comments:

  1. One per cent is an insult to staff who have had six years of frozen pay.
    Getafix7 June 2016 at 09:05

    ReplyDelete
  2. Readers should remember pay talks stalled in 2014 too.
    FranK7 June 2016 at 12:40

    ReplyDelete
"""

# Implies 2016 and comments: its chips are "2016 ✕" and "comments only ✕"
CHIPS_QUESTION = "In 2016, what did readers say about staff pay?"


def filters_index(root: Path):
    """Settings of a small index (fake embedder) whose posts and comments about pay are
    dated 2014 and 2016: a question implying a year or comments finds a different passage
    once the filter is lifted."""
    from assistant import Settings, build_index
    from assistant.embed.fake import FakeEmbedder

    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "pay2014.txt").write_text(PAY_2014)
    (corpus / "pay2016.txt").write_text(PAY_2016)
    settings = Settings.from_env(corpus_dir=corpus, index_dir=root / "index",
                                 embedding_model=FakeEmbedder.model_id, backend="extractive")
    build_index(corpus, settings.index_dir, settings=settings, embedder=FakeEmbedder())
    return settings


def real_assistant(settings):
    """The real ``Assistant`` (extractive) over ``settings``' index with the fake embedder;
    its ``calls`` record each question's options."""
    from assistant.answer.assistant import Assistant

    class Recording(Assistant):
        calls: list

        def stream(self, question, history=None, **options):
            self.calls.append({"question": question, "history": list(history or []),
                               **options})
            return super().stream(question, history, **options)

    assistant = Recording(retriever(settings), backend="extractive", settings=settings)
    assistant.calls = []
    return assistant


def retriever(settings):
    """A ``Retriever`` over ``settings.index_dir`` with the package's fake embedder."""
    from assistant.embed.fake import FakeEmbedder
    from assistant.index import IndexStore
    from assistant.search.retriever import Retriever

    return Retriever(IndexStore.open(settings.index_dir), FakeEmbedder())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class FakeAssistant:
    """The ``Assistant.stream`` contract over a real ``Retriever``: quotes the best sentence
    of the top passage, refuses below ``min_score``, records what it was asked."""

    retriever: object
    backend: str = "extractive"
    k: int = 5
    min_score: float = 0.35
    notice: str | None = None
    fail_with: Exception | None = None
    calls: list[dict] = field(default_factory=list)

    def stream(self, question: str, history: list[dict] | None = None, **options):
        self.calls.append({"question": question, "history": list(history or []), **options})
        if self.fail_with is not None:
            raise self.fail_with
        search = {k: v for k, v in options.items() if k in ("k", "since", "until", "kind",
                                                           "author")}
        search.setdefault("k", self.k)
        hits = tuple(self.retriever.search(question, **search))
        yield SourcesEvent(hits, question)
        if self.notice:
            yield NoticeEvent(self.notice)
        words = set(re.findall(r"\w+", question.lower()))
        if not hits or hits[0].dense_score < self.min_score:
            text = "The archive does not say."
            yield TextDelta(text)
            yield AnswerEvent(Answer(question, text, True, (), hits, question, self.backend))
            return
        sentences = re.split(r"(?<=[.!?])\s+", hits[0].text)
        best = max(sentences, key=lambda s: len(words & set(re.findall(r"\w+", s.lower()))))
        text = f"{best.strip()} [1]"
        for piece in re.findall(r"\S+\s*", text):
            yield TextDelta(piece)
        citation = Citation(1, hits[0], best.strip(), True)
        yield AnswerEvent(Answer(question, text, False, (citation,), hits, question,
                                 self.backend))

    ask = Assistant.ask  # consumes ``stream`` only, so the real one serves the fake too
    backend_name = Assistant.backend_name  # reads ``backend`` only


@contextlib.contextmanager
def serve(demo, settings=None, concurrency: int = 4) -> Iterator[str]:
    """Launch ``demo`` on a free 127.0.0.1 port in this process; yield its URL."""
    from assistant.ui.page import launch_options

    options = launch_options(settings)
    demo.queue(default_concurrency_limit=concurrency)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(),
                            prevent_thread_lock=True, quiet=True, **options)
    try:
        yield url.rstrip("/") + "/"
    finally:
        demo.close()


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 950):
    """A Playwright page in Debian's headless Chromium; records dialogs in ``page.dialogs``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.dialogs = []

            def on_dialog(dialog):
                page.dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            yield page
        finally:
            browser.close()


def wait_idle(page, timeout: float = 60.0) -> None:
    """Wait until the chat has finished streaming (no pending indicator, Ask enabled)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = page.evaluate(
            "() => !!document.querySelector('#chatbot .pending, .generating, "
            "#chatbot [aria-busy=\"true\"]')")
        if not busy:
            return
        time.sleep(0.2)


def out_dir() -> Path:
    path = Path(__file__).resolve().parents[2] / "test-output"
    path.mkdir(exist_ok=True)
    return path
