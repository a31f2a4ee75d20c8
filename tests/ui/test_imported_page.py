"""The page on an imported export, in headless Chromium: the export's own title, examples
from its most discussed post, a reply's card saying whom it answers and linking out to the
comment's permalink in a new tab, and the Archive tab's counts per source."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.ingest.test_wxr import comment, item, wxr
from tests.ui.helpers import CHROMIUM, browser_page, out_dir, real_assistant, serve

SITE = "https://fernhill.example"


@pytest.fixture
def imported(tmp_path):
    from assistant import Settings, build_index
    from assistant.embed.fake import FakeEmbedder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    thread = (comment(1, author="Rowan", text="Which leek variety survives the frost here?")
              + comment(2, parent=1, author="Ivy Moss",
                        text="Musselburgh leeks survive every frost on plot nine.")
              + comment(3, author="Sam", text="The water butts overflowed in March."))
    (corpus / "fernhill.xml").write_text(wxr(
        item(1, title="Leeks on plot nine", body="<p>Leeks went in on Sunday.</p>",
             comments=thread),
        item(2, title="The shed roof", body="<p>The shed roof leaks again.</p>",
             comments=comment(4, author="Rowan", text="Felt it before winter.")),
        item(3, title="Secret plans", body="<p>Not for readers.</p>", password="pw"),
    ))
    settings = Settings.from_env({}, corpus_dir=corpus, index_dir=tmp_path / "index",
                                 embedding_model=FakeEmbedder.model_id, backend="extractive")
    build_index(corpus, settings.index_dir, settings=settings, embedder=FakeEmbedder())
    return settings


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason="needs Debian's chromium (scripts/install_browser.sh)")
def test_the_page_fits_an_imported_blog_and_links_out_to_its_comments(imported):
    pytest.importorskip("playwright")
    from assistant.ui.page import build_app

    assistant = real_assistant(imported)
    with serve(build_app(assistant, imported), imported) as url, browser_page() as page:
        page.goto(url)
        page.wait_for_selector("#question textarea", timeout=30_000)
        assert page.inner_text("#app-header h1") == "Fernhill Allotment"
        body = page.inner_text("body")
        assert "What did readers say about “Leeks on plot nine”?" in body
        assert "probation" not in body.lower()
        page.fill("#question textarea", "Which leeks survive the frost on plot nine?")
        page.keyboard.press("Enter")
        page.wait_for_selector("#sources-html .src-card", timeout=30_000)
        page.wait_for_selector("#chatbot a.cite", timeout=30_000)
        time.sleep(0.5)
        page.screenshot(path=str(out_dir() / "ui_imported_reply.png"), full_page=True)
        reply = page.locator("#sources-html .src-card",
                             has_text="replying to Rowan").first
        assert "Reader comment #1.1 by Ivy Moss, replying to Rowan" in reply.inner_text()
        link = reply.locator(".src-file a")
        assert link.get_attribute("href") == f"{SITE}/post-1/#comment-2"
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert link.inner_text() == "Open the comment on fernhill.example ↗"
        assert "Secret plans" not in page.inner_text("#sources-html")

        page.click("button[role=tab][data-tab-id=archive]")
        page.wait_for_selector("#stats-html table.sources", timeout=10_000)
        stats = page.inner_text("#stats-html")
        assert "fernhill.xml" in stats and "password 1" in stats, stats
        page.screenshot(path=str(out_dir() / "ui_imported_archive.png"), full_page=True)
        assert page.dialogs == []
