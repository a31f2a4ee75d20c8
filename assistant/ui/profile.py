"""What the page calls the archive: its title, subtitle and example questions.

Each comes from the first of: the settings (``ASSISTANT_ARCHIVE_TITLE``, ``…_SUBTITLE``,
``…_EXAMPLES`` with "|" between questions), a ``.archive.json`` in the corpus folder
(``{"title": …, "subtitle": …, "examples": […]}``; the shipped corpus has one), and the
archive itself: the blog title its export gives (the one with most posts, when several),
else a neutral title, and questions about its most discussed posts. No archive's
wording lives in code: the page fits whatever blog was indexed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.settings import Settings

__all__ = ["DEFAULT_SUBTITLE", "DEFAULT_TITLE", "PROFILE_FILE", "Profile", "archive_profile"]

log = logging.getLogger(__name__)

PROFILE_FILE = ".archive.json"  # hidden: the corpus walk skips dotfiles, so it is never indexed
DEFAULT_TITLE = "Blog archive"
DEFAULT_SUBTITLE = ("Ask the archive of posts and reader comments. Every answer cites the "
                    "passages it uses.")
MAX_EXAMPLES = 4
MAX_TEXT = 200  # characters of a title, subtitle or example shown


@dataclass(frozen=True)
class Profile:
    """The page's title, subtitle and example questions."""

    title: str = DEFAULT_TITLE
    subtitle: str = DEFAULT_SUBTITLE
    examples: tuple[str, ...] = ()


def archive_profile(assistant: Any, settings: Settings) -> Profile:
    """The ``Profile`` for the archive ``assistant`` searches (see the module doc)."""
    saved = _saved(Path(settings.corpus_dir) / PROFILE_FILE)
    examples = tuple(e for e in settings.archive_examples.split("|") if e.strip()) \
        or saved.get("examples") or _discussed(assistant)
    return Profile(
        title=_clean(settings.archive_title or saved.get("title") or _blog_title(assistant)
                     or DEFAULT_TITLE),
        subtitle=_clean(settings.archive_subtitle or saved.get("subtitle") or DEFAULT_SUBTITLE),
        examples=tuple(_clean(e) for e in examples[:MAX_EXAMPLES]))


def _saved(path: Path) -> dict[str, Any]:
    """The fields of ``.archive.json`` that are the right type; {} (and a warning naming
    the file and the problem) when it is absent, unreadable or malformed."""
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s is not readable JSON (%s); the page uses the defaults", path, exc)
        return {}
    if not isinstance(raw, dict):
        log.warning("%s should hold a JSON object with title, subtitle and examples", path)
        return {}
    found: dict[str, Any] = {k: raw[k] for k in ("title", "subtitle")
                             if isinstance(raw.get(k), str) and raw[k].strip()}
    examples = raw.get("examples")
    if isinstance(examples, list):
        found["examples"] = tuple(e for e in examples if isinstance(e, str) and e.strip())
    return found


def _blog_title(assistant: Any) -> str:
    """The title an indexed export gives its blog, or ""."""
    try:
        titles = assistant.retriever.stats().get("blog_titles") or []
    except Exception as exc:  # no index yet: the neutral title
        log.warning("no blog title from the archive: %s", exc)
        return ""
    return titles[0] if titles else ""


def _discussed(assistant: Any) -> tuple[str, ...]:
    """Questions about the archive's most discussed posts; none when the index cannot say."""
    try:
        posts = assistant.retriever.store.most_discussed(MAX_EXAMPLES - 1)
    except Exception as exc:  # an index without the query, or none yet: no examples
        log.warning("no example questions from the archive: %s", exc)
        return ()
    questions = [f"What did readers say about “{_short(title)}”?" for title, _ in posts]
    if posts:
        questions.append(f"What is “{_short(posts[0][0])}” about?")
    return tuple(questions)


def _short(title: str, words: int = 10) -> str:
    parts = title.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def _clean(text: str) -> str:
    """One line, at most ``MAX_TEXT`` characters (the page escapes it when it renders)."""
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_TEXT else line[:MAX_TEXT - 1].rstrip() + "…"
