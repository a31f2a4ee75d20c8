"""The browser chat: rendering and escaping, uploads, the served API, and a real browser."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from assistant.records import Answer, Citation, Hit
from assistant.ui.page import (
    _Handlers,
    _Turn,
    answer_markdown,
    answer_plain,
    backend_spec,
    launch_options,
    render_answer,
    render_sources,
    safe_filename,
    save_upload,
)

from .conftest import DEV_SET, REPO, HashEmbedder
from .ui_helpers import CHROMIUM, FakeAssistant, browser_page, free_port, out_dir, serve

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

EVIL = "<script>alert(1)</script>"
EVIL_IMG = "<img src=x onerror=alert(1)>"


def _hit(text="Napo says pay has been frozen for six years.", title="Pay Freeze", n=1,
         kind="post", author=None, number=None):
    return Hit(text=text, score=1.0 / n, source=f"file{n}.txt", title=title,
               date=date(2014, 3, 3), kind=kind, author=author, chunk_id=f"c{n}",
               comment_number=number, dense_score=0.8)


def _answer(hits, text="Pay was frozen for six years [1].", refused=False, supported=True,
            unsupported=()):
    citations = () if refused else (Citation(1, hits[0], "frozen for six years", supported),)
    return Answer("q", text, refused, citations, tuple(hits), "q", "extractive",
                  unsupported=tuple(unsupported))


# ---------------------------------------------------------------- rendering (fast)

def test_answer_text_is_escaped_and_markers_link_to_cards():
    md = render_answer(f"Quote {EVIL} and {EVIL_IMG} [1] [7] *bold*", 2, turn=3,
                       titles=["T<1>", "T2"])
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;" in md and "&lt;img" in md
    assert 'href="#src-3-1"' in md and 'title="Source 1: T&lt;1&gt;"' in md
    assert "#src-3-7" not in md and "\\[7\\]" in md  # not a passage: left as text
    assert "\\*bold\\*" in md


def test_unsupported_sentence_is_marked():
    text = "Pay was frozen [1]. The moon is cheese [2]. [unverified] Napo agreed [1]."
    md = render_answer(text, 2)
    assert md.count('<span class="unsupported"') == 1 and "[unverified]" not in md
    start = md.index('<span class="unsupported"')
    assert md.index("Pay was frozen") < start < md.index("The moon") < md.index("</span>") \
        < md.index("Napo agreed")


def test_source_cards_escape_everything_and_highlight_the_quote():
    hits = [_hit(text=f"Before {EVIL} frozen for six years after {EVIL_IMG}",
                 title=f"Evil {EVIL_IMG}"),
            _hit(n=2, kind="comment", author="Getafix<b>", number="3")]
    turn = _Turn(1, f"question {EVIL}", tuple(hits), {1: ["frozen for six years"]}, {1},
                 set(), False, True)
    page = render_sources([turn])
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<mark>frozen for six years</mark>" in page
    assert 'id="src-1-1"' in page and 'id="src-1-2"' in page
    assert "Reader comment #3 by Getafix&lt;b&gt;" in page and "14" in page
    assert "Sources" in page and "file1.txt" in page


def test_refusal_shows_closest_matches():
    hits = [_hit(), _hit(n=2)]
    answer = _answer(hits, "The archive does not say.", refused=True)
    turn = _Turn(1, "shortbread?", tuple(hits), refused=True, done=True)
    assert "Closest matches" in render_sources([turn])
    plain = answer_plain(answer)
    assert plain.startswith("The archive does not say.") and "Closest matches:" in plain


def test_copy_formats_carry_references():
    hits = [_hit(kind="comment", author="Getafix", number="2")]
    answer = _answer(hits)
    plain, md = answer_plain(answer), answer_markdown(answer)
    assert "References:\n[1] Pay Freeze — 3 Mar 2014 — Reader comment #2 by Getafix" in plain
    assert '"frozen for six years"' in plain
    assert "**References**" in md and "1. *Pay Freeze*" in md and "> frozen for six years" in md


def test_backend_spec_from_controls():
    assert backend_spec("Extractive") == "extractive"
    assert backend_spec("Local model") == "llamacpp"
    assert backend_spec("Local model", gguf="/m/x.gguf") == "llamacpp:/m/x.gguf"
    assert backend_spec("OpenAI-compatible", "llama3", "http://127.0.0.1:11434/v1") == \
        "openai:llama3@http://127.0.0.1:11434/v1"
    with pytest.raises(ValueError, match="model name"):
        backend_spec("OpenAI-compatible", "", "http://x")


def test_launch_options_are_safe(monkeypatch):
    from assistant.settings import Settings

    options = launch_options(Settings())
    assert options["share"] is False and "allowed_paths" not in options
    assert "auth" not in options and options["max_file_size"] > 0

    options = launch_options(Settings(ui_auth="ann:secret", max_upload_mb=1))
    assert options["auth"] == ("ann", "secret") and options["max_file_size"] == 1024 * 1024


# ---------------------------------------------------------------- uploads (fast)

@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\boot.ini.md", "boot_ini.md"),
    (".hidden.html", "hidden.html"),
    ("My Post (final).HTML", "My_Post_final.html"),
    ("résumé.txt", "resume.txt"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_uploads_stay_inside_the_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    src = tmp_path / "src.txt"
    src.write_text("Monday 3 March 2014\n\nTitle\n\nBody text.\n")
    saved = save_upload(src, "../../../outside.txt", corpus, 1000)
    assert saved.saved_as == "uploads/outside.txt"
    assert (corpus / "uploads" / "outside.txt").read_text() == src.read_text()
    assert not (tmp_path / "outside.txt").exists()
    again = save_upload(src, "outside.txt", corpus, 1000)
    assert again.saved_as is None and "already in the archive" in again.reason
    src.write_text("Different text")
    assert save_upload(src, "outside.txt", corpus, 1000).saved_as == "uploads/outside-1.txt"
    assert "unsupported type .exe" in save_upload(src, "x.exe", corpus, 1000).reason
    assert "too large" in save_upload(src, "big.txt", corpus, 3).reason
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == \
        ["outside-1.txt", "outside.txt"]


# ---------------------------------------------------------------- handlers (fast)

@pytest.fixture
def hash_index(tmp_path, small_corpus):
    """The small corpus plus a post full of markup, indexed with the hashing embedder."""
    from assistant import Settings, build_index

    (small_corpus / "evil.txt").write_text(
        "Friday 7 March 2014\n\nEvil markup " + EVIL_IMG + "\n\n"
        f"This xylophone post quotes {EVIL} and {EVIL_IMG} as plain text. "
        "The xylophone committee met on Friday.\n")
    settings = Settings.from_env(corpus_dir=small_corpus, index_dir=tmp_path / "index",
                                 embedding_model=HashEmbedder.model_id)
    build_index(small_corpus, settings.index_dir, settings=settings, embedder=HashEmbedder())
    return settings


def _retriever(settings):
    from assistant.index.build import IndexStore
    from assistant.search.retriever import Retriever

    return Retriever(IndexStore.open(settings.index_dir), HashEmbedder())


def _run(handlers, question, history=(), **overrides):
    controls = {"k": 3, "since": "", "until": "", "kind": "Both", "author": "",
                "choice": "Extractive", "model": "", "url": "", "gguf": ""} | overrides
    return list(handlers.respond(question, [{"role": "user", "content": question}],
                                 list(history), [], 0, *controls.values()))


def test_stream_fills_sources_before_text(hash_index):
    fake = FakeAssistant(_retriever(hash_index), min_score=0.0)
    steps = _run(_Handlers(fake, hash_index), "Will Napo ballot over pay?", kind="Comments")
    sources_at = next(i for i, s in enumerate(steps) if isinstance(s[1], str)
                      and "src-card" in s[1])
    text_at = next(i for i, s in enumerate(steps) if "href=\"#src-1-1\"" in
                   s[0][-1]["content"])
    assert sources_at < text_at
    _, _, history, turns, counter, md, plain = steps[-1]
    assert counter == 1 and turns[0].done
    assert history[0]["content"] == "Will Napo ballot over pay?"
    assert fake.calls[0]["kind"] == "comment" and fake.calls[0]["k"] == 3
    assert "[1]" in plain and "References" in md
    # a follow-up carries the conversation
    _run(_Handlers(fake, hash_index), "And when?", history)
    assert fake.calls[-1]["history"] == history


def test_errors_are_messages_not_tracebacks(hash_index):
    from assistant.llm.base import BackendUnavailable

    fake = FakeAssistant(_retriever(hash_index))
    handlers = _Handlers(fake, hash_index)
    fake.fail_with = BackendUnavailable(
        "Cannot reach the model server at http://127.0.0.1:9/v1: is it running?")
    message = _run(handlers, "pay?")[-1][0][-1]["content"]
    assert "Could not answer" in message and "http://127.0.0.1:9/v1" in message
    fake.fail_with = KeyError("boom")
    message = _run(handlers, "pay?")[-1][0][-1]["content"]
    assert "Something went wrong (KeyError)" in message and "Traceback" not in message
    fake.fail_with = None
    message = _run(handlers, "pay?", choice="OpenAI-compatible")[-1][0][-1]["content"]
    assert "Enter the model name" in message


def test_reindex_reports_each_file(hash_index, tmp_path, monkeypatch):
    import assistant.ui.page as ui
    from assistant.index.build import build_index

    fake = FakeAssistant(_retriever(hash_index))
    handlers = _Handlers(fake, hash_index)
    real_build = build_index

    def build_with_hash(*args, **kwargs):
        kwargs["embedder"] = HashEmbedder()
        return real_build(*args, **kwargs)

    monkeypatch.setattr("assistant.index.build.build_index", build_with_hash)
    monkeypatch.setattr(type(fake.retriever), "open", classmethod(
        lambda cls, index_dir, settings=None, embedder=None: _retriever(hash_index)))
    good = tmp_path / "zebra.md"
    good.write_text("# Zebra crossings\n\nThe zebra crossing outside the office was repainted.")
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ")
    report, stats, _ = handlers.reindex([str(good), str(bad)], progress=lambda *a, **k: None)
    assert "uploads/zebra.md" in report and "added" in report
    assert "tool.exe" in report and "unsupported type" in report
    assert (hash_index.corpus_dir / "uploads" / "zebra.md").exists()
    assert fake.retriever.search("zebra crossing repainted", k=1)[0].source == "uploads/zebra.md"
    assert "posts" in stats and ui._stats_html(fake).count("stat") >= 4


# ---------------------------------------------------------------- the served app

def _dev(question_id):
    for line in DEV_SET.read_text().splitlines():
        row = json.loads(line)
        if row["id"] == question_id:
            return row
    raise KeyError(question_id)


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


@pytest.mark.slow
@pytest.mark.server
def test_api_chat_search_and_refusal(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    row = _dev("d12")
    gold = Path(row["gold"][0]["source"]).name
    text = client.predict(row["question"], api_name="/chat")
    assert isinstance(text, str) and re.search(r"\[\d+\]", text), text
    refs = text.split("References:", 1)[1]
    assert gold in refs, text
    assert any(k.lower() in text.lower() for k in row["answer_keywords"][0].split("|"))

    hits = client.predict("Purple Futures Interserve", api_name="/search")
    assert isinstance(hits, list) and hits and {"text", "title", "source"} <= set(hits[0])
    assert any(h["source"].endswith(gold) for h in hits)

    refused = client.predict(_dev("d13")["question"], api_name="/ask")
    assert refused["refused"] is True and refused["citations"] == []
    text = client.predict(_dev("d13")["question"], api_name="/chat")
    assert "Closest matches:" in text or "References:" not in text


@pytest.mark.slow
@pytest.mark.server
def test_server_serves_no_files_outside_its_assets(app_url):
    for path in ("gradio_api/file=/etc/passwd", "file=/etc/passwd",
                 f"gradio_api/file={REPO / 'app.py'}"):
        try:
            with urllib.request.urlopen(app_url + path, timeout=5) as resp:
                body = resp.read()
            assert b"root:" not in body and b"def main" not in body, path
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404), path


needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason="needs Debian's chromium (scripts/install_browser.sh)")


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_browser_asks_and_shows_the_source_card(app_url):
    pytest.importorskip("playwright")
    row = _dev("d12")
    with browser_page() as page:
        page.goto(app_url)
        page.wait_for_selector("#question textarea", timeout=30_000)
        page.screenshot(path=str(out_dir() / "ui_start.png"))
        page.fill("#question textarea", row["question"])
        page.click("#ask-btn")
        page.wait_for_selector("#sources-html .src-card", timeout=60_000)
        page.wait_for_selector("#chatbot a.cite", timeout=60_000)
        page.wait_for_selector(".src-card.cited", timeout=60_000)
        cards = page.locator("#sources-html .src-card")
        assert cards.count() >= 1
        files = page.locator(".src-card.cited .src-file").all_inner_texts()
        assert any(Path(row["gold"][0]["source"]).name in f for f in files), files
        assert page.locator(".src-card.cited mark").count() >= 1
        page.locator("#chatbot a.cite").first.click()
        page.wait_for_selector(".src-card.flash", timeout=5_000)
        page.screenshot(path=str(out_dir() / "ui_answer.png"))

        page.fill("#question textarea", _dev("d13")["question"])
        page.click("#ask-btn")
        page.wait_for_selector("#sources-html h3:has-text('Closest matches')",
                               timeout=60_000)
        page.screenshot(path=str(out_dir() / "ui_refused.png"))
        page.click("#copy-txt")
        page.wait_for_selector("#copied textarea", timeout=5_000)
        page.click("#new-chat")
        page.wait_for_function(
            "() => !document.querySelector('#chatbot .message-row')", timeout=10_000)
        page.locator("#chatbot button.example").first.click()  # an example question
        page.wait_for_selector("#sources-html h3:has-text('Sources')", timeout=60_000)
        page.wait_for_selector("#chatbot a.cite", timeout=60_000)
        assert page.dialogs == []


@pytest.mark.browser
@needs_chromium
def test_browser_renders_markup_as_text_and_uploads_posts(hash_index, tmp_path):
    pytest.importorskip("playwright")
    from assistant.ui.page import build_app

    assistant = FakeAssistant(_retriever(hash_index), min_score=0.0)
    with serve(build_app(assistant, hash_index), hash_index) as url, browser_page() as page:
        page.goto(url)
        page.wait_for_selector("#question textarea", timeout=30_000)
        page.fill("#question textarea", f"which xylophone post quotes {EVIL_IMG}?")
        page.keyboard.press("Enter")
        page.wait_for_selector("#sources-html .src-card", timeout=30_000)
        page.wait_for_selector("#chatbot a.cite", timeout=30_000)
        time.sleep(0.5)
        page.screenshot(path=str(out_dir() / "ui_markup_as_text.png"))
        assert page.dialogs == []
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("#sources-html script, #chatbot script").count() == 0
        cards = page.inner_text("#sources-html")
        assert EVIL in cards and EVIL_IMG in cards
        chat = page.inner_text("#chatbot")
        assert EVIL in chat and f"which xylophone post quotes {EVIL_IMG}?" in chat

        # Archive tab: upload a post (with a hostile name) and re-index.
        upload = tmp_path / "up" / "..zebra notes.md"
        upload.parent.mkdir()
        upload.write_text("# Zebra crossings\n\nThe zebra crossing outside the office was "
                          "repainted.\n")
        page.click("button[role=tab][data-tab-id=archive]")
        page.wait_for_selector("#stats-html .stat", timeout=10_000)
        page.set_input_files("#upload input[type=file]", str(upload))
        page.wait_for_selector("#upload :text('zebra')", timeout=10_000)
        page.click("#reindex-btn")
        page.wait_for_selector("#report-html table", timeout=60_000)
        report = page.inner_text("#report-html")
        assert "uploads/zebra_notes.md" in report and "added" in report, report
        assert (hash_index.corpus_dir / "uploads" / "zebra_notes.md").is_file()
        page.screenshot(path=str(out_dir() / "ui_archive_upload.png"))
        assert assistant.retriever.search("zebra crossing", k=1)[0].source == \
            "uploads/zebra_notes.md"
