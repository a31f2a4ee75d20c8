"""Saved conversations: what a chat is when it is kept, where it is kept, and its Markdown.

A ``SavedChat`` holds what reopening needs: the chat's messages as the page drew them, the
history follow-ups are read against, the newest turns' source cards, the turn counter, and
each answer as Markdown with its references (the export). Two places keep them, one
interface (``ChatShelf``):

- ``BrowserShelf``: in the visitor's browser (Gradio's ``BrowserState``, localStorage), when
  the page has no login. Nobody else can see a visitor's chats, and the server keeps nothing
  about people it cannot tell apart: one shared server-side list would show every visitor's
  questions to every other.
- ``ServerShelf``: one folder per signed-in user under ``Settings.chats_dir``, when
  ``ui_auth`` is on. Logged-in chats follow the user to another browser and survive cleared
  site data; the user is known, so the chats can be theirs alone.

Kept small on purpose, so a long conversation stays fast to save and to reopen: source
cards only for the newest ``CARDS_KEPT`` turns (older citations still read in the chat and
the export), at most ``MAX_CHATS`` chats (the least recently used goes first), and a browser
shelf under ``BROWSER_BYTES`` (localStorage allows about 5 MB per site).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Protocol

from assistant.records import Hit
from assistant.ui.cards import Turn

__all__ = [
    "BROWSER_BYTES",
    "CARDS_KEPT",
    "MAX_CHATS",
    "MAX_TITLE",
    "BrowserShelf",
    "ChatShelf",
    "ChatSummary",
    "SavedChat",
    "ServerShelf",
    "chat_markdown",
    "markdown_filename",
    "title_of",
    "turn_from_json",
    "turn_to_json",
]

MAX_CHATS = 50
CARDS_KEPT = 3
MAX_TITLE = 80
BROWSER_BYTES = 3_000_000  # JSON characters; encryption in the browser adds about a third
_ID = re.compile(r"^[0-9a-f]{32}$")


def title_of(question: str) -> str:
    """A chat's title from its first question: one line, at most ``MAX_TITLE`` characters."""
    text = " ".join((question or "").split())
    if len(text) <= MAX_TITLE:
        return text or "New chat"
    return text[: MAX_TITLE - 1].rstrip() + "…"


# ------------------------------------------------------------------ turns as JSON

def _hit_to_json(hit: Hit) -> dict[str, Any]:
    data = asdict(hit)
    data["date"] = hit.date.isoformat() if hit.date else None
    return data


def _hit_from_json(data: Mapping[str, Any]) -> Hit:
    names = {f.name for f in fields(Hit)}
    values = {k: v for k, v in data.items() if k in names}
    values["date"] = date.fromisoformat(values["date"]) if values.get("date") else None
    return Hit(**values)


def turn_to_json(turn: Turn, cards: bool = True) -> dict[str, Any]:
    """``turn`` as JSON; without ``cards`` only its question (an older turn of a long chat)."""
    data: dict[str, Any] = {"turn": turn.turn, "question": turn.question, "done": True,
                            "refused": turn.refused, "gaps": list(turn.gaps)}
    if cards:
        data.update(passages=[_hit_to_json(h) for h in turn.passages],
                    quotes={str(n): list(q) for n, q in turn.quotes.items()},
                    cited=sorted(turn.cited), unverified=sorted(turn.unverified))
    return data


def turn_from_json(data: Mapping[str, Any]) -> Turn:
    return Turn(int(data["turn"]), str(data.get("question", "")),
                tuple(_hit_from_json(h) for h in data.get("passages", ())),
                {int(n): list(q) for n, q in (data.get("quotes") or {}).items()},
                frozenset(int(n) for n in data.get("cited", ())),
                frozenset(int(n) for n in data.get("unverified", ())),
                bool(data.get("refused")), True, tuple(data.get("gaps", ())))


# ------------------------------------------------------------------ the record

@dataclass(frozen=True)
class ChatSummary:
    """One line of the saved-chats list."""

    id: str
    title: str
    updated: float
    questions: int

    def label(self, now: float | None = None) -> str:
        when = datetime.fromtimestamp(self.updated, timezone.utc)
        today = datetime.fromtimestamp(now or time.time(), timezone.utc).date()
        stamp = f"{when:%H:%M}" if when.date() == today else f"{when:%d %b %Y}"
        return f"{self.title} · {stamp}"


@dataclass(frozen=True)
class SavedChat:
    """One kept conversation (JSON-shaped fields, so it stores as it is)."""

    id: str
    title: str
    created: float
    updated: float
    messages: tuple[dict[str, Any], ...] = ()  # the chat as drawn: role, content
    history: tuple[dict[str, Any], ...] = ()  # what follow-ups are read against
    turns: tuple[dict[str, Any], ...] = ()  # ``turn_to_json``, cards only for the newest
    counter: int = 0
    answers: tuple[dict[str, str], ...] = field(default=())  # question, markdown

    @classmethod
    def new(cls, question: str) -> SavedChat:
        now = time.time()
        return cls(uuid.uuid4().hex, title_of(question), now, now)

    @property
    def summary(self) -> ChatSummary:
        return ChatSummary(self.id, self.title, self.updated, len(self.answers))

    def to_json(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SavedChat:
        """A chat read back; ValueError for one that is not a saved chat."""
        try:
            chat_id = str(data["id"])
            if not _ID.match(chat_id):
                raise ValueError(f"not a chat id: {chat_id[:40]!r}")
            return cls(chat_id, str(data.get("title") or "New chat")[:MAX_TITLE],
                       float(data.get("created", 0)), float(data.get("updated", 0)),
                       tuple(dict(m) for m in data.get("messages", ())),
                       tuple(dict(m) for m in data.get("history", ())),
                       tuple(dict(t) for t in data.get("turns", ())),
                       int(data.get("counter", 0)),
                       tuple({"question": str(a.get("question", "")),
                              "markdown": str(a.get("markdown", ""))}
                             for a in data.get("answers", ())))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a saved chat: {exc}") from exc

    def with_turns(self, turns: Sequence[Turn]) -> SavedChat:
        """This chat keeping ``turns``: cards for the newest ``CARDS_KEPT`` only."""
        keep = len(turns) - CARDS_KEPT
        return replace(self, turns=tuple(turn_to_json(t, cards=i >= keep)
                                         for i, t in enumerate(turns)))

    def with_answer(self, question: str, markdown: str, asked: int) -> SavedChat:
        """This chat with its ``asked``-th answer (1-based) set: a new answer is appended,
        one asked again (a filter lifted, a period picked) replaces the last."""
        answers = [*self.answers[: max(asked - 1, 0)], {"question": question,
                                                        "markdown": markdown}]
        return replace(self, answers=tuple(answers))

    def restored_turns(self) -> list[Turn]:
        return [turn_from_json(t) for t in self.turns]


def chat_markdown(chat: SavedChat) -> str:
    """The whole conversation as Markdown: each question, then its answer and references."""
    day = datetime.fromtimestamp(chat.updated or time.time(), timezone.utc)
    asked = len(chat.answers)
    parts = [f"# {_md_line(chat.title)}", f"_Exported from the blog archive assistant, "
             f"{day:%d %B %Y}; {asked} question{'' if asked == 1 else 's'}._"]
    for a in chat.answers:
        parts += [f"## {_md_line(a['question'])}", a["markdown"].strip() or "_No answer._"]
    return "\n\n".join(parts) + "\n"


def _md_line(text: str) -> str:
    """One line of a heading: newlines folded, a leading "#" or HTML escaped."""
    line = " ".join(str(text).split())
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", line) or "Untitled"


def markdown_filename(chat: SavedChat) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", chat.title).strip("-").lower()[:60] or "chat"
    return f"{stem}.md"


# ------------------------------------------------------------------ where chats are kept

class ChatShelf(Protocol):
    """Where one person's chats are kept."""

    def list(self) -> list[ChatSummary]: ...
    def get(self, chat_id: str) -> SavedChat | None: ...
    def put(self, chat: SavedChat) -> None: ...
    def rename(self, chat_id: str, title: str) -> SavedChat | None: ...
    def delete(self, chat_id: str) -> bool: ...


class BrowserShelf:
    """Chats in the browser's ``BrowserState`` value ``{"chats": {id: chat}}``: the
    callbacks get it, change it here, and hand ``value`` back to be stored."""

    def __init__(self, value: Any):
        chats = value.get("chats") if isinstance(value, dict) else None
        self.value: dict[str, Any] = {"chats": {}}
        for data in (chats or {}).values() if isinstance(chats, dict) else ():
            try:
                chat = SavedChat.from_json(data)
            except ValueError:
                continue  # a damaged entry is dropped, not fatal to the rest
            self.value["chats"][chat.id] = chat.to_json()

    def list(self) -> list[ChatSummary]:
        chats = [SavedChat.from_json(c).summary for c in self.value["chats"].values()]
        return sorted(chats, key=lambda s: s.updated, reverse=True)

    def get(self, chat_id: str) -> SavedChat | None:
        data = self.value["chats"].get(chat_id or "")
        return SavedChat.from_json(data) if data else None

    def put(self, chat: SavedChat) -> None:
        chats = self.value["chats"]
        data = chat.to_json()
        if _size({chat.id: data}) > BROWSER_BYTES:  # would push every other chat out
            raise ValueError("it is too long to keep in this browser")
        chats[chat.id] = data
        # the least recently used go first: over the count, then over the size
        order = sorted(chats, key=lambda i: chats[i].get("updated", 0))
        while len(chats) > MAX_CHATS or (len(chats) > 1 and _size(chats) > BROWSER_BYTES):
            chats.pop(order.pop(0) if order[0] != chat.id else order.pop(1))

    def rename(self, chat_id: str, title: str) -> SavedChat | None:
        chat = self.get(chat_id)
        if chat is None:
            return None
        chat = replace(chat, title=title_of(title))
        self.value["chats"][chat.id] = chat.to_json()
        return chat

    def delete(self, chat_id: str) -> bool:
        return self.value["chats"].pop(chat_id or "", None) is not None


def _size(chats: Mapping[str, Any]) -> int:
    return len(json.dumps(chats, ensure_ascii=False))


class ServerShelf:
    """One signed-in user's chats: ``<root>/<sha256(user)[:32]>/<id>.json``, each written
    atomically (temporary file, then rename), so a crash mid-save loses at most that save."""

    _locks: ClassVar[dict[str, threading.Lock]] = {}  # one per folder: saves never interleave
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, root: Path, user: str):
        if not user:
            raise ValueError("a server-side shelf needs a signed-in user")
        self.folder = Path(root) / hashlib.sha256(user.encode()).hexdigest()[:32]
        with self._guard:
            self.lock = self._locks.setdefault(str(self.folder), threading.Lock())

    def _path(self, chat_id: str) -> Path | None:
        return self.folder / f"{chat_id}.json" if _ID.match(chat_id or "") else None

    def _read(self, path: Path) -> SavedChat | None:
        try:
            return SavedChat.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None  # a damaged file is left for the owner, not shown

    def list(self) -> list[ChatSummary]:
        chats = [c.summary for p in self.folder.glob("*.json") if (c := self._read(p))]
        return sorted(chats, key=lambda s: s.updated, reverse=True)

    def get(self, chat_id: str) -> SavedChat | None:
        path = self._path(chat_id)
        return self._read(path) if path and path.exists() else None

    def put(self, chat: SavedChat) -> None:
        path = self._path(chat.id)
        if path is None:
            raise ValueError("not a chat id")
        with self.lock:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(chat.to_json(), out, ensure_ascii=False)
            os.replace(tmp, path)
            for old in self.list()[MAX_CHATS:]:
                if old.id != chat.id:
                    self._path(old.id).unlink(missing_ok=True)

    def rename(self, chat_id: str, title: str) -> SavedChat | None:
        chat = self.get(chat_id)
        if chat is None:
            return None
        chat = replace(chat, title=title_of(title))
        self.put(chat)
        return chat

    def delete(self, chat_id: str) -> bool:
        path = self._path(chat_id)
        with self.lock:
            if path and path.exists():
                path.unlink()
                return True
        return False
