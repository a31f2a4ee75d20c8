"""Staticman comment files: one YAML or JSON file per comment, under a static site's
``_data/comments/<post slug>/``, read as the comments of that post.

Two schemas are seen in the wild (both in ``../shared/real-exports``' Jekyll site): the
native one (``_id``, ``name``, ``message``, ``date``, ``replying_to``) and the one that
comments imported from Disqus were written in (``id: comment-123``, ``name``, ``message``,
``date``). ``replying_to`` is how the Minimal Mistakes family of themes threads replies:
the 1-based position of the parent among the post's top-level comments in file-name order
(a number), or in some set-ups the parent's ``_id``. An email, its hash, an avatar or an IP
is never read; nor is the commenter's ``url`` (their own site, not the comment's
permalink, which Staticman does not record).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from assistant.ingest.dates import parse_date
from assistant.ingest.exports import display_name
from assistant.ingest.imported import Imported
from assistant.ingest.markdown import markdown_text, post_slug
from assistant.ingest.templates import strip_templates
from assistant.ingest.threads import Reply, thread
from assistant.records import Comment

__all__ = ["COMMENT_SUFFIXES", "looks_like_comment", "pair_comment_files", "read_comment_files",
           "with_comments"]

COMMENT_SUFFIXES = (".yml", ".yaml", ".json")
_NEEDED = frozenset({"message", "name"})
# Jekyll's data folder is _data/, Hugo's data/
_COMMENT_FILE = re.compile(r"^(?P<site>(?:.*/)?)_?data/comments/(?P<slug>[^/]+)/[^/]+$")
_POST_SUFFIXES = (".md", ".markdown", ".html", ".htm")


def pair_comment_files(paths: Sequence[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The comment files among ``paths`` (``/``-separated, relative) by the post they go
    with: ``<site>/_data/comments/<slug>/*`` (Hugo: ``data/``) with the post of that site
    whose slug is ``<slug>`` (one under ``_posts/`` before a draft or page of the same
    slug); and why each comment file that goes with no post is skipped."""
    folders: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        match = _COMMENT_FILE.match(path)
        if match and path.lower().endswith(COMMENT_SUFFIXES):
            folders.setdefault((match["site"], match["slug"]), []).append(path)
    posts = _posts_named(paths, folders.keys()) if folders else {}
    paired: dict[str, list[str]] = {}
    orphans: dict[str, str] = {}
    for (site, slug), files in folders.items():
        post = posts.get((site, slug))
        if post is not None:
            paired[post] = sorted(files)
            continue
        for path in files:
            orphans[path] = (f"a Staticman comment file, but no post named {slug!r} in "
                             f"{site or 'the corpus folder'} (a post file is named "
                             f"YYYY-MM-DD-{slug}.md or {slug}.md)")
    return paired, orphans


def _posts_named(paths: Sequence[str], keys: Iterable[tuple[str, str]]
                 ) -> dict[tuple[str, str], str]:
    """The post file of each ``(site folder, slug)`` in ``keys`` that has one."""
    wanted = set(keys)
    sites = {site for site, _ in wanted}
    posts: dict[tuple[str, str], str] = {}
    for path in paths:
        if not path.lower().endswith(_POST_SUFFIXES) or _COMMENT_FILE.match(path):
            continue
        for site in sites:
            key = (site, post_slug(path))
            if path.startswith(site) and key in wanted and (
                    key not in posts or _rank(path) < _rank(posts[key])):
                posts[key] = path
    return posts


def _rank(path: str) -> int:
    return 0 if "/_posts/" in f"/{path}" else 1


def looks_like_comment(fields: object) -> bool:
    """Whether parsed data is one Staticman comment."""
    return isinstance(fields, dict) and fields.keys() >= _NEEDED


def read_comment_files(files: Sequence[tuple[str, str]]) -> tuple[tuple[Comment, ...],
                                                                  Counter[str]]:
    """The comments of ``files`` (``(file name, text)``) threaded, and what was left out by
    reason (unreadable files, honeypot-caught spam, empty messages)."""
    left_out: Counter[str] = Counter()
    entries: list[tuple[str, dict]] = []
    for name, text in sorted(files):
        fields = _load(name, text)
        if not looks_like_comment(fields):
            left_out["unreadable comment file"] += 1
        elif str(fields.get("hidden") or "").strip():  # the form's honeypot: a bot filled it
            left_out["comment spam"] += 1
        elif not str(fields.get("message") or "").strip():
            left_out["empty comment"] += 1
        else:
            entries.append((name, fields))
    top = [_key(name, fields) for name, fields in entries if not _replying_to(fields)]
    keys = {_key(name, fields) for name, fields in entries}
    replies = []
    for name, fields in entries:
        parent = _replying_to(fields)
        if parent and parent not in keys and parent.isdigit():
            position = int(parent)
            parent = top[position - 1] if 0 < position <= len(top) else None
        when = _when(fields)
        replies.append(Reply(_key(name, fields), parent or None, (when or date.min, name),
                             Comment("", _text(str(fields["message"])),
                                     display_name(str(fields.get("name") or "")), when,
                                     _key(name, fields))))
    return thread(replies), left_out


def with_comments(imported: Imported, files: Sequence[tuple[str, str]],
                  unread: int = 0) -> Imported:
    """A one-post file with its comment files as the post's comments; ``unread`` comment
    files could not be read at all (too large, binary)."""
    if len(imported.posts) != 1:
        return imported
    comments, left_out = read_comment_files(files)
    left_out["unreadable comment file"] += unread
    left_out.update(dict(imported.left_out))
    post = imported.posts[0]
    return Imported.of([replace(post, comments=post.comments + comments)], left_out,
                       imported.blog_title)


def _load(name: str, text: str) -> object:
    """The file's data, or None when it is not JSON or YAML."""
    if name.lower().endswith(".json"):
        try:
            return json.loads(text)
        except ValueError:
            return None
    import yaml  # on first use, as for front matter

    try:  # failsafe, as front matter is read: every value the text that was written
        return yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    except yaml.YAMLError:
        return None


def _key(name: str, fields: dict) -> str:
    return str(fields.get("_id") or fields.get("id") or name)


def _replying_to(fields: dict) -> str:
    return str(fields.get("replying_to") or "").strip()


def _when(fields: dict) -> date | None:
    stamp = str(fields.get("date") or "").strip()
    if stamp:
        return parse_date(stamp)
    seconds = str(fields.get("timestamp") or "").strip()
    if seconds.isdigit():
        return datetime.fromtimestamp(int(seconds[:10]), UTC).date()
    return None


def _text(message: str) -> str:
    """A comment's Markdown message as text (template tags in it are shown as written by
    the site, so they are stripped as in posts)."""
    return markdown_text(strip_templates(message.replace("\r\n", "\n")))[1]
