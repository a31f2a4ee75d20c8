"""The saved-chats sidebar's callbacks: keep each answer, list, reopen, rename, delete, and
export the open chat as Markdown (where chats are kept: ``conversations``).

Each callback gets the browser shelf's value and the request: with a signed-in user the
server-side shelf is used and the browser value is passed over untouched (``gr.skip``).
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.settings import Settings
from assistant.ui.cards import render_sources
from assistant.ui.conversations import (
    BrowserShelf,
    ChatShelf,
    SavedChat,
    ServerShelf,
    chat_markdown,
    markdown_filename,
)

__all__ = ["STORAGE_KEY", "SavedChats", "browser_secret"]

log = logging.getLogger("assistant.ui")

STORAGE_KEY = "blog-archive-assistant-chats"
_SECRET_FILE = "ui-browser-state.key"


def browser_secret(settings: Settings) -> str:
    """The key the browser's saved chats are encrypted with, kept in the cache folder: one
    made per start (Gradio's default) would make every browser's chats unreadable after a
    restart. It only keeps the stored text opaque (the page hands it to the browser)."""
    path = Path(settings.cache_dir) / _SECRET_FILE
    try:
        secret = path.read_text().strip()
        if len(secret) >= 16:
            return secret
    except OSError:
        pass
    secret = secrets.token_urlsafe(24)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secret)
        path.chmod(0o600)
    except OSError as exc:  # read-only install: chats last until the next restart
        log.warning("could not keep the saved-chats key in %s: %s", path, exc)
    return secret


class SavedChats:
    """The sidebar's callbacks for one page."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.server_side = bool(str(settings.ui_auth or ""))

    def shelf(self, value: Any, request: gr.Request | None) -> ChatShelf:
        user = getattr(request, "username", None) if request is not None else None
        if self.server_side and user:
            return ServerShelf(Path(self.settings.chats_dir), str(user))
        return BrowserShelf(value)

    def _stored(self, shelf: ChatShelf):
        """The browser value to store (skipped when the server keeps the chats)."""
        return shelf.value if isinstance(shelf, BrowserShelf) else gr.skip()

    @staticmethod
    def _list(shelf: ChatShelf, selected: str | None):
        summaries = shelf.list()
        choices = [(s.label(), s.id) for s in summaries]
        ids = {s.id for s in summaries}
        return gr.update(choices=choices, value=selected if selected in ids else None)

    @staticmethod
    def _export(chat: SavedChat | None):
        if chat is None or not chat.answers:
            return gr.update(value=None, interactive=False)
        # one folder per chat, rewritten at each answer: a fresh one each time left a
        # folder behind per answer
        folder = Path(tempfile.gettempdir()) / "blog-archive-exports" / chat.id
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.md"):  # a renamed chat's file has a new name
            old.unlink(missing_ok=True)
        path = folder / markdown_filename(chat)
        path.write_text(chat_markdown(chat), encoding="utf-8")
        return gr.update(value=str(path), interactive=True)

    # -------------------------------------------------------------- callbacks

    def keep(self, chat_id, chat, history, turns, counter, markdown, asked, value,  # noqa: PLR0913 (Gradio passes inputs positionally)
             request: gr.Request):
        """After an answer: save the open chat (a new one is created on its first answer).
        Outputs: chat id, browser value, list, title box, export button."""
        history = list(history or [])
        question = (asked or {}).get("question") if isinstance(asked, dict) else None
        if not question or len(history) < 2 or not markdown:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        shelf = self.shelf(value, request)
        saved = shelf.get(chat_id) if chat_id else None
        saved = saved or SavedChat.new(history[0].get("content", question))
        saved = replace(saved, messages=tuple(chat or ()), history=tuple(history),
                        counter=int(counter or 0), updated=time.time())
        saved = saved.with_turns(list(turns or [])).with_answer(question, markdown,
                                                                len(history) // 2)
        try:
            shelf.put(saved)
        except (OSError, ValueError) as exc:
            log.warning("could not save the chat: %s", exc)
            gr.Warning(f"This chat could not be saved: {exc}")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return (saved.id, self._stored(shelf), self._list(shelf, saved.id), saved.title,
                self._export(saved))

    def opened(self, chat: SavedChat | None, shelf: ChatShelf) -> tuple:
        """Outputs of opening ``chat`` (None: an empty new chat): chatbot, history, turns,
        counter, sources, chat id, list, title box, export button."""
        if chat is None:
            return ([], [], [], 0, render_sources([]), None, self._list(shelf, None), "",
                    self._export(None))
        turns = chat.restored_turns()
        return (list(chat.messages), list(chat.history), turns, chat.counter,
                render_sources(turns), chat.id, self._list(shelf, chat.id), chat.title,
                self._export(chat))

    def load(self, value, request: gr.Request):
        """Page load: the list, and the most recent chat reopened."""
        shelf = self.shelf(value, request)
        summaries = shelf.list()
        chat = shelf.get(summaries[0].id) if summaries else None
        return self.opened(chat, shelf)

    def open(self, chat_id, value, request: gr.Request):
        shelf = self.shelf(value, request)
        if not chat_id:
            return (gr.skip(),) * 9
        chat = shelf.get(chat_id)
        if chat is None:
            gr.Warning("That chat is no longer saved.")
        return self.opened(chat, shelf)

    def rename(self, chat_id, title, value, request: gr.Request):
        """Outputs: browser value, list, title box."""
        shelf = self.shelf(value, request)
        title = " ".join(str(title or "").split())
        if not chat_id:
            gr.Info("Ask a question first: a chat is saved with its first answer.")
            return gr.skip(), gr.skip(), ""
        if not title:
            gr.Warning("A chat's name cannot be empty.")
            return gr.skip(), gr.skip(), gr.skip()
        chat = shelf.rename(chat_id, title)
        if chat is None:
            gr.Warning("That chat is no longer saved.")
            return gr.skip(), self._list(shelf, None), gr.skip()
        return self._stored(shelf), self._list(shelf, chat.id), chat.title

    def delete(self, chat_id, value, request: gr.Request):
        """Delete the open chat and show an empty one. Outputs: browser value, then
        ``opened``'s."""
        shelf = self.shelf(value, request)
        if chat_id and shelf.delete(chat_id):
            gr.Info("Chat deleted.")
        return (self._stored(shelf), *self.opened(None, shelf))

    def new(self, value, request: gr.Request):
        """A new empty chat (the list keeps the others)."""
        return self.opened(None, self.shelf(value, request))
