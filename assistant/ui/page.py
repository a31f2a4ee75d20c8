"""The browser chat: the Gradio page over an ``Assistant``, layout and wiring only.

``build_app(assistant, settings)`` returns the ``gr.Blocks``; ``launch_options(settings)``
gives the theme, CSS, script and safety options to pass to ``launch``. The panels are laid
out by ``layout``; what the page shows is written by pure renderers (``render``, ``cards``,
``messages``, ``reports``); what it does by the callbacks of ``chat``, ``archive`` and
``api``; its look lives in ``static/``. Every piece of archive text is HTML-escaped before it
reaches the page.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import gradio as gr
from fastapi.middleware import Middleware  # FastAPI: installed with Gradio

from assistant.settings import Settings
from assistant.ui.api import PageApi
from assistant.ui.archive import ArchiveHandlers
from assistant.ui.backends import LOCAL, OPENAI, BackendControls, page_choices
from assistant.ui.cards import render_sources
from assistant.ui.chat import ChatHandlers
from assistant.ui.chips import CHIP_SLOTS
from assistant.ui.guard import RequestGuard
from assistant.ui.layout import (
    ArchivePanel,
    ChatPanel,
    Conversation,
    Options,
    archive_tab,
    chat_panel,
    header,
    options_panel,
)
from assistant.ui.profile import Profile, archive_profile
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
        "head": f"<script>\n{static_text('cite_links.js')}</script>\n",
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

def _wire_chat(chat: ChatHandlers, conv: Conversation, panel: ChatPanel, options: Options,
               sources: gr.HTML) -> None:
    """Ask (Enter, the button, an example), remove a chip (ask again without its filter),
    Stop, and New chat."""
    asked = [panel.box, panel.chatbot, conv.question]
    outputs = [panel.chatbot, sources, conv.history, conv.turns, conv.counter,
               panel.export_md, panel.export_txt, *panel.chip_outputs(), conv.asked]
    inputs = [conv.question, panel.chatbot, conv.history, conv.turns, conv.counter,
              *options.controls()]

    def answer_after(event):  # the question shows at once (no queue), then the answer streams
        return event.then(chat.respond, inputs, outputs, **PRIVATE)

    running = [
        answer_after(panel.box.submit(chat.add_user, [panel.box, panel.chatbot], asked,
                                      queue=False, **PRIVATE)),
        answer_after(panel.send.click(chat.add_user, [panel.box, panel.chatbot], asked,
                                      queue=False, **PRIVATE)),
        answer_after(panel.chatbot.example_select(chat.pick_example, [panel.chatbot], asked,
                                                  queue=False, **PRIVATE)),
    ]
    lift_inputs = [conv.asked, panel.chatbot, conv.turns, conv.counter, *options.controls()]
    running += [button.click(chat.lifter(slot), lift_inputs, outputs, **PRIVATE)
                for slot, button in zip(CHIP_SLOTS, panel.chips, strict=True)]
    panel.stop.click(None, None, None, cancels=running, **PRIVATE)
    panel.new.click(chat.new_chat, None,
                    [panel.chatbot, conv.history, conv.turns, conv.counter, sources,
                     panel.export_md, panel.export_txt, panel.copied, *panel.chip_outputs(),
                     conv.asked],
                    cancels=running, queue=False, **PRIVATE)


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


def _wire_archive(archive: ArchiveHandlers, tab: ArchivePanel) -> None:
    tab.refresh.click(archive.refresh_stats, None, [tab.stats], **PRIVATE)
    # One re-index at a time: two builds would race for the index's build lock.
    tab.reindex.click(archive.reindex, [tab.files], [tab.report, tab.stats, tab.files],
                      concurrency_limit=1, concurrency_id="reindex", **PRIVATE)


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
    start = BackendControls.from_spec(getattr(assistant, "backend", None) or settings.backend)
    with gr.Blocks(title=title, analytics_enabled=False, fill_width=True) as demo:
        conv = Conversation(gr.State([]), gr.State([]), gr.State(0), gr.State(""),
                            gr.State(None))
        model_line = header(title, profile.subtitle, chat.model_line(
            start.choice, start.model, start.url, start.gguf))
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=6, min_width=420):
                    panel = chat_panel(examples)
                    options = options_panel(assistant, start, page_choices(
                        chat.policy.allowed, chat.policy.allow_user))
                with gr.Column(scale=5, min_width=360, elem_id="sources-col"):
                    sources = gr.HTML(render_sources([]), elem_id="sources-html",
                                      padding=False)
            with gr.Tab("Archive", id="archive"), gr.Row(equal_height=False):
                archive = archive_tab(assistant, settings)
        _wire_chat(chat, conv, panel, options, sources)
        _wire_copies(panel)
        _wire_options(chat, options, model_line)
        _wire_archive(ArchiveHandlers(assistant, settings), archive)
        PageApi(assistant).register()
    # Direct POSTs to /gradio_api/run/<name> skip the queue (its concurrency limit and size)
    # and answered any error with a 500; refused with a 404 that says to use the queue,
    # as gradio_client and /gradio_api/call/<name> do.
    demo.api_open = False
    return demo
