"""The chat's callbacks: a question goes in, the answer streams into the chat while the
sources panel fills, and the copies (Markdown, text) are ready at the end.

Stream events are dispatched by type (``match`` on the classes of ``assistant.records``), not
by class name; an event the page does not show (none today) is passed over.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any

import gradio as gr

from assistant.records import Answer, AnswerEvent, Event, NoticeEvent, SourcesEvent, TextDelta
from assistant.serve.backends import BackendPolicy
from assistant.settings import Settings
from assistant.ui.backends import BackendControls, backend_label
from assistant.ui.cards import Turn, render_sources
from assistant.ui.chips import CHIP_SLOTS, chips_of, lift_options
from assistant.ui.errors import human_error
from assistant.ui.messages import INCOMPLETE, draft_message, error_message, final_message
from assistant.ui.render import answer_markdown, answer_plain, md_esc

__all__ = ["KIND_CHOICES", "MAX_TURNS_SHOWN", "ChatHandlers", "Controls", "checked_dates",
           "chip_updates"]

MAX_TURNS_SHOWN = 8
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$")
KIND_CHOICES = ("Both", "Posts", "Comments")

@dataclass(frozen=True)
class Controls:
    """The options panel's values, in the order the page passes them."""

    k: Any = 5
    since: str | None = ""
    until: str | None = ""
    kind: str | None = "Both"
    author: str | None = ""
    choice: str = "Extractive"
    model: str = ""
    url: str = ""
    gguf: str = ""

    def search(self) -> dict[str, Any]:
        """Keyword options for ``Assistant.stream``: blanks are no filter (ValueError for
        dates that are not dates, or a From after the To)."""
        since, until = checked_dates(self.since, self.until)
        return {"k": int(self.k or 5), "since": since, "until": until,
                "kind": {"Posts": "post", "Comments": "comment"}.get(self.kind or ""),
                "author": (self.author or "").strip() or None}

    def backend(self) -> str:
        """The spec the backend controls give (ValueError naming the missing field)."""
        return BackendControls(self.choice, self.model, self.url, self.gguf).spec()


def _picked_day(value: Any, label: str) -> str | None:
    """A date picker's value as ``YYYY-MM-DD`` (None when blank). The picker gives a
    string, or a timestamp where a client sends one; a typed time of day is dropped."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc).date().isoformat()
    text = str(value).strip()
    try:
        if _DAY.match(text):
            return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        pass
    raise ValueError(f"{label} {text[:40]!r} is not a date: pick one, or type it as "
                     "YYYY-MM-DD (2016-03-31)")


def checked_dates(since: Any, until: Any) -> tuple[str | None, str | None]:
    """The date pickers' values, checked: ``(since, until)`` as ``YYYY-MM-DD`` or None."""
    low, high = _picked_day(since, "The From date"), _picked_day(until, "The To date")
    if low and high and low > high:
        raise ValueError(f"The From date ({low}) is after the To date ({high}): swap them "
                         "or clear one")
    return low, high


def chip_updates(chips=None) -> tuple:
    """The chips row's updates: its label, then one button per ``CHIP_SLOTS`` (shown with
    its chip's text, or hidden); ``None`` leaves them as they are."""
    if chips is None:
        return (gr.skip(),) * (1 + len(CHIP_SLOTS))
    buttons = tuple(gr.update(visible=slot in chips,
                              value=chips[slot].button if slot in chips else "")
                    for slot in CHIP_SLOTS)
    return (gr.update(visible=bool(chips)), *buttons)


class _Reply:
    """One answer being streamed: the chat's last message, the turn's sources, and the
    outputs of each step (chat, sources, history, turns, counter, Markdown, text, the chips
    row, and what was asked: the question, the history before it and the chips lifted)."""

    def __init__(self, question: str, chat: list, history: list, turns: list, counter: int,
                 lifted: tuple[str, ...] = ()):
        self.question, self.chat, self.history, self.counter = question, chat, history, counter
        self.asked = {"question": question, "history": list(history), "lifted": list(lifted)}
        self.turn = Turn(counter, question)
        self.turns = [*turns, self.turn][-MAX_TURNS_SHOWN:]
        self.text = ""
        self.notices: list[str] = []
        self.chips = chip_updates({})  # the last answer's chips go as this one starts

    def _update(self, turn: Turn) -> None:
        self.turn = self.turns[-1] = turn

    def step(self, message: str, *, sources: bool = True, copies: tuple = ("", "")) -> tuple:
        self.chat[-1] = {"role": "assistant", "content": message}
        return ([*self.chat], render_sources(self.turns) if sources else gr.skip(),
                self.history, self.turns, self.counter, *copies, *self.chips, self.asked)

    def on(self, event: Event) -> tuple | None:
        """The outputs after ``event`` (None: nothing to show yet)."""
        match event:
            case SourcesEvent(passages=passages):
                self._update(replace(self.turn, passages=tuple(passages)))
                return self.step(f"*Found {len(passages)} passages; writing the answer…*")
            case TextDelta(text=text):
                self.text += text
                return self.step(draft_message(self.text, self.turn, self.notices),
                                 sources=False)
            case NoticeEvent(message=message):
                self.notices.append(message)
                return None
            case AnswerEvent(answer=answer):
                return self.finish(answer)
        return None

    def finish(self, answer: Answer) -> tuple:
        self._update(self.turn.answered(answer))
        if answer.notice and answer.notice not in self.notices:
            self.notices.append(answer.notice)
        # the cited quotes ride along: a follow-up's "the same company" may be named there
        self.history += [{"role": "user", "content": self.question},
                         {"role": "assistant", "content": answer.text,
                          "quotes": [c.quote for c in answer.citations if c.quote]}]
        chips = chips_of(answer.implied)
        self.chips = chip_updates(chips)
        # what the timeline counts: the search's query and the filters the wording implied
        self.asked = {**self.asked, "query": answer.query or self.question,
                      "implied": {f.name: f.value for f in answer.implied},
                      "phrases": [f.phrase for f in answer.implied]}
        return self.step(final_message(answer, self.turn, self.notices, chips),
                         copies=(answer_markdown(answer), answer_plain(answer)))

    def stopped(self) -> tuple:
        """The stream ended without an answer."""
        self._update(replace(self.turn, done=True))
        return self.step(draft_message(self.text or INCOMPLETE, self.turn, self.notices))

    def failed(self, exc: BaseException) -> tuple:
        self._update(replace(self.turn, done=True))
        return self.step(error_message(self.text, self.turn, self.notices, human_error(exc)))


class ChatHandlers:
    """The chat tab's callbacks, bound to one assistant and its settings.

    Security: the backend controls are a visitor's input. ``BackendPolicy.for_page`` lets
    through the operator's backends, and a typed URL or model file only when the operator
    allows it; such a backend is built here without the server's API key."""

    def __init__(self, assistant: Any, settings: Settings):
        self.assistant = assistant
        self.settings = settings
        self.policy = BackendPolicy.of(assistant, settings)
        self._visitor_backends: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _backend_option(self, controls: Controls) -> dict[str, Any]:
        spec, trusted = self.policy.for_page(controls.backend())
        if spec == getattr(self.assistant, "backend", spec):
            return {}
        if trusted:
            return {"backend": spec}
        with self._lock:  # one client per typed spec, as the Assistant keeps its own
            if spec not in self._visitor_backends:
                self._visitor_backends[spec] = _visitor_backend(spec, self.settings)
            return {"backend": self._visitor_backends[spec]}

    def _stream(self, question: str, history: list[dict], controls: Controls,
                lifted: tuple[str, ...] = ()) -> Iterator[Any]:
        options = {**lift_options(controls.search(), lifted), **self._backend_option(controls)}
        return self.assistant.stream(question, history=history, **options)

    def respond(self, question, chat, history, turns, counter, *controls):
        """Stream one answer into the chat and the sources panel.

        Gradio passes the inputs in order: the question, the chat and the conversation's
        state, then the options panel's values (``Controls``)."""
        chat, history, turns = list(chat or []), list(history or []), list(turns or [])
        counter = int(counter or 0) + 1
        question = (question or "").strip()
        if not question:
            yield ([*chat], gr.skip(), history, turns, counter, gr.skip(), gr.skip(),
                   *chip_updates(None), gr.skip())
            return
        chat.append({"role": "assistant", "content": "*Searching the archive…*"})
        yield from self._answer(_Reply(question, chat, history, turns, counter), controls)

    def lift(self, slot: str, asked, chat, turns, counter, *controls):
        """Remove chip ``slot``: ask the last question again, with the same history, that
        filter (and any lifted before) explicitly off; the new answer replaces the old."""
        asked = asked or {}
        question, chat = asked.get("question"), list(chat or [])
        if not question or slot not in CHIP_SLOTS:
            yield ([*chat], gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                   *chip_updates(None), gr.skip())
            return
        lifted = tuple(dict.fromkeys([*asked.get("lifted", []), slot]))
        if chat and chat[-1].get("role") == "assistant":
            chat.pop()
        chat.append({"role": "assistant", "content": "*Asking again without that filter…*"})
        turns = list(turns or [])[:-1]  # the answer being replaced leaves the sources panel
        reply = _Reply(question, chat, list(asked.get("history") or []), turns,
                       int(counter or 0) + 1, lifted)
        yield from self._answer(reply, controls, lifted)

    def lifter(self, slot: str):
        """``lift`` for one chip's button (Gradio calls it with the inputs only)."""
        def lift(asked, chat, turns, counter, *controls):
            yield from self.lift(slot, asked, chat, turns, counter, *controls)
        return lift

    def _answer(self, reply: _Reply, controls: tuple, lifted: tuple[str, ...] = ()):
        yield reply.step(reply.chat[-1]["content"])
        try:
            stream = self._stream(reply.question, reply.asked["history"], Controls(*controls),
                                  lifted)
            for event in stream:
                outputs = reply.on(event)
                if outputs is not None:
                    yield outputs
                if isinstance(event, AnswerEvent):
                    return
            yield reply.stopped()
        except Exception as exc:  # shown to the person, never as a stack trace
            yield reply.failed(exc)

    @staticmethod
    def add_user(question, chat):
        """Put the question in the chat at once (escaped) and clear the box."""
        question = (question or "").strip()
        chat = list(chat or [])
        if question:
            chat.append({"role": "user", "content": md_esc(question)})
        return "", chat, question

    @staticmethod
    def new_chat():
        return ([], [], [], 0, render_sources([]), "", "", "", *chip_updates({}), None)

    @staticmethod
    def model_line(choice, model, url, gguf) -> str:
        """The header's "Answering with" line for the backend controls."""
        try:
            spec = BackendControls(choice, model, url, gguf).spec()
        except ValueError as exc:
            return f"**Model:** {md_esc(str(exc))}"
        return f"**Answering with:** {md_esc(backend_label(spec))}"

    @staticmethod
    def pick_example(data: gr.SelectData, chat):
        """An example question clicked in the empty chat, asked like a typed one."""
        value = data.value
        text = str(value.get("text", "")) if isinstance(value, dict) else str(value)
        return ChatHandlers.add_user(text, chat)


def _visitor_backend(spec: str, settings: Settings) -> Any:
    """A backend for a spec a visitor typed: never given the server's API key. One that
    cannot be built answers extractively with the reason, as a bad default backend does."""
    from assistant.llm import BackendError, get_backend

    try:
        return get_backend(spec, settings, send_key=False)
    except BackendError as exc:
        return _Unavailable(spec, str(exc))


@dataclass(frozen=True)
class _Unavailable:
    """Stands in for a visitor's backend that could not be built: its stream raises."""

    name: str
    reason: str

    def stream(self, messages, **options) -> Iterator[str]:
        from assistant.llm import BackendUnavailable

        raise BackendUnavailable(self.reason)
