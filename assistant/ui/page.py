"""The browser chat: the Gradio page over an ``Assistant``, layout and wiring only.

``build_app(assistant, settings)`` returns the ``gr.Blocks``; ``launch_options(settings)``
gives the theme, CSS, script and safety options to pass to ``launch``. The panels are laid
out by ``layout``; what the page shows is written by pure renderers (``render``, ``cards``,
``messages``, ``reports``); what it does by the callbacks of ``chat``, ``archive`` and
``api``; its look lives in ``static/``. Every piece of archive text is HTML-escaped before it
reaches the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import gradio as gr
from fastapi.middleware import Middleware  # FastAPI: installed with Gradio

from assistant.settings import Settings
from assistant.ui.api import PageApi
from assistant.ui.archive import ArchiveHandlers
from assistant.ui.backends import LOCAL, OPENAI, BackendControls, page_choices
from assistant.ui.cards import render_sources
from assistant.ui.chat import ChatHandlers, checked_dates, chip_updates
from assistant.ui.chips import CHIP_SLOTS
from assistant.ui.guard import RequestGuard
from assistant.ui.layout import (
    ArchivePanel,
    ChatPanel,
    Conversation,
    Options,
    SavedPanel,
    SidePanel,
    archive_tab,
    chat_panel,
    header,
    options_panel,
    saved_panel,
    side_panel,
)
from assistant.ui.opener import SCROLL_TO_FOCUS, OpenerHandlers
from assistant.ui.profile import Profile, archive_profile
from assistant.ui.render import esc
from assistant.ui.saved import STORAGE_KEY, SavedChats, browser_secret
from assistant.ui.timeline import TimelineHandlers
from assistant.ui.uploads import max_upload_bytes

__all__ = ["build_app", "launch_options", "static_text"]

# Local fonts only: the page makes no request to a font service.
SYSTEM_FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")
PRIVATE = {"api_visibility": "private"}  # page callbacks are not endpoints (see ``api``)


def static_text(name: str) -> str:
    """A file of ``assistant/ui/static`` (shipped as package data), read when called."""
    return (resources.files("assistant.ui") / "static" / name).read_text(encoding="utf-8")


def launch_options(settings: Settings | None = None) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: look, size limit, auth; no share, no paths."""
    settings = settings or Settings.from_env()
    options: dict[str, Any] = {
        "theme": gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=SYSTEM_FONTS,
                                font_mono=MONO_FONTS),
        "css": static_text("style.css"),
        "head": "".join(f"<script>\n{static_text(name)}</script>\n"
                        for name in ("cite_links.js", "page_events.js")),
        "share": False,
        # Every callback turns its own errors into the page's message (``api``, ``chat``,
        # ``archive``; never a traceback), so what this adds is Gradio's refusal of a
        # malformed call, which was a bare {"error": null}: "didn't receive enough input
        # values (needed: 6, got: 1)", "Cannot move /etc/passwd … not uploaded by a user".
        "show_error": True,
        # Gradio's own routes answer an unknown endpoint, fn_index or event id with a JSON
        # error, not a 500 or a cut-off stream (``guard``).
        "app_kwargs": {"middleware": [Middleware(RequestGuard)]},
        "max_file_size": max_upload_bytes(settings),
        "footer_links": ["api"],
    }
    auth = str(settings.ui_auth or "")
    if auth:
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise ValueError("ui_auth must look like user:password")
        options["auth"] = (user, password)
    return options


# ------------------------------------------------------------------ the wiring

@dataclass(frozen=True)
class _Parts:
    """The page's panels, as the wiring needs them."""

    conv: Conversation
    panel: ChatPanel
    options: Options
    side: SidePanel
    shelf: SavedPanel


def _wire_chat(chat: ChatHandlers, saved: SavedChats, timeline: TimelineHandlers,
               parts: _Parts) -> list:
    """Ask (Enter, the button, an example, a period of the timeline), remove a chip (ask
    again without its filter), Stop; after each answer the chat is saved and its timeline
    drawn. Returns the answering events, for New chat and the sidebar to cancel."""
    conv, panel, options, side, shelf = (parts.conv, parts.panel, parts.options, parts.side,
                                         parts.shelf)
    asked = [panel.box, panel.chatbot, conv.question]
    outputs = [panel.chatbot, side.sources, conv.history, conv.turns, conv.counter,
               panel.export_md, panel.export_txt, *panel.chip_outputs(), conv.asked]
    inputs = [conv.question, panel.chatbot, conv.history, conv.turns, conv.counter,
              *options.controls()]
    keep_inputs = [conv.chat_id, panel.chatbot, conv.history, conv.turns, conv.counter,
                   panel.export_md, conv.asked, conv.saved]
    keep_outputs = [conv.chat_id, conv.saved, shelf.chats, shelf.title, shelf.download]

    def answered(event):
        """The answer, then the chat kept and the subject's timeline drawn."""
        return (event.then(chat.respond, inputs, outputs, **PRIVATE)
                .success(saved.keep, keep_inputs, keep_outputs, **PRIVATE)
                .then(timeline.for_answer, [conv.asked, *options.controls()],
                      [side.timeline, side.timeline_note], **PRIVATE))

    running = [
        answered(panel.box.submit(chat.add_user, [panel.box, panel.chatbot], asked,
                                  queue=False, **PRIVATE)),
        answered(panel.send.click(chat.add_user, [panel.box, panel.chatbot], asked,
                                  queue=False, **PRIVATE)),
        answered(panel.chatbot.example_select(chat.pick_example, [panel.chatbot], asked,
                                              queue=False, **PRIVATE)),
    ]
    period_outputs = [options.since, options.until, panel.chatbot, conv.question]
    running += [
        answered(side.period_button.click(timeline.picked, [side.period, conv.asked, panel.chatbot],
                                   period_outputs, queue=False, **PRIVATE)),
        answered(side.timeline.select(timeline.brushed, [conv.asked, panel.chatbot],
                                      period_outputs, queue=False, **PRIVATE)),
    ]
    lift_inputs = [conv.asked, panel.chatbot, conv.turns, conv.counter, *options.controls()]
    for slot, button in zip(CHIP_SLOTS, panel.filters.chips, strict=True):
        lifted = button.click(chat.lifter(slot), lift_inputs, outputs, **PRIVATE)
        running.append(lifted.success(saved.keep, keep_inputs, keep_outputs, **PRIVATE)
                       .then(timeline.for_answer, [conv.asked, *options.controls()],
                             [side.timeline, side.timeline_note], **PRIVATE))
    panel.stop.click(None, None, None, cancels=running, **PRIVATE)
    return running


def _wire_saved(saved: SavedChats, parts: _Parts, running: list) -> None:
    """The sidebar: reload reopens the newest chat; New, open, rename, delete."""
    conv, panel, side, shelf = parts.conv, parts.panel, parts.side, parts.shelf
    opened = [panel.chatbot, conv.history, conv.turns, conv.counter, side.sources,
              conv.chat_id, shelf.chats, shelf.title, shelf.download]
    cleared = [panel.export_md, panel.export_txt, panel.copied, *panel.chip_outputs(),
               conv.asked, side.timeline, side.timeline_note]

    def clear():
        return ("", "", "", *chip_updates({}), None, gr.update(visible=False), "")

    def then_clear(event):
        return event.then(clear, None, cleared, queue=False, **PRIVATE)

    then_clear(shelf.new.click(saved.new, [conv.saved], opened, cancels=running,
                               queue=False, **PRIVATE))
    then_clear(shelf.chats.input(saved.open, [shelf.chats, conv.saved], opened,
                                 cancels=running, queue=False, **PRIVATE))
    shelf.rename.click(saved.rename, [conv.chat_id, shelf.title, conv.saved],
                       [conv.saved, shelf.chats, shelf.title], queue=False, **PRIVATE)
    shelf.title.submit(saved.rename, [conv.chat_id, shelf.title, conv.saved],
                       [conv.saved, shelf.chats, shelf.title], queue=False, **PRIVATE)
    then_clear(shelf.delete.click(saved.delete, [conv.chat_id, conv.saved],
                                  [conv.saved, *opened], cancels=running, queue=False,
                                  **PRIVATE))


def _wire_sources(opener: OpenerHandlers, conv: Conversation, side: SidePanel) -> None:
    shown = [side.reader, side.reader_box, side.sources, side.timeline_box]
    side.open_button.click(opener.open, [side.open_source, conv.turns], shown,
                           **PRIVATE).then(None, js=SCROLL_TO_FOCUS, **PRIVATE)
    side.back.click(opener.back, None, shown, queue=False, **PRIVATE)


def _wire_dates(options: Options, filters) -> None:
    """A date that is not one, or a From after the To, is said beside the pickers."""
    def check(since, until):
        try:
            checked_dates(since, until)
        except ValueError as exc:
            return gr.update(value=f'<p class="dates-error">{esc(str(exc))}</p>', visible=True)
        return gr.update(value="", visible=False)

    for picker in (options.since, options.until):
        picker.change(check, [options.since, options.until], [filters.dates_note],
                      queue=False, **PRIVATE)


def _copied(label: str):
    def show(text: str):
        if not text:
            gr.Info("Nothing to copy yet: ask a question first.")
            return gr.skip(), gr.skip()
        gr.Info(f"Answer copied as {label}.")
        return text, gr.update(open=True, label=f"Copied answer ({label})")
    return show


def _wire_copies(panel: ChatPanel) -> None:
    """The copy buttons: to the clipboard in the browser (``static/copy.js``), and shown."""
    copy_js = static_text("copy.js")
    for button, text, label in ((panel.copy_md, panel.export_md, "Markdown"),
                                (panel.copy_txt, panel.export_txt, "plain text")):
        button.click(_copied(label), [text], [panel.copied, panel.copied_acc], js=copy_js,
                     queue=False, **PRIVATE)


def _backend_fields_shown(choice: str):
    """Visibility of the GGUF, model and URL fields for a backend choice."""
    return (gr.update(visible=choice == LOCAL), gr.update(visible=choice == OPENAI),
            gr.update(visible=choice == OPENAI))


def _wire_options(chat: ChatHandlers, options: Options, model_line: gr.Markdown) -> None:
    options.backend.change(_backend_fields_shown, [options.backend],
                           [options.gguf, options.model, options.url], queue=False, **PRIVATE)
    for control in (options.backend, options.model, options.url, options.gguf):
        control.change(chat.model_line, options.backend_fields(), [model_line], queue=False,
                       **PRIVATE)


def _wire_archive(archive: ArchiveHandlers, timeline: TimelineHandlers, tab: ArchivePanel,
                  demo: gr.Blocks) -> None:
    chart = [tab.timeline, tab.timeline_note]
    demo.load(timeline.archive, [tab.granularity], chart, **PRIVATE)
    tab.granularity.change(timeline.archive, [tab.granularity], chart, **PRIVATE)
    tab.refresh.click(archive.refresh_stats, None, [tab.stats], **PRIVATE).then(
        timeline.archive, [tab.granularity], chart, **PRIVATE)
    # One re-index at a time: two builds would race for the index's build lock.
    tab.reindex.click(archive.reindex, [tab.files], [tab.report, tab.stats, tab.files],
                      concurrency_limit=1, concurrency_id="reindex", **PRIVATE).then(
        timeline.archive, [tab.granularity], chart, **PRIVATE)


# ------------------------------------------------------------------ the page

def build_app(assistant: Any, settings: Settings | None = None, *,
              profile: Profile | None = None) -> gr.Blocks:
    """The page: chat with sources and options, and an Archive tab, titled and with example
    questions for the archive (``profile``, by default ``archive_profile``). Launch it with
    ``launch_options(settings)``."""
    settings = settings or Settings.from_env()
    profile = profile or archive_profile(assistant, settings)
    title, examples = profile.title, profile.examples
    chat = ChatHandlers(assistant, settings)
    saved = SavedChats(settings)
    timeline = TimelineHandlers(assistant)
    start = BackendControls.from_spec(getattr(assistant, "backend", None) or settings.backend)
    with gr.Blocks(title=title, analytics_enabled=False, fill_width=True) as demo:
        conv = Conversation(gr.State([]), gr.State([]), gr.State(0), gr.State(""),
                            gr.State(None), gr.State(None),
                            gr.BrowserState({"chats": {}}, storage_key=STORAGE_KEY,
                                            secret=browser_secret(settings)))
        model_line = header(title, profile.subtitle, chat.model_line(
            start.choice, start.model, start.url, start.gguf))
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                shelf = saved_panel()
                with gr.Column(scale=6, min_width=420):
                    panel = chat_panel(assistant, examples)
                    options = options_panel(start, page_choices(
                        chat.policy.allowed, chat.policy.allow_user), panel.filters,
                        int(getattr(assistant, "k", 5)))
                with gr.Column(scale=5, min_width=360, elem_id="sources-col"):
                    side = side_panel(render_sources([]))
            with gr.Tab("Archive", id="archive"), gr.Row(equal_height=False):
                archive = archive_tab(assistant, settings)
        parts = _Parts(conv, panel, options, side, shelf)
        running = _wire_chat(chat, saved, timeline, parts)
        _wire_saved(saved, parts, running)
        _wire_sources(OpenerHandlers(assistant), conv, side)
        _wire_dates(options, panel.filters)
        _wire_copies(panel)
        _wire_options(chat, options, model_line)
        _wire_archive(ArchiveHandlers(assistant, settings), timeline, archive, demo)
        demo.load(saved.load, [conv.saved], [panel.chatbot, conv.history, conv.turns,
                                             conv.counter, side.sources, conv.chat_id,
                                             shelf.chats, shelf.title, shelf.download],
                  **PRIVATE)
        PageApi(assistant).register()
    # Direct POSTs to /gradio_api/run/<name> skip the queue (its concurrency limit and size)
    # and answered any error with a 500; refused with a 404 that says to use the queue,
    # as gradio_client and /gradio_api/call/<name> do.
    demo.api_open = False
    return demo
