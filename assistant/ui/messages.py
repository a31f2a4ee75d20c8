"""The assistant's chat message while it streams and once it is done: the rendered answer,
any notices, the cited sources as links, and which backend answered. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.answer.references import references
from assistant.records import Answer
from assistant.ui.backends import backend_label
from assistant.ui.cards import Turn
from assistant.ui.chips import Chip, chips_line
from assistant.ui.render import esc, md_esc, render_answer

__all__ = ["INCOMPLETE", "draft_message", "error_message", "final_message", "gap_line"]

INCOMPLETE = "The answer stopped before it was complete."

SHORT_TITLE = 48  # characters of a title in the "Sources:" line under an answer


def _short(title: str, n: int = SHORT_TITLE) -> str:
    title = title or "Untitled"
    return title if len(title) <= n else title[: n - 1].rstrip() + "…"


def _meta(lines: Sequence[str]) -> str:
    return "".join(f'\n\n<span class="answer-meta">{m}</span>' for m in lines)


def _notices(notices: Sequence[str]) -> str:
    return _meta([f"Note: {md_esc(n)}" for n in notices])


def draft_message(text: str, turn: Turn, notices: Sequence[str] = ()) -> str:
    """The text streamed so far, its ``[n]`` already linked to the cards."""
    titles = [h.title for h in turn.passages]
    return render_answer(text, len(turn.passages), turn.turn, (), titles) + _notices(notices)


def error_message(text: str, turn: Turn, notices: Sequence[str], message: str) -> str:
    """What was written before a failure (if anything), then why it stopped."""
    body = f"{draft_message(text, turn, notices)}\n\n" if text else ""
    return f"{body}**Could not answer.** {md_esc(message)}"


def _sources_line(answer: Answer, turn: Turn) -> str | None:
    _, cited = references(answer)
    if not cited:
        return None
    links = " ".join(f'<a class="cite" href="#src-{turn.turn}-{r.n}" '
                     f'title="{esc(r.hit.title)}">{r.n}</a> {md_esc(_short(r.hit.title))}'
                     for r in cited)
    return f"Sources: {links}"


def gap_line(gaps: Sequence[str]) -> str:
    """The mark of an answer with honest gaps: what the archive does not state."""
    missing = "; ".join(md_esc(g) for g in gaps if g)
    return f'<span class="gap-badge">Not in the archive</span>: {missing}' if missing else ""


def final_message(answer: Answer, turn: Turn, notices: Sequence[str],
                  chips: Mapping[str, Chip] | None = None) -> str:
    """The checked answer: a gap answer marked first (what the archive does not state),
    unverified sentences marked, then notes, the filters read from the question, the cited
    sources as links to their cards, and the backend that answered."""
    titles = [h.title for h in turn.passages]
    body = render_answer(answer.text, len(turn.passages), turn.turn,
                         tuple(answer.unsupported or ()), titles)
    if answer.gaps:
        body = f"{gap_line(answer.gaps)}\n\n{body}"
    meta = []
    if answer.refused:
        if turn.passages:
            meta.append("The closest passages are shown under *Closest matches*.")
    else:
        sources = _sources_line(answer, turn)
        if sources:
            meta.append(sources)
        if answer.unsupported:
            meta.append("⚠ Underlined sentences: the passage they cite does not "
                        "clearly support them.")
    if chips:
        meta.append(chips_line(chips))
    if answer.backend:
        meta.append(f"Answered by {md_esc(backend_label(answer.backend))}")
    return body + _notices(notices) + _meta(meta)
