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
    "Filters",
    "Options",
    "SavedPanel",
    "SidePanel",
    "archive_tab",
    "chat_panel",
    "filters_row",
    "header",
    "options_panel",
    "saved_panel",
    "side_panel",
    "timeline_plot",
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
    turn counter, the question being answered, the last question as it was asked (what
    removing a chip or picking a period asks again), the open saved chat's id, and the
    browser's saved chats (``saved``: localStorage, used when nobody is signed in)."""

    history: gr.State
    turns: gr.State
    counter: gr.State
    question: gr.State
    asked: gr.State  # the last question as asked: its history and the chips lifted
    chat_id: gr.State
    saved: gr.BrowserState


@dataclass(frozen=True)
class Filters:
    """The search filters beside the question: date pickers, kind, author, and the chips
    of the filters the last answer read from its question's wording."""

    since: gr.DateTime
    until: gr.DateTime
    kind: gr.Radio
    author: gr.Dropdown
    dates_note: gr.HTML  # why a typed date is not taken
    chips_label: gr.HTML
    chips: tuple[gr.Button, ...]  # one per ``chips.CHIP_SLOTS``, hidden until an answer has it

    def chip_outputs(self) -> list[gr.components.Component]:
        return [self.chips_label, *self.chips]


@dataclass(frozen=True)
class ChatPanel:
    chatbot: gr.Chatbot
    box: gr.Textbox
    send: gr.Button
    stop: gr.Button
    copy_md: gr.Button
    copy_txt: gr.Button
    export_md: gr.Textbox
    export_txt: gr.Textbox
    copied: gr.Textbox
    copied_acc: gr.Accordion
    filters: Filters

    def chip_outputs(self) -> list[gr.components.Component]:
        return self.filters.chip_outputs()


@dataclass(frozen=True)
class SavedPanel:
    """The saved-chats sidebar."""

    new: gr.Button
    chats: gr.Radio
    title: gr.Textbox
    rename: gr.Button
    delete: gr.Button
    download: gr.DownloadButton


@dataclass(frozen=True)
class SidePanel:
    """The right-hand column: the timeline of the question's subject, the sources, and the
    reader a source card opens (the whole post and its comment thread)."""

    timeline_box: gr.Group
    timeline: gr.BarPlot
    timeline_note: gr.HTML
    period: gr.Textbox  # a clicked bar's period, written by static/page_events.js
    sources: gr.HTML
    reader: gr.HTML
    reader_box: gr.Column
    back: gr.Button
    open_source: gr.Textbox  # "turn:n" of a card's "Read the whole post" (page_events.js)
    open_button: gr.Button  # clicked by page_events.js once ``open_source`` is written
    period_button: gr.Button  # likewise for ``period``


@dataclass(frozen=True)
class Options:
    k: gr.Slider
    since: gr.DateTime
    until: gr.DateTime
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
    timeline: gr.BarPlot
    timeline_note: gr.HTML
    granularity: gr.Radio
    files: gr.File
    reindex: gr.Button
    report: gr.HTML


def saved_panel() -> SavedPanel:
    """The column of saved chats: new, the list, rename, delete, download as Markdown."""
    with gr.Column(scale=2, min_width=200, elem_id="saved-col"):
        gr.Markdown("### Chats", elem_id="saved-heading")
        new = gr.Button("New chat", size="sm", variant="primary", elem_id="new-chat")
        chats = gr.Radio([], value=None, show_label=False, elem_id="saved-chats",
                         elem_classes=["saved-chats"])
        with gr.Accordion("This chat", open=False, elem_id="chat-actions"):
            title = gr.Textbox(label="Name", max_lines=1, elem_id="chat-title")
            with gr.Row():
                rename = gr.Button("Rename", size="sm", elem_id="rename-chat")
                delete = gr.Button("Delete", size="sm", variant="stop", elem_id="delete-chat")
            download = gr.DownloadButton("Download as Markdown", size="sm", interactive=False,
                                         elem_id="export-chat")
    return SavedPanel(new, chats, title, rename, delete, download)


def _date_picker(label: str, elem_id: str) -> gr.DateTime:
    return gr.DateTime(label=label, include_time=False, type="string", elem_id=elem_id,
                       min_width=150, scale=1)


def filters_row(assistant: Any) -> Filters:
    """The filters beside the question, with the chips of the filters read from it."""
    with gr.Group(elem_id="filters"):
        with gr.Row(equal_height=True, elem_id="filters-row"):
            since = _date_picker("From date", "since")
            until = _date_picker("To date", "until")
            kind = gr.Radio(list(KIND_CHOICES), value="Both", label="Search in", scale=1,
                            min_width=220, elem_id="kind")
            author = gr.Dropdown(["", *_author_choices(assistant)], value="",
                                 label="Author (commenter or signed writer)",
                                 allow_custom_value=True, filterable=True, scale=1,
                                 min_width=180, elem_id="author")
        dates_note = gr.HTML("", visible=False, elem_id="dates-note", padding=False)
        with gr.Row(elem_id="implied-chips"):  # the filters read from the question
            chips_label = gr.HTML('<span class="chips-label">Read from your question '
                                  "(click one to ask again without it):</span>",
                                  visible=False, padding=False, elem_id="chips-label")
            chips = tuple(gr.Button("", visible=False, size="sm", variant="secondary",
                                    elem_id=f"chip-{slot}", elem_classes=["implied-chip-btn"],
                                    scale=0, min_width=40)
                          for slot in CHIP_SLOTS)
    return Filters(since, until, kind, author, dates_note, chips_label, chips)


def chat_panel(assistant: Any, examples: Sequence[str]) -> ChatPanel:
    chatbot = gr.Chatbot(
        elem_id="chatbot", height=540, show_label=False, latex_delimiters=[],
        allow_tags=False, buttons=["copy"], feedback_options=None, layout="bubble",
        placeholder="**Ask a question about the archive.** Answers quote the posts and "
                    "comments they come from; click a number to see the passage.",
        examples=[{"text": e} for e in examples] or None)
    with gr.Row(equal_height=True):
        box = gr.Textbox(placeholder="Ask about the archive…", show_label=False, scale=8,
                         lines=1, max_lines=6, autofocus=True, elem_id="question")
        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-btn")
        stop = gr.Button("Stop", variant="secondary", scale=0, min_width=64,
                         elem_id="stop-btn")
    filters = filters_row(assistant)
    with gr.Row():
        copy_md = gr.Button("Copy answer as Markdown", size="sm", elem_id="copy-md")
        copy_txt = gr.Button("Copy answer as text", size="sm", elem_id="copy-txt")
    export_md = gr.Textbox(visible=False)
    export_txt = gr.Textbox(visible=False)
    with gr.Accordion("Copied answer", open=False) as copied_acc:
        copied = gr.Textbox(show_label=False, lines=6, max_lines=16, buttons=["copy"],
                            interactive=False, elem_id="copied")
    return ChatPanel(chatbot, box, send, stop, copy_md, copy_txt, export_md, export_txt,
                     copied, copied_acc, filters)


def timeline_plot(elem_id: str, height: int = 170, **options: Any) -> gr.BarPlot:
    """A bar chart of posts and comments per period (``ui.timeline.timeline_frame``)."""
    return gr.BarPlot(None, x="period", y="count", color="kind", x_title="",
                      y_title="posts, comments", color_title="",
                      color_map={"posts": "#6366f1", "comments": "#0d9488"},
                      sort=None, tooltip=["period", "kind", "count"], height=height,
                      show_label=False, elem_id=elem_id, x_label_angle=-40, **options)


def side_panel(sources_html: str) -> SidePanel:
    with gr.Group(elem_id="timeline-box") as timeline_box:
        note = gr.HTML("", elem_id="timeline-note", padding=False)
        plot = timeline_plot("timeline", visible=False)
        period = gr.Textbox(visible="hidden", elem_id="timeline-period")
    sources = gr.HTML(sources_html, elem_id="sources-html", padding=False)
    with gr.Column(visible=False, elem_id="reader-box") as reader_box:
        back = gr.Button("← Back to the sources", size="sm", elem_id="reader-back")
        reader = gr.HTML("", elem_id="reader-html", padding=False)
    open_source = gr.Textbox(visible="hidden", elem_id="open-source")
    open_button = gr.Button(visible="hidden", elem_id="open-source-btn")
    period_button = gr.Button(visible="hidden", elem_id="timeline-period-btn")
    return SidePanel(timeline_box, plot, note, period, sources, reader, reader_box, back,
                     open_source, open_button, period_button)


def options_panel(start: BackendControls, choices: Sequence[str], filters: Filters,
                  k_default: int) -> Options:
    with gr.Accordion("Options: passages, model", open=False, elem_id="options"):
        k = gr.Slider(1, 20, value=k_default, step=1, label="Passages to retrieve")
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
    return Options(k, filters.since, filters.until, filters.kind, filters.author, backend,
                   model, url, gguf)


def archive_tab(assistant: Any, settings: Settings) -> ArchivePanel:
    with gr.Column(scale=1):
        gr.Markdown("### What the archive holds")
        stats = gr.HTML(index_stats_html(assistant), elem_id="stats-html", padding=False)
        refresh = gr.Button("Refresh", size="sm")
        gr.Markdown("### Posts and comments over time")
        granularity = gr.Radio(["Year", "Month"], value="Year", show_label=False,
                               elem_id="archive-granularity")
        timeline_note = gr.HTML("", elem_id="archive-timeline-note", padding=False)
        timeline = timeline_plot("archive-timeline", height=260)
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
    return ArchivePanel(stats, refresh, timeline, timeline_note, granularity, files, reindex,
                        report)
