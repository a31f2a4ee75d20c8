"""The timeline charts: how many matching posts and comments there are per year or month
(counted by ``Retriever.timeline`` from the index's date columns), drawn with Gradio's own
``BarPlot``; a period clicked or brushed narrows the search to it.

Pure functions first (the chart's table, its caption, a period's dates), then the callbacks.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import gradio as gr

from assistant.search.timeline import subject_of
from assistant.ui.chat import Controls
from assistant.ui.errors import human_error
from assistant.ui.render import esc, md_esc

__all__ = ["TimelineHandlers", "period_dates", "span_dates", "timeline_frame",
           "timeline_note"]

log = logging.getLogger("assistant.ui")

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_GRANULARITY = {"Year": "year", "Month": "month"}


def period_dates(period: str) -> tuple[str, str]:
    """The first and last day of ``YYYY`` or ``YYYY-MM`` (ValueError for anything else)."""
    match = _PERIOD.match(str(period or "").strip())
    if not match:
        raise ValueError(f"not a period: {str(period)[:20]!r}")
    year, month = int(match[1]), match[2]
    if month is None:
        return f"{year:04d}-01-01", f"{year:04d}-12-31"
    m = int(month)
    if not 1 <= m <= 12:
        raise ValueError(f"not a period: {period!r}")
    return f"{year:04d}-{m:02d}-01", f"{year:04d}-{m:02d}-{calendar.monthrange(year, m)[1]:02d}"


def span_dates(periods: Sequence[str]) -> tuple[str, str]:
    """From the first day of the earliest period to the last day of the latest."""
    ranges = [period_dates(p) for p in periods]
    if not ranges:
        raise ValueError("no period picked")
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def timeline_frame(timeline: Any):
    """The chart's table: one row per period and kind (``posts``, ``comments``), in time
    order, empty periods kept as zeros so the axis has no holes."""
    import pandas as pd  # installed with Gradio; imported when a chart is drawn

    rows = []
    for bucket in timeline.buckets:
        rows.append({"period": bucket.period, "kind": "posts", "count": int(bucket.posts)})
        rows.append({"period": bucket.period, "kind": "comments",
                     "count": int(bucket.comments)})
    return pd.DataFrame(rows, columns=["period", "kind", "count"])


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def timeline_note(timeline: Any, subject: str | None = None) -> str:
    """The line above a chart: what it counts, and how to narrow to a period."""
    what = f"{_plural(timeline.posts, 'post')} and {_plural(timeline.comments, 'comment')}"
    if not timeline.buckets:
        found = "No dated post or comment matches" if subject else "Nothing dated"
        return f'<p class="timeline-note">{found}{_about(subject)}.</p>'
    per = "month" if timeline.granularity == "month" else "year"
    undated = (f" ({_plural(timeline.undated, 'undated one')} not shown)"
               if getattr(timeline, "undated", 0) else "")
    if subject is None:  # the whole archive
        return f'<p class="timeline-note">{what}, per {per}{undated}.</p>'
    return (f'<p class="timeline-note"><strong>When this came up:</strong> {what}'
            f"{_about(subject)}, per {per}{undated}. Click a bar, or drag across several, "
            "to narrow the search to that time.</p>")


def _about(subject: str | None) -> str:
    return f" matching <q>{esc(subject)}</q>" if subject else ""


def implied_filters(asked: Mapping[str, Any] | None) -> dict[str, str]:
    """The filters the last answer read from its question and kept (chips not lifted)."""
    asked = asked or {}
    lifted = set(asked.get("lifted") or ())
    slots = {"since": "dates", "until": "dates", "kind": "kind", "author": "author"}
    return {name: value for name, value in (asked.get("implied") or {}).items()
            if name in slots and slots[name] not in lifted and value}


class TimelineHandlers:
    """The charts' callbacks: the question's timeline after each answer, a picked period
    (click or brush) asked again with those dates, and the whole archive's chart."""

    def __init__(self, assistant: Any):
        self.assistant = assistant

    def _timeline(self, query: str | None, filters: Mapping[str, Any],
                  granularity: str = "auto"):
        return self.assistant.retriever.timeline(query, granularity=granularity, **filters)

    def for_answer(self, asked, *controls):
        """After an answer: its subject over time, with the filters the search used.
        Outputs: the chart, its note."""
        asked = asked if isinstance(asked, dict) else {}
        # the standalone query: a follow-up ("and when was that?") charts what it follows
        query = subject_of(asked.get("query") or asked.get("question") or "",
                           tuple(asked.get("phrases") or ()))
        if not query:
            return gr.update(visible=False), ""
        try:
            search = Controls(*controls).search()
            filters = {name: search.get(name) for name in ("since", "until", "kind", "author")}
            for name, value in implied_filters(asked).items():
                filters[name] = filters.get(name) or value
            timeline = self._timeline(query, filters)
        except Exception as exc:  # the answer stands; only its chart is missing
            log.warning("no timeline for %r: %s", query[:80], exc)
            return gr.update(visible=False), (f'<p class="timeline-note">No timeline: '
                                              f"{esc(human_error(exc))}</p>")
        return (gr.update(value=timeline_frame(timeline), visible=bool(timeline.buckets)),
                timeline_note(timeline, query))

    def archive(self, granularity: str = "Year"):
        """The Archive tab's chart: every dated post and comment. Outputs: chart, note."""
        try:
            timeline = self._timeline(None, {}, _GRANULARITY.get(granularity, "year"))
        except Exception as exc:
            return gr.update(value=None), f'<p class="error-box">{esc(human_error(exc))}</p>'
        return gr.update(value=timeline_frame(timeline)), timeline_note(timeline)

    @staticmethod
    def _ask_again(since: str, until: str, asked, chat):
        """Set the date pickers to a period and put the last question back in the chat, to
        be answered again (``ChatHandlers.respond``). Outputs: since, until, chat, question."""
        question = (asked or {}).get("question") if isinstance(asked, dict) else None
        if not question:
            gr.Info("Ask a question first: the chart narrows its search.")
            return gr.skip(), gr.skip(), gr.skip(), ""
        chat = [*(chat or []), {"role": "user", "content": md_esc(question)}]
        return since, until, chat, question

    def picked(self, period, asked, chat):
        """A bar clicked (``static/page_events.js`` writes its period)."""
        try:
            since, until = period_dates(str(period or "").split("|")[0])
        except ValueError:
            return gr.skip(), gr.skip(), gr.skip(), ""
        return self._ask_again(since, until, asked, chat)

    def brushed(self, data: gr.SelectData, asked, chat):
        """Several bars brushed: from the first period to the last."""
        value = data.index if isinstance(data.index, list | tuple) else [data.index]
        try:
            since, until = span_dates([str(v) for v in value if v is not None])
        except ValueError:
            return gr.skip(), gr.skip(), gr.skip(), ""
        return self._ask_again(since, until, asked, chat)

