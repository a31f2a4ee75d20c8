"""Ghost JSON exports (Settings › Advanced › Import/Export): published public posts and pages
with their authors' names and their tags.

Privacy, enforced here: only the ``posts``, ``users``, ``tags``, ``posts_tags`` and
``posts_authors`` tables are read, and of a user only the name. Keys that hold secrets or
addresses (``email``, ``password``, ``api_keys``, ``sessions``, ``settings``, ``members`` …)
are dropped while the JSON is parsed, so they are never held past the parser. Drafts,
scheduled and email-only posts, and posts for members or paid subscribers, are left out and
counted.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timezone
from typing import Any

from assistant.ingest.dates import parse_date
from assistant.ingest.exports import display_name, title_from_body
from assistant.ingest.files import SkippedFile
from assistant.ingest.htmlpage import html_text
from assistant.ingest.imported import Imported
from assistant.ingest.whitespace import clean_lines, norm_line
from assistant.records import Post

__all__ = [
    "NOT_GHOST",
    "looks_like_ghost",
    "read_ghost",
]

NOT_GHOST = ("a JSON file that is not a Ghost export; the JSON export read is Ghost's "
             "(Settings › Advanced › Import/Export › Export content)")
_SNIFF_CHARS = 65536
# Dropped wherever they appear, as each object is parsed: what a Ghost export holds about
# people other than their names, and the site's keys. Nothing read below needs them.
_SECRET_KEYS = frozenset({
    "email", "password", "api_keys", "sessions", "settings", "members", "tokens", "brute",
    "invites", "webhooks", "integrations", "secret", "ip", "stripe_customer_id",
    "members_stripe_customers", "email_recipients", "members_login_events", "labels",
})  # fmt: skip


def looks_like_ghost(text: str) -> bool:
    """Whether ``text`` opens as a Ghost export: a JSON object with Ghost's export meta
    (``exported_on``) or its ``db`` list with ``posts`` in the head."""
    head = text[:_SNIFF_CHARS].lstrip()
    return head.startswith("{") and '"data"' in head and (
        '"exported_on"' in head or ('"db"' in head and '"posts"' in head))


def read_ghost(text: str, source: str, *, include_drafts: bool = False) -> Imported:
    """Published public posts and pages, and the counts left out by reason. Raises
    ``SkippedFile`` for JSON that does not parse (with its position) or is not Ghost's."""
    try:
        doc = json.loads(text, object_pairs_hook=_without_secrets)
    except json.JSONDecodeError as exc:
        raise SkippedFile(f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno} "
                          f"({exc.msg}); export the site again from Ghost") from exc
    except RecursionError as exc:
        raise SkippedFile(f"{source}: JSON nested too deeply to be a Ghost export") from exc
    sections = _sections(doc)
    if not sections:
        raise SkippedFile(f"{source}: {NOT_GHOST}")
    posts: list[Post] = []
    left_out: Counter[str] = Counter()
    for meta, data in sections:
        posts += _Site(meta, data, source, left_out, include_drafts).posts(data.pop("posts"))
    return Imported.of(posts, left_out)


def _without_secrets(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in pairs if k not in _SECRET_KEYS}


def _sections(doc: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(meta, data) of each database in the export: ``{"db": [{meta, data}]}`` since Ghost
    1.0, ``{meta, data}`` before."""
    if not isinstance(doc, dict):
        return []
    entries = doc["db"] if isinstance(doc.get("db"), list) else [doc]
    return [(e.get("meta") if isinstance(e.get("meta"), dict) else {}, e["data"])
            for e in entries
            if isinstance(e, dict) and isinstance(e.get("data"), dict)
            and isinstance(e["data"].get("posts"), list)]


def _rows(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    rows = data.pop(table, None)
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _by_post(links: list[dict[str, Any]], key: str, names: dict[str, str]) -> dict[str, list[str]]:
    """Post id → names through a join table, in its ``sort_order``."""
    out: dict[str, list[str]] = {}
    for link in sorted(links, key=lambda r: r.get("sort_order") or 0):
        name = names.get(str(link.get(key)))
        if name:
            out.setdefault(str(link.get("post_id")), []).append(name)
    return out


class _Site:
    """One database of the export: its people's names and tags, then its posts."""

    def __init__(self, meta: dict[str, Any], data: dict[str, Any], source: str,
                 left_out: Counter[str], include_drafts: bool = False) -> None:
        self.source = source
        self.statuses = ("published", "draft") if include_drafts else ("published",)
        self.left_out = left_out
        site = str(meta.get("url") or "")
        self.site = site.rstrip("/") if site.startswith(("http://", "https://")) else ""
        people = {str(u.get("id")): display_name(str(u.get("name") or ""))
                  for u in _rows(data, "users")}  # the name only: the rest is dropped here
        names = {k: v for k, v in people.items() if v}
        tags = {str(t.get("id")): norm_line(str(t.get("name") or "")) for t in _rows(data, "tags")
                if t.get("visibility", "public") == "public"
                and not str(t.get("name") or "").startswith("#")}  # "#x": internal tags
        self.tags = _by_post(_rows(data, "posts_tags"), "tag_id", tags)
        self.authors = _by_post(_rows(data, "posts_authors"), "author_id", names)
        self.names = names

    def posts(self, rows: list[Any]) -> list[Post]:
        return [p for p in (self._post(r) for r in rows if isinstance(r, dict)) if p]

    def _post(self, row: dict[str, Any]) -> Post | None:
        reason = _left_out_reason(row, self.statuses)
        body = "" if reason else _body(row)
        if not reason and not body:
            reason = "empty"
        if reason:
            self.left_out[reason] += 1
            return None
        key = str(row.get("id") or "")
        authors = self.authors.get(key) or [self.names.get(str(row.get("author_id")), "")]
        return Post(source=self.source,
                    title=norm_line(str(row.get("title") or "")) or title_from_body(body),
                    body=body, date=_date(row.get("published_at") or row.get("created_at")),
                    author=authors[0] or None, url=self._url(row),
                    tags=tuple(self.tags.get(key, ())), guid=key or row.get("uuid") or None,
                    page=row.get("type") == "page" or row.get("page") in (True, 1))

    def _url(self, row: dict[str, Any]) -> str | None:
        canonical = str(row.get("canonical_url") or "").strip()
        if canonical.startswith(("http://", "https://")):
            return canonical
        slug = str(row.get("slug") or "").strip("/")
        return f"{self.site}/{slug}/" if self.site and slug else None


def _left_out_reason(row: dict[str, Any], statuses: tuple[str, ...]) -> str | None:
    status = str(row.get("status") or "published")
    if status not in statuses:
        return status  # draft, scheduled, sent (an email only)
    if str(row.get("visibility") or "public") != "public":
        return "members-only"  # members, paid, tiers: not for every reader
    return None


def _body(row: dict[str, Any]) -> str:
    """Text from the rendered HTML, else the plain text, else the editor's own document."""
    if isinstance(row.get("html"), str) and row["html"].strip():
        return html_text(row["html"])
    if isinstance(row.get("plaintext"), str) and row["plaintext"].strip():
        return clean_lines(row["plaintext"].split("\n"))
    for field, read in (("lexical", _lexical), ("mobiledoc", _mobiledoc)):
        try:
            doc = json.loads(row[field]) if isinstance(row.get(field), str) else None
            text = read(doc) if isinstance(doc, dict) else ""
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
            text = ""  # an editor document not as expected: no text rather than a wrong one
        if text:
            return text
    return ""


def _lexical(doc: dict[str, Any]) -> str:
    """Lexical (Ghost 5): a block per child of the root, its text nodes joined."""
    def text(node: dict[str, Any]) -> str:
        if node.get("type") == "linebreak":
            return "\n"
        if node.get("type") in ("html", "markdown"):  # cards keep their source
            value = str(node.get(node["type"]) or "")
            return html_text(value) if node["type"] == "html" else value
        if node.get("type") == "listitem":
            return "".join(text(c) for c in node.get("children") or []) + "\n"
        return str(node.get("text") or "") + "".join(text(c) for c in node.get("children") or [])

    blocks = [text(child) for child in doc["root"].get("children") or []]
    return clean_lines("\n\n".join(blocks).split("\n"))


def _mobiledoc(doc: dict[str, Any]) -> str:
    """Mobiledoc (Ghost 1–4): markup and list sections' text markers, markdown and HTML
    cards; images and other cards carry no text."""
    atoms, cards = doc.get("atoms") or [], doc.get("cards") or []

    def markers(ms: list[Any]) -> str:
        return "".join(str(m[3]) if m[0] == 0 else str(atoms[m[3]][1]) for m in ms)

    blocks = []
    for section in doc.get("sections") or []:
        if section[0] == 1:
            blocks.append(markers(section[2]))
        elif section[0] == 3:
            blocks.append("\n".join(markers(item) for item in section[2]))
        elif section[0] == 10:
            name, payload = cards[section[1]]
            if name == "markdown":
                blocks.append(str(payload.get("markdown") or ""))
            elif name == "html":
                blocks.append(html_text(str(payload.get("html") or "")))
    return clean_lines("\n\n".join(blocks).split("\n"))


def _date(value: Any) -> date | None:
    """Ghost writes ISO stamps; exports before 1.0 wrote milliseconds since 1970."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, tz=timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            return None
    return parse_date(value) if isinstance(value, str) and value else None
