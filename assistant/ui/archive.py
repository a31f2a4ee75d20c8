"""The Archive tab's callbacks: what the index holds, and "Add and re-index" (uploads saved
into the corpus, the index updated with a progress bar, a report per file)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.settings import Settings
from assistant.ui.errors import human_error
from assistant.ui.reports import report_html, stats_html
from assistant.ui.uploads import UploadResult, reindex, save_uploads

__all__ = ["ArchiveHandlers", "index_stats_html"]


def index_stats_html(assistant: Any) -> str:
    """The stats panel of the assistant's current index (or why it cannot be read)."""
    try:
        stats = assistant.retriever.stats()
    except Exception as exc:
        return stats_html(None, human_error(exc))
    return stats_html(stats)


class ArchiveHandlers:
    """The Archive tab's callbacks, bound to one assistant and its settings."""

    def __init__(self, assistant: Any, settings: Settings):
        self.assistant = assistant
        self.settings = settings

    def reindex(self, files, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
        """Save uploads into the corpus folder, then update the index with a progress bar.
        Outputs: the report, the stats panel, and the file box (cleared when it worked)."""
        uploads: list[UploadResult] = []
        try:
            for result in save_uploads(files or [], self.settings):
                uploads.append(result)
            progress(0.0, desc="Reading the corpus…")
            report = reindex(self.assistant, self.settings, progress)
            progress(1.0, desc="Done")
            return (report_html(uploads, report), index_stats_html(self.assistant),
                    gr.update(value=None))
        except Exception as exc:
            return (report_html(uploads, None, human_error(exc)),
                    index_stats_html(self.assistant), gr.skip())

    def refresh_stats(self) -> str:
        return index_stats_html(self.assistant)
