"""The page's title, subtitle and examples come from settings, the corpus's .archive.json,
or the archive itself: never from wording in code."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.settings import Settings
from assistant.ui.profile import DEFAULT_SUBTITLE, DEFAULT_TITLE, PROFILE_FILE, archive_profile

REPO = Path(__file__).resolve().parents[2]


class Store:
    def __init__(self, discussed):
        self.discussed = discussed

    def most_discussed(self, limit):
        return self.discussed[:limit]


class Retriever:
    def __init__(self, store, blog_titles=()):
        self.store = store
        self.blog_titles = list(blog_titles)

    def stats(self):
        return {"blog_titles": self.blog_titles}


class Assistant:
    def __init__(self, discussed=(), blog_titles=()):
        self.retriever = Retriever(Store(list(discussed)), blog_titles)


def _settings(corpus: Path, **env: str) -> Settings:
    return Settings.from_env({f"ASSISTANT_{k.upper()}": v for k, v in env.items()},
                             corpus_dir=corpus)


def test_an_archive_without_a_profile_gets_questions_about_its_most_discussed_posts(tmp_path):
    profile = archive_profile(Assistant([("Tags that fail in the rain", 12),
                                         ("The hostel review", 3)]), _settings(tmp_path))
    assert profile.title == DEFAULT_TITLE and profile.subtitle == DEFAULT_SUBTITLE
    assert profile.examples == ("What did readers say about “Tags that fail in the rain”?",
                                "What did readers say about “The hostel review”?",
                                "What is “Tags that fail in the rain” about?")
    assert archive_profile(Assistant(), _settings(tmp_path)).examples == ()


def test_an_imported_export_names_the_archive_unless_the_corpus_file_or_settings_do(tmp_path):
    imported = Assistant([("Roses", 2)], blog_titles=["Fernhill Allotment", "Old blog"])
    assert archive_profile(imported, _settings(tmp_path)).title == "Fernhill Allotment"
    mine = archive_profile(imported, _settings(tmp_path, archive_title="My blog"))
    assert mine.title == "My blog"
    (tmp_path / PROFILE_FILE).write_text(json.dumps({"title": "Gardening notes"}))
    assert archive_profile(imported, _settings(tmp_path)).title == "Gardening notes"


def test_the_corpus_file_then_the_settings_win(tmp_path):
    (tmp_path / PROFILE_FILE).write_text(json.dumps(
        {"title": "Gardening notes", "examples": ["When do roses bloom?", 7, ""]}))
    saved = archive_profile(Assistant([("Roses", 2)]), _settings(tmp_path))
    assert saved.title == "Gardening notes" and saved.examples == ("When do roses bloom?",)
    assert saved.subtitle == DEFAULT_SUBTITLE
    mine = archive_profile(Assistant(), _settings(
        tmp_path, archive_title="My blog", archive_examples="First?| |Second?"))
    assert mine.title == "My blog" and mine.examples == ("First?", "Second?")


def test_a_malformed_profile_or_a_store_that_cannot_say_falls_back_with_a_warning(
        tmp_path, caplog):
    (tmp_path / PROFILE_FILE).write_text("{not json")

    class Broken(Assistant):
        def __init__(self):
            self.retriever = None  # no store at all

    profile = archive_profile(Broken(), _settings(tmp_path))
    assert profile.title == DEFAULT_TITLE and profile.examples == ()
    assert PROFILE_FILE in caplog.text and "no example questions" in caplog.text


def test_long_or_multi_line_text_is_one_short_line(tmp_path):
    mine = archive_profile(Assistant(), _settings(tmp_path, archive_title="A\nB " + "x" * 300))
    assert "\n" not in mine.title and len(mine.title) == 200 and mine.title.endswith("…")


def test_the_shipped_corpus_has_its_own_profile_and_the_code_none():
    saved = json.loads((REPO / "corpus" / PROFILE_FILE).read_text(encoding="utf-8"))
    assert saved["title"] and len(saved["examples"]) == 4
    ui = (REPO / "assistant" / "ui").rglob("*.py")
    assert not any("probation" in path.read_text(encoding="utf-8").lower() for path in ui)
