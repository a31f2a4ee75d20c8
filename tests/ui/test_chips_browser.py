"""In Chromium: an implied-filter question shows its chips; removing one asks again without
that filter (the chip goes, a passage outside it appears); a gap answer is marked above the
nearby passages. Screenshots go to ``out_dir()``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.helpers import (
    CHIPS_QUESTION,
    CHROMIUM,
    FakeAssistant,
    browser_page,
    filters_index,
    out_dir,
    real_assistant,
    retriever,
    serve,
)
from tests.ui.test_chips import _Gap

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="needs Debian's chromium (scripts/install_browser.sh)")]


def _ask(page, question: str) -> None:
    page.wait_for_selector("#question textarea", timeout=30_000)
    page.fill("#question textarea", question)
    page.click("#ask-btn")


def test_removing_a_chip_asks_again_without_its_filter(tmp_path):
    pytest.importorskip("playwright")
    from assistant.ui.page import build_app

    settings = filters_index(tmp_path)
    assistant = real_assistant(settings)
    with serve(build_app(assistant, settings), settings) as url, browser_page() as page:
        page.goto(url)
        _ask(page, CHIPS_QUESTION)
        page.wait_for_selector("#chip-dates:has-text('2016 ✕')", timeout=60_000)
        page.wait_for_selector("#chip-kind:has-text('comments only ✕')", timeout=10_000)
        page.wait_for_selector("#chatbot .implied-chip", timeout=10_000)
        assert page.locator("#chip-author").is_hidden()
        assert "pay2014.txt" not in page.inner_text("#sources-html")
        page.screenshot(path=str(out_dir() / "ui_chips.png"))

        page.click("#chip-dates")
        page.wait_for_selector("#chip-dates", state="hidden", timeout=60_000)
        page.wait_for_selector("#sources-html :text('pay2014.txt')", timeout=60_000)
        page.wait_for_selector("#chip-kind:has-text('comments only ✕')", timeout=10_000)
        assert (assistant.calls[-1]["since"], assistant.calls[-1]["until"]) == ("", "")
        assert page.locator("#chatbot .message-row").count() == 2  # the answer replaced
        page.screenshot(path=str(out_dir() / "ui_chip_removed.png"))
        assert page.dialogs == []


class _GapPage(FakeAssistant):
    stream = _Gap.stream


def test_a_gap_answer_is_marked_above_the_nearby_passages(hash_index):
    pytest.importorskip("playwright")
    from assistant.ui.page import build_app

    assistant = _GapPage(retriever(hash_index))
    with serve(build_app(assistant, hash_index), hash_index) as url, browser_page() as page:
        page.goto(url)
        _ask(page, "How much did the nDelius system cost?")
        page.wait_for_selector("#chatbot .gap-badge", timeout=60_000)
        page.wait_for_selector("#sources-html .gap-note", timeout=10_000)
        assert "Nearby passages" in page.inner_text("#sources-html")
        assert "Not in the archive" in page.inner_text("#chatbot")
        page.screenshot(path=str(out_dir() / "ui_gap_answer.png"))
