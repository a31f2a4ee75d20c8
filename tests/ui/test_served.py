"""The page served for real: ``python app.py`` answering through ``gradio_client``, serving
no files, and a headless Chromium asking, following citations and uploading posts."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DEV_SET, REPO
from tests.ui.helpers import (
    CHROMIUM,
    EVIL,
    EVIL_IMG,
    FakeAssistant,
    browser_page,
    out_dir,
    retriever,
    serve,
)


def _dev(question_id):
    if not DEV_SET.exists():
        pytest.skip(f"{DEV_SET} not present (../shared is beside the repository in CI)")
    for line in DEV_SET.read_text().splitlines():
        row = json.loads(line)
        if row["id"] == question_id:
            return row
    raise KeyError(question_id)


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

    assistant = FakeAssistant(retriever(hash_index), min_score=0.0)
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
