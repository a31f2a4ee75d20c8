"""Saved conversations: the records and shelves of ``conversations`` and the sidebar's
callbacks of ``saved``, called as Gradio calls them, over a real index and the real
extractive ``Assistant``."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from markdown_it import MarkdownIt

from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.ui import conversations
from assistant.ui.cards import Turn
from assistant.ui.chat import ChatHandlers
from assistant.ui.conversations import (
    CARDS_KEPT,
    MAX_CHATS,
    MAX_TITLE,
    BrowserShelf,
    ChatSummary,
    SavedChat,
    ServerShelf,
    chat_markdown,
    markdown_filename,
    title_of,
    turn_from_json,
    turn_to_json,
)
from assistant.ui.saved import SavedChats
from tests.ingest.test_wxr import comment, item, wxr
from tests.ui.helpers import EVIL, EVIL_IMG, filters_index, hit, real_assistant

# k, since, until, kind, author, backend choice, model, url, gguf (``Options.controls``)
CONTROLS = (3, "", "", "Both", "", "Extractive", "", "", "")
SKIP = gr.skip()
ASK = "What did the union say about the pay offer?"


@pytest.fixture(autouse=True)
def _exports_in_tmp(tmp_path, monkeypatch):
    """The export button's files go under this test's folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.fixture(scope="module")
def pay_index(tmp_path_factory) -> Settings:
    return filters_index(tmp_path_factory.mktemp("pay"))


@pytest.fixture(scope="module")
def email_index(tmp_path_factory) -> Settings:
    """A WordPress export whose commenters typed their email into a comment and a name."""
    root = tmp_path_factory.mktemp("wxr")
    corpus = root / "corpus"
    corpus.mkdir()
    replies = (comment(1, author="Rosa", text="Our greenhouse tomatoes split; mail me at "
                                              "rosa.grower@mail.example about tomatoes.")
               + comment(2, author="tom.dig@mail.example",
                         text="Greenhouse tomatoes need steady watering."))
    (corpus / "blog.xml").write_text(wxr(item(1, title="Greenhouse Tomatoes",
                                              body="The greenhouse tomatoes ripened early.",
                                              comments=replies)))
    settings = Settings.from_env(corpus_dir=corpus, index_dir=root / "index",
                                 embedding_model=FakeEmbedder.model_id, backend="extractive")
    build_index(corpus, settings.index_dir, settings=settings, embedder=FakeEmbedder())
    return settings


class Page:
    """One visitor's page: the conversation's states and the browser's saved value, changed
    by the callbacks as Gradio would change them (a ``gr.skip()`` leaves a value as it is)."""

    def __init__(self, settings: Settings, request: Any = None, value: Any = None):
        self.chat = ChatHandlers(real_assistant(settings), settings)
        self.saved = SavedChats(settings)
        self.request = request
        self.value = {"chats": {}} if value is None else value
        self.chatbot: list = []
        self.history: list = []
        self.turns: list = []
        self.counter = 0
        self.chat_id: str | None = None
        self.listed: list = []
        self.selected: str | None = None
        self.title = ""
        self.download: Any = None

    def ask(self, question: str):
        """Ask, stream the answer, then keep the chat (``_wire_chat``'s ``answered``)."""
        _, self.chatbot, question = ChatHandlers.add_user(question, self.chatbot)
        last = list(self.chat.respond(question, self.chatbot, self.history, self.turns,
                                      self.counter, *CONTROLS))[-1]
        self.chatbot, _, self.history, self.turns, self.counter, markdown = last[:6]
        asked = last[-1]
        out = self.saved.keep(self.chat_id, self.chatbot, self.history, self.turns,
                              self.counter, markdown, asked, self.value, self.request)
        assert len(out) == 5
        self._set("chat_id", out[0])
        self._set("value", out[1])
        self._listed(out[2])
        self._set("title", out[3])
        self._set("download", out[4])
        return out

    def _set(self, name: str, update: Any) -> None:
        if update != SKIP:
            setattr(self, name, update)

    def _listed(self, update: Any) -> None:
        if update != SKIP:
            self.listed = list(update["choices"])
            self.selected = update["value"]

    def opened(self, out: tuple) -> tuple:
        """Apply ``SavedChats.opened``'s nine outputs."""
        assert len(out) == 9
        if out[0] == SKIP:
            return out
        (self.chatbot, self.history, self.turns, self.counter, _sources, self.chat_id,
         listing, self.title, self.download) = out
        self._listed(listing)
        return out

    def load(self):
        return self.opened(self.saved.load(self.value, self.request))

    def open(self, chat_id):
        return self.opened(self.saved.open(chat_id, self.value, self.request))

    def new(self):
        return self.opened(self.saved.new(self.value, self.request))

    def rename(self, title):
        out = self.saved.rename(self.chat_id, title, self.value, self.request)
        self._set("value", out[0])
        self._listed(out[1])
        self._set("title", out[2])
        return out

    def delete(self):
        out = self.saved.delete(self.chat_id, self.value, self.request)
        self._set("value", out[0])
        return self.opened(out[1:])

    def ids(self) -> list[str]:
        return [chat_id for _, chat_id in self.listed]

    def fresh(self) -> Page:
        """The same visitor on a reloaded page: new states, the same saved value."""
        return Page(self.chat.settings, self.request, self.value)


def _chat(n: int, *, updated: float | None = None, size: int = 0,
          title: str = "") -> SavedChat:
    """A made-up saved chat: id ``n`` in hex, updated at ``n`` (or ``updated``), with one
    answer padded to about ``size`` characters."""
    when = float(n if updated is None else updated)
    return SavedChat(f"{n:032x}", title or f"Chat {n}", when, when,
                     messages=({"role": "user", "content": f"q{n}"},
                               {"role": "assistant", "content": "x" * size}),
                     answers=({"question": f"q{n}", "markdown": "x" * size},))


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _auth(settings: Settings, chats_dir: Path) -> Settings:
    return replace(settings, ui_auth="admin:secret", chats_dir=chats_dir)


# ------------------------------------------------------------------ the browser shelf


def test_a_kept_chat_reopens_on_reload_with_its_messages_and_cards(pay_index):
    page = Page(pay_index)
    page.ask(ASK)
    page.ask("And what did readers say about frozen pay?")
    chat_id, messages, history = page.chat_id, list(page.chatbot), list(page.history)
    turns = list(page.turns)
    assert chat_id and page.title == ASK and page.ids() == [chat_id]
    assert page.selected == chat_id
    assert page.download["interactive"] is True
    assert Path(page.download["value"]).read_text(encoding="utf-8").startswith(f"# {ASK}")
    assert json.loads(json.dumps(page.value)) == page.value  # storable as it is

    reloaded = page.fresh()
    out = reloaded.load()
    assert reloaded.chat_id == chat_id and reloaded.title == ASK
    assert reloaded.chatbot == messages and reloaded.history == history
    assert reloaded.counter == 2 == page.counter
    assert reloaded.turns == turns  # both are newest turns: every card comes back
    assert all(isinstance(t, Turn) and t.passages and t.done for t in reloaded.turns)
    assert 'class="src-card' in out[4] and "Pay Talks Stall" in out[4]
    assert reloaded.selected == chat_id


def test_only_the_newest_turns_keep_their_cards(pay_index):
    page = Page(pay_index)
    questions = [ASK, "What did readers say about frozen pay?", "Why is staff leaving?",
                 "What did Napo members say?", "What did the employers offer?"]
    for question in questions:
        page.ask(question)
    assert len(page.turns) == len(questions) > CARDS_KEPT
    reloaded = page.fresh()
    reloaded.load()
    assert [t.question for t in reloaded.turns] == questions
    old, new = reloaded.turns[:-CARDS_KEPT], reloaded.turns[-CARDS_KEPT:]
    assert all(t.passages == () and not t.cited and not t.quotes for t in old)
    assert new == page.turns[-CARDS_KEPT:]
    # the older answers still read in full: the chat as drawn and the export
    assert reloaded.chatbot == page.chatbot
    saved = BrowserShelf(page.value).get(page.chat_id)
    assert [a["question"] for a in saved.answers] == questions
    assert "Pay Talks Stall" in saved.answers[0]["markdown"]


def test_the_list_is_newest_first_and_open_switches_chats(pay_index):
    page = Page(pay_index)
    page.ask(ASK)
    first = page.chat_id
    page.new()
    assert page.chat_id is None and page.chatbot == [] and page.turns == []
    assert page.selected is None and page.ids() == [first]  # New keeps the others
    page.ask("What did readers say about frozen pay?")
    second = page.chat_id
    assert second != first and page.ids() == [second, first]

    page.open(first)
    assert page.chat_id == first and page.title == ASK and page.selected == first
    assert page.history[0]["content"] == ASK
    page.ask("What did the employers offer?")  # a follow-up makes it the newest again
    assert page.chat_id == first and page.ids() == [first, second]
    assert len(BrowserShelf(page.value).get(first).answers) == 2
    assert page.counter == 2

    reloaded = page.fresh()
    reloaded.load()
    assert reloaded.chat_id == first  # the most recent chat is reopened


def test_open_of_a_chat_that_is_gone_shows_an_empty_chat(pay_index):
    page = Page(pay_index)
    page.ask(ASK)
    with pytest.warns(UserWarning, match="no longer saved"):
        page.open("f" * 32)
    assert page.chat_id is None and page.chatbot == [] and page.ids() != []
    assert page.saved.open(None, page.value, None) == (SKIP,) * 9


def test_rename_changes_the_title_and_the_list(pay_index):
    page = Page(pay_index)
    page.ask(ASK)
    out = page.rename("  Pay   offer\n2016 ")
    assert page.title == "Pay offer 2016" and page.listed[0][0].startswith("Pay offer 2016 · ")
    assert BrowserShelf(out[0]).get(page.chat_id).title == "Pay offer 2016"
    page.rename("x" * 200)
    assert len(page.title) == MAX_TITLE and page.title.endswith("…")
    with pytest.warns(UserWarning, match="cannot be empty"):
        assert page.rename("   ") == (SKIP, SKIP, SKIP)
    assert len(BrowserShelf(page.value).get(page.chat_id).title) == MAX_TITLE
    # the next answer keeps the new name
    page.ask("What did the employers offer?")
    assert page.title == BrowserShelf(page.value).get(page.chat_id).title
    assert page.title.startswith("xxx")
    # nothing saved yet: nothing to rename
    assert page.saved.rename(None, "Name", page.value, None) == (SKIP, SKIP, "")


def test_delete_removes_the_open_chat_only(pay_index):
    page = Page(pay_index)
    page.ask(ASK)
    kept = page.chat_id
    page.new()
    page.ask("What did readers say about frozen pay?")
    gone = page.chat_id
    page.delete()
    assert page.chat_id is None and page.chatbot == [] and page.history == []
    assert page.ids() == [kept] and set(page.value["chats"]) == {kept}
    assert BrowserShelf(page.value).get(gone) is None
    assert page.download == {"value": None, "interactive": False, "__type__": "update"}
    # deleting nothing changes nothing
    before = json.dumps(page.value, sort_keys=True)
    page.delete()
    assert json.dumps(page.value, sort_keys=True) == before


def test_an_unanswered_question_is_not_kept(pay_index):
    saved = SavedChats(pay_index)
    value = {"chats": {}}
    chat = [{"role": "user", "content": "pay?"}]
    assert saved.keep(None, chat, [], [], 1, "", {"question": "pay?"}, value, None) \
        == (SKIP,) * 5
    history = [{"role": "user", "content": "pay?"}, {"role": "assistant", "content": "a"}]
    assert saved.keep(None, chat, history, [], 1, "", {"question": "pay?"}, value,
                      None) == (SKIP,) * 5  # no Markdown: the stream stopped
    assert saved.keep(None, chat, history, [], 1, "a", None, value, None) == (SKIP,) * 5
    assert value == {"chats": {}}


def test_a_damaged_browser_value_keeps_the_good_chats():
    good = _chat(1).to_json()
    value = {"chats": {"bad": {"id": "../../etc/passwd"}, "worse": "text", "none": None,
                       good["id"]: good, "odd": {"id": "a" * 32, "messages": 5}}}
    shelf = BrowserShelf(value)
    assert [s.id for s in shelf.list()] == [good["id"]]
    assert shelf.get(good["id"]) == _chat(1)
    for junk in (None, [], "x", {"chats": []}, {"chats": "x"}, {}):
        assert BrowserShelf(junk).list() == [] and BrowserShelf(junk).value == {"chats": {}}


def test_the_browser_shelf_drops_the_least_recent_past_max_chats():
    shelf = BrowserShelf({"chats": {}})
    for n in range(1, MAX_CHATS + 3):
        shelf.put(_chat(n))
    listed = [s.id for s in shelf.list()]
    assert len(listed) == MAX_CHATS
    assert listed == [f"{n:032x}" for n in range(MAX_CHATS + 2, 2, -1)]  # 1 and 2 went
    # a chat saved again (a follow-up) counts as recent and is kept
    shelf.put(replace(shelf.get(f"{3:032x}"), updated=1000.0))
    shelf.put(_chat(2000))
    assert f"{3:032x}" in shelf.value["chats"] and f"{4:032x}" not in shelf.value["chats"]
    assert shelf.list()[0].id == f"{2000:032x}"


def test_the_browser_shelf_stays_under_its_size(monkeypatch):
    monkeypatch.setattr(conversations, "BROWSER_BYTES", 10_000)
    shelf = BrowserShelf({"chats": {}})
    for n in range(1, 5):  # about 2,300 characters each
        shelf.put(_chat(n, size=1_000))
    assert len(shelf.list()) == 4
    shelf.put(_chat(5, size=1_000))  # five would not fit: the oldest goes
    assert len(json.dumps(shelf.value["chats"], ensure_ascii=False)) <= 10_000
    assert [s.id for s in shelf.list()] == [f"{n:032x}" for n in (5, 4, 3, 2)]
    shelf.put(_chat(6, size=3_000))  # one three times as long takes the room of three
    assert [s.id for s in shelf.list()] == [f"{n:032x}" for n in (6, 5)]


def test_a_chat_too_big_for_the_browser_is_refused_not_kept_at_the_others_cost(
        monkeypatch, pay_index):
    monkeypatch.setattr(conversations, "BROWSER_BYTES", 10_000)
    shelf = BrowserShelf({"chats": {}})
    for n in range(1, 4):
        shelf.put(_chat(n, size=1_000))
    with pytest.raises(ValueError, match="too long"):
        shelf.put(_chat(4, size=20_000))
    assert [s.id for s in shelf.list()] == [f"{n:032x}" for n in (3, 2, 1)]

    # through the callback: a warning, and the browser's value is left as it was
    page = Page(pay_index, value=shelf.value)
    before = json.dumps(page.value, sort_keys=True)
    monkeypatch.setattr(conversations, "BROWSER_BYTES", 1_500)  # a real answer is longer
    with pytest.warns(UserWarning, match="could not be saved"):
        out = page.ask(ASK)
    assert out == (SKIP,) * 5
    assert page.chat_id is None and json.dumps(page.value, sort_keys=True) == before


# ------------------------------------------------------------------ the server shelf


def test_signed_in_users_each_see_only_their_own_chats(pay_index, tmp_path):
    settings = _auth(pay_index, tmp_path / "chats")
    alice = Page(settings, gr.Request(username="alice"))
    bob = Page(settings, gr.Request(username="bob"))
    alice.ask(ASK)
    bob.ask("What did readers say about frozen pay?")
    bobs = bob.chat_id
    assert alice.value == {"chats": {}} == bob.value  # nothing kept in the browser
    assert alice.ids() == [alice.chat_id] and bob.ids() == [bob.chat_id]

    folders = sorted(p.name for p in (tmp_path / "chats").iterdir())
    assert len(folders) == 2 and all(len(f) == 32 for f in folders)
    assert not any("alice" in str(p) or "bob" in str(p) for p in _files(tmp_path / "chats"))

    # Bob cannot open, rename or delete Alice's chat by its id
    with pytest.warns(UserWarning, match="no longer saved"):
        bob.open(alice.chat_id)
    assert bob.chat_id is None and bob.chatbot == [] and alice.chat_id not in bob.ids()
    assert bob.saved.delete(alice.chat_id, bob.value, bob.request)[0] == SKIP
    with pytest.warns(UserWarning, match="no longer saved"):
        bob.saved.rename(alice.chat_id, "mine", bob.value, bob.request)
    assert ServerShelf(settings.chats_dir, "alice").get(alice.chat_id).title == ASK

    # after a restart (new callbacks, new shelves) each finds their own
    again = Page(settings, gr.Request(username="alice"))
    again.load()
    assert again.chat_id == alice.chat_id and again.chatbot == alice.chatbot
    assert again.turns == alice.turns and again.history == alice.history
    assert [s.id for s in ServerShelf(settings.chats_dir, "bob").list()] == [bobs]


def test_without_a_user_name_the_browser_keeps_the_chats(pay_index, tmp_path):
    settings = _auth(pay_index, tmp_path / "chats")
    page = Page(settings, gr.Request())  # no username: not signed in
    page.ask(ASK)
    assert list(page.value["chats"]) == [page.chat_id]
    assert not (tmp_path / "chats").exists()
    # and without ui_auth a user name does not move the chats to the server
    page = Page(replace(settings, ui_auth=""), gr.Request(username="alice"))
    page.ask(ASK)
    assert list(page.value["chats"]) == [page.chat_id]
    assert not (tmp_path / "chats").exists()


def test_server_side_rename_delete_and_new(pay_index, tmp_path):
    settings = _auth(pay_index, tmp_path / "chats")
    page = Page(settings, gr.Request(username="carol"))
    page.ask(ASK)
    first = page.chat_id
    assert page.rename("Pay offer") == (SKIP, page.saved._list(
        ServerShelf(settings.chats_dir, "carol"), first), "Pay offer")
    assert ServerShelf(settings.chats_dir, "carol").get(first).title == "Pay offer"
    page.new()
    page.ask("What did readers say about frozen pay?")
    second = page.chat_id
    assert page.ids() == [second, first]
    page.delete()
    assert page.chat_id is None and page.ids() == [first]
    shelf = ServerShelf(settings.chats_dir, "carol")
    assert shelf.get(second) is None and [s.title for s in shelf.list()] == ["Pay offer"]
    assert not list(shelf.folder.glob("*.tmp"))


def test_the_server_shelf_survives_a_restart_and_caps_its_chats(tmp_path):
    shelf = ServerShelf(tmp_path, "dave")
    for n in range(1, MAX_CHATS + 3):
        shelf.put(_chat(n))
    restarted = ServerShelf(tmp_path, "dave")
    listed = [s.id for s in restarted.list()]
    assert listed == [f"{n:032x}" for n in range(MAX_CHATS + 2, 2, -1)]
    assert len(list(restarted.folder.glob("*.json"))) == MAX_CHATS
    assert restarted.get(f"{1:032x}") is None
    assert restarted.get(listed[0]) == _chat(MAX_CHATS + 2)
    assert not list(restarted.folder.glob("*.tmp"))
    assert restarted.delete(listed[0]) and not restarted.delete(listed[0])


@pytest.mark.parametrize("hostile", ["../x", "../../" + "a" * 32, "/etc/passwd",
                                     "a" * 5000, "A" * 32, f"{1:032x}/../../x", "", "."])
def test_hostile_chat_ids_are_refused(tmp_path, hostile):
    root = tmp_path / "chats"
    shelf = ServerShelf(root, "eve")
    shelf.put(_chat(1))
    before = _files(tmp_path)
    with pytest.raises(ValueError, match="not a chat id"):
        shelf.put(replace(_chat(2), id=hostile))
    assert shelf.get(hostile) is None
    assert shelf.rename(hostile, "t") is None
    assert shelf.delete(hostile) is False
    assert _files(tmp_path) == before
    assert BrowserShelf({"chats": {"k": {**_chat(3).to_json(), "id": hostile}}}).list() == []
    with pytest.raises(ValueError, match="not a chat id"):
        SavedChat.from_json({**_chat(3).to_json(), "id": hostile})


def test_hostile_ids_through_the_callbacks_touch_no_file(pay_index, tmp_path):
    settings = _auth(pay_index, tmp_path / "chats")
    page = Page(settings, gr.Request(username="eve"))
    page.ask(ASK)
    outside = tmp_path / "x.json"
    outside.write_text("{}")
    before = {p: p.read_bytes() for p in _files(tmp_path)}
    for hostile in ("../x", "../../x", "a" * 5000):
        with pytest.warns(UserWarning, match="no longer saved"):
            page.saved.open(hostile, page.value, page.request)
        with pytest.warns(UserWarning, match="no longer saved"):
            page.saved.rename(hostile, "t", page.value, page.request)
        page.saved.delete(hostile, page.value, page.request)
    assert {p: p.read_bytes() for p in _files(tmp_path)} == before


def test_user_names_are_hashed_into_the_chats_folder(tmp_path):
    root = tmp_path / "chats"
    for user in ("../../evil", "/etc", "a" * 5000, "ünï cødé"):
        shelf = ServerShelf(root, user)
        shelf.put(_chat(1))
        assert shelf.folder.parent == root and len(shelf.folder.name) == 32
    assert all(p.is_relative_to(root) for p in _files(tmp_path))
    assert ServerShelf(root, "Alice").folder != ServerShelf(root, "alice").folder
    with pytest.raises(ValueError, match="signed-in user"):
        ServerShelf(root, "")


def test_a_corrupt_file_is_skipped_and_the_rest_listed(tmp_path):
    shelf = ServerShelf(tmp_path, "frank")
    for n in (1, 2):
        shelf.put(_chat(n))
    bad = {f"{7:032x}": "{not json", f"{8:032x}": "[1, 2]", f"{9:032x}": "null",
           f"{10:032x}": json.dumps({**_chat(10).to_json(), "id": "../x"}),
           f"{11:032x}": json.dumps({**_chat(11).to_json(), "counter": "many"}),
           f"{12:032x}": "\ufffd\x00"}
    for name, text in bad.items():
        (shelf.folder / f"{name}.json").write_text(text, encoding="utf-8")
    (shelf.folder / f"{13:032x}.json").write_bytes(b"\xff\xfe\x00garbage")
    assert [s.id for s in shelf.list()] == [f"{2:032x}", f"{1:032x}"]
    assert all(shelf.get(name) is None for name in bad)
    shelf.put(_chat(3))  # saving still works beside them
    assert [s.id for s in ServerShelf(tmp_path, "frank").list()] == [
        f"{n:032x}" for n in (3, 2, 1)]


def test_page_load_skips_a_corrupt_newest_file(pay_index, tmp_path):
    settings = _auth(pay_index, tmp_path / "chats")
    page = Page(settings, gr.Request(username="gina"))
    page.ask(ASK)
    folder = ServerShelf(settings.chats_dir, "gina").folder
    (folder / f"{'f' * 32}.json").write_text('{"id": "' + "f" * 32 + '", "updated": 9e99')
    again = Page(settings, gr.Request(username="gina"))
    again.load()
    assert again.chat_id == page.chat_id and again.ids() == [page.chat_id]


# ------------------------------------------------------------------ Markdown and privacy


def test_chat_markdown_holds_questions_answers_and_sources(pay_index):
    page = Page(pay_index)
    page.ask(ASK)
    page.ask("What did readers say about frozen pay?")
    chat = BrowserShelf(page.value).get(page.chat_id)
    text = chat_markdown(chat)
    assert text.startswith(f"# {ASK}\n") and "2 questions" in text
    assert f"## {ASK}" in text and "## What did readers say about frozen pay?" in text
    assert "The employers offered one per cent" in text
    cited = [t.passages[n - 1] for t in page.turns for n in sorted(t.cited)]
    assert len(cited) >= 2
    for source in cited:
        assert f"*{source.title}* — {source.date.day} {source.date:%b %Y}" in text
    assert "*Pay Talks Stall* — 7 Jun 2016" in text
    assert text.index(f"## {ASK}") < text.index("*Pay Talks Stall*") \
        < text.index("## What did readers say")
    assert Path(page.download["value"]).read_text(encoding="utf-8") == text
    assert Path(page.download["value"]).name == markdown_filename(chat)


def test_chat_markdown_lets_no_markup_through(pay_index, tmp_path):
    """A hostile title and questions, and an archive post quoting markup: the export,
    rendered by a Markdown renderer that passes HTML, holds none."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.txt").write_text(
        "Friday 7 March 2014\n\nEvil markup " + EVIL_IMG + "\n\n"
        f"This xylophone post quotes {EVIL} and {EVIL_IMG} as plain text. "
        "The xylophone committee met on Friday.\n")
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index",
                                 embedding_model=FakeEmbedder.model_id, backend="extractive")
    build_index(corpus, settings.index_dir, settings=settings, embedder=FakeEmbedder())
    page = Page(settings)
    page.ask(f"What does the xylophone post quote? {EVIL}")
    page.ask(f"# {EVIL_IMG}\n[x](javascript:alert(1)) quotes the xylophone post?")
    page.rename(f"{EVIL} <b>bold</b>")
    chat = BrowserShelf(page.value).get(page.chat_id)
    assert "xylophone" in chat.answers[0]["markdown"]
    html = MarkdownIt("commonmark", {"html": True}).render(chat_markdown(chat))
    for tag in ("<script", "<img", "<b>", 'href="javascript'):
        assert tag not in html
    assert "&lt;script&gt;" in html and "Evil markup" in html
    assert markdown_filename(chat) == "script-alert-1-script-b-bold-b.md"


def test_no_commenter_email_reaches_the_saved_chats(email_index, tmp_path):
    settings = _auth(email_index, tmp_path / "chats")
    browser = Page(email_index)
    server = Page(settings, gr.Request(username="hal"))
    for page in (browser, server):
        page.ask("What did readers say about the greenhouse tomatoes?")
        page.ask("Who wrote about steady watering of tomatoes?")
    saved = json.dumps(browser.value, ensure_ascii=False)
    on_disk = "".join(p.read_text(encoding="utf-8") for p in _files(tmp_path / "chats"))
    exports = "".join(chat_markdown(c) for c in (
        BrowserShelf(browser.value).get(browser.chat_id),
        ServerShelf(settings.chats_dir, "hal").get(server.chat_id)))
    for text in (saved, on_disk, exports):
        assert "[email]" in text and "Rosa" in text  # the comments were among the sources
        assert "@" not in text and "mail.example" not in text


# ------------------------------------------------------------------ the records


def test_turns_round_trip_through_json():
    hits = (hit(), hit("A second passage.", title="Talks", n=2, kind="comment",
                       author="Getafix", number="2", url="https://blog.example/p#c2"),
            replace(hit(n=3), date=None))
    turn = Turn(4, "pay?", hits, {1: ["frozen"], 2: ["a", "b"]}, frozenset({1, 2}),
                frozenset({2}), False, True, ("a union in 2020",))
    data = json.loads(json.dumps(turn_to_json(turn)))
    assert turn_from_json(data) == turn
    assert data["passages"][0]["date"] == "2014-03-03" and data["passages"][2]["date"] is None
    bare = turn_from_json(json.loads(json.dumps(turn_to_json(turn, cards=False))))
    assert bare == Turn(4, "pay?", refused=False, done=True, gaps=("a union in 2020",))
    refused = Turn(1, "x?", refused=True, done=False)
    assert turn_from_json(turn_to_json(refused)) == replace(refused, done=True)
    # a field a later version adds to a passage is ignored
    data["passages"][0]["new_field"] = 1
    assert turn_from_json(data).passages[0].date == date(2014, 3, 3)


def test_with_turns_keeps_cards_for_the_newest_only():
    turns = [Turn(n, f"q{n}", (hit(n=1),), {1: ["q"]}, frozenset({1}), done=True)
             for n in range(1, 6)]
    chat = SavedChat.new("q1").with_turns(turns)
    assert [("passages" in t) for t in chat.turns] == [False, False, True, True, True]
    restored = SavedChat.from_json(json.loads(json.dumps(chat.to_json()))).restored_turns()
    assert restored[2:] == turns[2:]
    assert [t.question for t in restored] == [t.question for t in turns]
    assert SavedChat.new("q").with_turns(turns[:2]).restored_turns() == turns[:2]


def test_with_answer_appends_or_replaces_the_last():
    chat = SavedChat.new("q1").with_answer("q1", "a1", 1).with_answer("q2", "a2", 2)
    assert [a["markdown"] for a in chat.answers] == ["a1", "a2"]
    again = chat.with_answer("q2", "a2 without the filter", 2)  # a chip lifted
    assert [a["markdown"] for a in again.answers] == ["a1", "a2 without the filter"]
    assert again.summary.questions == 2


def test_titles_and_summaries():
    assert title_of("  What   about\npay?  ") == "What about pay?"
    assert title_of("") == title_of("   ") == "New chat"
    long = title_of("word " * 100)
    assert len(long) == MAX_TITLE and long.endswith("…")
    chat = SavedChat.new("x" * 300)
    assert len(chat.id) == 32 and len(chat.title) == MAX_TITLE
    assert SavedChat.new("a").id != SavedChat.new("a").id
    noon = datetime(2024, 5, 6, 12, 30, tzinfo=timezone.utc).timestamp()
    summary = ChatSummary("a" * 32, "Pay", noon, 2)
    assert summary.label(now=noon + 3600) == "Pay · 12:30"
    assert summary.label(now=noon + 86400 * 3) == "Pay · 06 May 2024"
    stored = SavedChat.from_json({"id": "b" * 32, "title": "t" * 500})
    assert len(stored.title) == MAX_TITLE and stored.messages == () and stored.counter == 0
    assert SavedChat.from_json({"id": "b" * 32}).title == "New chat"
    for junk in ([], "x", None, {"title": "no id"}, {"id": "b" * 32, "answers": [5]}):
        with pytest.raises(ValueError, match="not a"):
            SavedChat.from_json(junk)
