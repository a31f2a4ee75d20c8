"""The page's panels: each builder lays out its Gradio components inside the open ``Blocks``
and returns them as a frozen record, for ``page`` to wire."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.settings import Settings
from assistant.ui.archive import index_stats_html
from assistant.ui.backends import LOCAL, OPENAI, BackendControls
from assistant.ui.chat import KIND_CHOICES
from assistant.ui.chips import CHIP_SLOTS
from assistant.ui.render import esc
from assistant.ui.uploads import ALLOWED_UPLOAD_SUFFIXES

__all__ = [
    "AUTHORS_LISTED",
    "ArchivePanel",
    "ChatPanel",
    "Conversation",
    "Options",
    "archive_tab",
    "chat_panel",
    "header",
    "options_panel",
]

log = logging.getLogger("assistant.ui")

AUTHORS_LISTED = 300  # the most frequent authors offered in the filter (others can be typed)


def header(title: str, subtitle: str, model_line: str) -> gr.Markdown:
    """The title, what the page does, and the "Answering with" line (returned)."""
    with gr.Row(elem_id="app-header"):
        gr.HTML(f'<h1>{esc(title)}</h1><div class="sub">{esc(subtitle)}</div>', padding=False)
        return gr.Markdown(model_line, elem_id="model-line")


def _author_choices(assistant: Any, limit: int = AUTHORS_LISTED) -> list[str]:
    """The filter's authors, alphabetically; none when the store cannot say (the filter
    still takes a typed name)."""
    try:
        authors = assistant.retriever.store.authors(limit)
    except Exception as exc:
        log.warning("no author list for the filter: %s", exc)
        return []
    return sorted(set(authors), key=str.lower)


@dataclass(frozen=True)
class Conversation:
    """Per-visitor state: the history sent to the assistant, the sources panel's turns, the
    turn counter, the question being answered, and the last question as it was asked (what
    removing a chip asks again)."""

    history: gr.State
    turns: gr.State
    counter: gr.State
    question: gr.State
    asked: gr.State  # the last question as asked: its history and the chips lifted


@dataclass(frozen=True)
class ChatPanel:
    chatbot: gr.Chatbot
    box: gr.Textbox
    send: gr.Button
    stop: gr.Button
    new: gr.Button
    copy_md: gr.Button
    copy_txt: gr.Button
    export_md: gr.Textbox
    export_txt: gr.Textbox
    copied: gr.Textbox
    copied_acc: gr.Accordion
    chips_label: gr.HTML
    chips: tuple[gr.Button, ...]  # one per ``chips.CHIP_SLOTS``, hidden until an answer has it

    def chip_outputs(self) -> list[gr.components.Component]:
        return [self.chips_label, *self.chips]


@dataclass(frozen=True)
class Options:
    k: gr.Slider
    since: gr.Textbox
    until: gr.Textbox
    kind: gr.Radio
    author: gr.Dropdown
    backend: gr.Radio
    model: gr.Textbox
    url: gr.Textbox
    gguf: gr.Textbox

    def controls(self) -> list[gr.components.Component]:
        """In ``chat.Controls`` order."""
        return [self.k, self.since, self.until, self.kind, self.author, self.backend,
                self.model, self.url, self.gguf]

    def backend_fields(self) -> list[gr.components.Component]:
        return [self.backend, self.model, self.url, self.gguf]


@dataclass(frozen=True)
class ArchivePanel:
    stats: gr.HTML
    refresh: gr.Button
    files: gr.File
    reindex: gr.Button
    report: gr.HTML


def chat_panel(examples: Sequence[str]) -> ChatPanel:
    chatbot = gr.Chatbot(
        elem_id="chatbot", height=560, show_label=False, latex_delimiters=[],
        allow_tags=False, buttons=["copy"], feedback_options=None, layout="bubble",
        placeholder="**Ask a question about the archive.** Answers quote the posts and "
                    "comments they come from; click a number to see the passage.",
        examples=[{"text": e} for e in examples] or None)
    with gr.Row(elem_id="implied-chips"):  # the filters read from the question, removable
        chips_label = gr.HTML('<span class="chips-label">Filters read from your question '
                              "(click one to ask again without it):</span>", visible=False,
                              padding=False, elem_id="chips-label")
        chips = tuple(gr.Button("", visible=False, size="sm", variant="secondary",
                                elem_id=f"chip-{slot}", elem_classes=["implied-chip-btn"],
                                scale=0, min_width=40)
                      for slot in CHIP_SLOTS)
    with gr.Row(equal_height=True):
        box = gr.Textbox(placeholder="Ask about the archive…", show_label=False, scale=8,
                         lines=1, max_lines=6, autofocus=True, elem_id="question")
        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-btn")
        stop = gr.Button("Stop", variant="secondary", scale=0, min_width=64,
                         elem_id="stop-btn")
    with gr.Row():
        new = gr.Button("New chat", size="sm", elem_id="new-chat")
        copy_md = gr.Button("Copy answer as Markdown", size="sm", elem_id="copy-md")
        copy_txt = gr.Button("Copy answer as text", size="sm", elem_id="copy-txt")
    export_md = gr.Textbox(visible=False)
    export_txt = gr.Textbox(visible=False)
    with gr.Accordion("Copied answer", open=False) as copied_acc:
        copied = gr.Textbox(show_label=False, lines=6, max_lines=16, buttons=["copy"],
                            interactive=False, elem_id="copied")
    return ChatPanel(chatbot, box, send, stop, new, copy_md, copy_txt, export_md, export_txt,
                     copied, copied_acc, chips_label, chips)


def options_panel(assistant: Any, start: BackendControls, choices: Sequence[str]) -> Options:
    with gr.Accordion("Options: filters, passages, model", open=False, elem_id="options"):
        with gr.Row():
            since = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", max_lines=1)
            until = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", max_lines=1)
            kind = gr.Radio(list(KIND_CHOICES), value="Both", label="Search in")
        with gr.Row():
            author = gr.Dropdown(["", *_author_choices(assistant)], value="",
                                 label="Author (commenter or signed writer)",
                                 allow_custom_value=True, filterable=True)
            k = gr.Slider(1, 20, value=int(getattr(assistant, "k", 5)), step=1,
                          label="Passages to retrieve")
        backend = gr.Radio(list(choices), value=start.choice, label="Answer with",
                           info="Extractive quotes the best passages; a model writes a "
                                "summary in its own words, with citations checked.")
        with gr.Row():
            gguf = gr.Textbox(label="GGUF file (blank: default model)", value=start.gguf,
                              max_lines=1, visible=start.choice == LOCAL)
            model = gr.Textbox(label="Model name", value=start.model, max_lines=1,
                               placeholder="llama3", visible=start.choice == OPENAI)
            url = gr.Textbox(label="Server URL", value=start.url, max_lines=1,
                             placeholder="http://127.0.0.1:11434/v1",
                             visible=start.choice == OPENAI)
    return Options(k, since, until, kind, author, backend, model, url, gguf)


def archive_tab(assistant: Any, settings: Settings) -> ArchivePanel:
    with gr.Column(scale=1):
        gr.Markdown("### What the archive holds")
        stats = gr.HTML(index_stats_html(assistant), elem_id="stats-html", padding=False)
        refresh = gr.Button("Refresh", size="sm")
    with gr.Column(scale=1):
        gr.Markdown("### Add posts\nUpload blog posts as text, Markdown or HTML, or a blog "
                    "export (WordPress, Blogger, Disqus, Ghost, Google Takeout, or a zip of "
                    f"them; up to {float(settings.max_upload_mb):g} MB each). They are saved "
                    "in the corpus folder and indexed; only new or changed passages are "
                    "embedded.")
        files = gr.File(file_count="multiple", file_types=list(ALLOWED_UPLOAD_SUFFIXES),
                        label="Files to add", elem_id="upload")
        reindex = gr.Button("Add and re-index", variant="primary", elem_id="reindex-btn")
        report = gr.HTML("", elem_id="report-html", padding=False)
    return ArchivePanel(stats, refresh, files, reindex, report)
