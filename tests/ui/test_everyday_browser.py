"""In Chromium: a chat is kept across a reload (and reopened from the list), a source card
opens its whole thread at the cited passage, and the timeline draws and narrows the search
to a clicked period. Screenshots go to ``out_dir()``."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from assistant.ui.timeline import period_dates
from tests.ui.helpers import (
    CHIPS_QUESTION,
    CHROMIUM,
    browser_page,
    filters_index,
    out_dir,
    real_assistant,
    serve,
    wait_idle,
)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="needs Debian's chromium (scripts/install_browser.sh)")]

QUESTION = "What did readers say about staff pay?"


def _ask(page, question: str) -> None:
    page.wait_for_selector("#question textarea", timeout=30_000)
    page.fill("#question textarea", question)
    page.click("#ask-btn")
    page.wait_for_selector("#sources-html .src-card", timeout=60_000)
    wait_idle(page)


def _app(tmp_path):
    from assistant.ui.page import build_app

    settings = filters_index(tmp_path)
    settings = type(settings).from_env(**{**settings.__dict__, "cache_dir": tmp_path / "cache"})
    return build_app(real_assistant(settings), settings), settings


def test_a_chat_is_kept_across_a_reload_and_reopened_from_the_list(tmp_path):
    pytest.importorskip("playwright")
    demo, settings = _app(tmp_path)
    with serve(demo, settings) as url, browser_page() as page:
        page.goto(url)
        _ask(page, QUESTION)
        page.wait_for_selector("#saved-chats label:has-text('staff pay')", timeout=30_000)
        page.reload()
        page.wait_for_selector("#chatbot :text('staff pay')", timeout=30_000)
        page.wait_for_selector("#sources-html .src-card", timeout=30_000)
        wait_idle(page)  # the page's load events (saved chats, the archive chart) are done
        page.screenshot(path=str(out_dir() / "ui_chat_after_reload.png"))

        page.click("#new-chat")
        page.wait_for_function(
            "() => document.querySelectorAll('#chatbot .message-row').length === 0",
            timeout=30_000)
        _ask(page, CHIPS_QUESTION)
        page.wait_for_function(
            "() => document.querySelectorAll('#saved-chats label').length === 2",
            timeout=30_000)
        labels = page.locator("#saved-chats label")  # newest first
        assert labels.nth(0).inner_text().startswith("In 2016, what did readers say")
        assert labels.nth(1).inner_text().startswith("What did readers say about staff pay")
        labels.nth(1).click()
        page.wait_for_function(
            "() => !document.querySelector('#chatbot')?.innerText.includes('In 2016')",
            timeout=30_000)
        assert "What did readers say about staff pay?" in page.inner_text("#chatbot")
        assert page.locator("#chatbot .message-row").count() == 2
        page.screenshot(path=str(out_dir() / "ui_saved_chats.png"))
        assert page.dialogs == []


def test_a_source_opens_its_thread_at_the_cited_passage(tmp_path):
    pytest.importorskip("playwright")
    demo, settings = _app(tmp_path)
    with serve(demo, settings) as url, browser_page() as page:
        page.goto(url)
        _ask(page, QUESTION)
        page.locator("#sources-html button.read-post").first.click()
        page.wait_for_selector("#reader-html .reader", timeout=30_000)
        page.wait_for_selector("#reader-focus", timeout=10_000)
        assert page.locator("#sources-html").is_hidden()
        assert page.locator("#reader-html .reader-comment").count() >= 1
        page.screenshot(path=str(out_dir() / "ui_reader.png"))
        page.click("#reader-back")
        page.wait_for_selector("#sources-html .src-card", timeout=10_000)


def test_the_timeline_draws_and_a_clicked_period_narrows_the_search(tmp_path):
    pytest.importorskip("playwright")
    demo, settings = _app(tmp_path)
    with serve(demo, settings) as url, browser_page() as page:
        page.goto(url)
        _ask(page, QUESTION)
        tallest = """() => {  // the period of the tallest bar drawn (Vega labels each one)
          let best = null;
          for (const bar of document.querySelectorAll("#timeline svg path[aria-label]")) {
            const m = bar.getAttribute("aria-label").match(/period: ([0-9-]+)/);
            const h = bar.getBoundingClientRect().height;
            if (m && h > 0 && (!best || h > best.h)) best = {period: m[1], h};
          }
          return best && best.period;
        }"""
        page.wait_for_function(tallest, timeout=30_000)
        assert "When this came up" in page.inner_text("#timeline-note")
        page.screenshot(path=str(out_dir() / "ui_timeline.png"))
        period = page.evaluate(tallest)
        since, until = period_dates(period)
        page.locator(f"#timeline svg path[aria-label*='period: {period};']").last.click(
            force=True)
        page.wait_for_function(
            f"() => document.querySelector('#since input')?.value?.startsWith('{since}')",
            timeout=30_000)
        assert page.input_value("#until input").startswith(until)
        page.wait_for_function(  # the question asked again: a second turn
            "() => document.querySelectorAll('#chatbot .message-row').length === 4",
            timeout=60_000)
        wait_idle(page)
        shown = re.findall(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}\b", page.inner_text("#sources-html"))
        dates = [datetime.strptime(d, "%d %b %Y").date().isoformat() for d in shown]
        assert dates and all(since <= d <= until for d in dates), (period, dates)
        # the period holds a passage that answers: asked again, it is answered again
        last = page.locator("#chatbot .message-row").last.inner_text()
        assert "The archive doesn't say" not in last, last
        page.screenshot(path=str(out_dir() / "ui_timeline_narrowed.png"))


def test_the_archive_tab_charts_the_whole_archive_per_year_and_month(tmp_path):
    pytest.importorskip("playwright")
    demo, settings = _app(tmp_path)
    with serve(demo, settings) as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("tab", name="Archive").click()
        page.wait_for_selector("#archive-timeline svg path[aria-label*='period: 2014;']",
                               timeout=30_000)
        note = page.inner_text("#archive-timeline-note")
        assert re.search(r"\d+ posts? and \d+ comments?, per year", note), note
        page.screenshot(path=str(out_dir() / "ui_archive_timeline.png"))
        page.locator("#archive-granularity label").filter(has_text="Month").click()
        page.wait_for_selector("#archive-timeline svg path[aria-label*='period: 2014-03;']",
                               timeout=30_000)
        assert "per month" in page.inner_text("#archive-timeline-note")
