"""A source card's "Read the whole post": the post and its comment thread in the reader, the
cited passage highlighted and scrolled into view (``reader.render_thread`` draws it)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import gradio as gr

from assistant.ui.cards import Turn
from assistant.ui.errors import human_error
from assistant.ui.reader import render_thread
from assistant.ui.render import esc

__all__ = ["SCROLL_TO_FOCUS", "OpenerHandlers", "card_of"]

log = logging.getLogger("assistant.ui")

# Run in the browser once the reader is drawn: the cited passage to the middle of the view.
SCROLL_TO_FOCUS = """() => { setTimeout(() => {
  const focus = document.getElementById("reader-focus");
  if (focus) focus.scrollIntoView({behavior: "instant", block: "center"});
}, 60); }"""


def card_of(value: str, turns: Sequence[Turn]) -> tuple[Turn, int] | None:
    """The turn and passage number a card's ``"turn:n|nonce"`` names, if it is shown."""
    try:
        turn_no, n = (int(p) for p in str(value or "").split("|")[0].split(":"))
    except ValueError:
        return None
    for turn in turns or ():
        if turn.turn == turn_no and 1 <= n <= len(turn.passages):
            return turn, n
    return None


class OpenerHandlers:
    """Open a card's thread in the reader, and go back to the sources."""

    def __init__(self, assistant: Any):
        self.assistant = assistant

    def open(self, value, turns):
        """Outputs: the reader's HTML, the reader shown, the sources and timeline hidden."""
        found = card_of(value, turns)
        if found is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        turn, n = found
        hit = turn.passages[n - 1]
        try:
            thread = self.assistant.retriever.thread(hit.post_id)
            html = render_thread(thread, hit.chunk_id, turn.quotes.get(n, ()))
        except Exception as exc:
            log.warning("could not open post %s: %s", hit.post_id, exc)
            html = f'<p class="error-box">{esc(human_error(exc))}</p>'
        return (html, gr.update(visible=True), gr.update(visible=False),
                gr.update(visible=False))

    @staticmethod
    def back():
        return "", gr.update(visible=False), gr.update(visible=True), gr.update(visible=True)
