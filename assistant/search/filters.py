"""What a search may be narrowed to: a date range, posts or comments, an author.

Validated once here, with messages that name the parameter, for every door (library, CLI,
REST, /v1, MCP, the page); ``serve.schemas`` gives the same rules a JSON shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = ["KINDS", "Filters", "Kind", "parse_date"]

Kind = Literal["post", "comment"]
KINDS: tuple[Kind, ...] = ("post", "comment")
_BOTH = ("", "both", "all")  # spellings of "no kind filter" the CLI and the page send


def parse_date(value: str | date | None, name: str = "date") -> date | None:
    """Accept ``YYYY-MM-DD`` (or a ``date``); raise ``ValueError`` naming the parameter."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from exc


@dataclass(frozen=True)
class Filters:
    """A validated filter; every field ``None`` means "the whole archive"."""

    since: date | None = None
    until: date | None = None
    kind: Kind | None = None  # None: posts and comments
    author: str | None = None  # matched case-insensitively

    @classmethod
    def make(cls, since=None, until=None, kind=None, author=None) -> Filters:
        since, until = parse_date(since, "since"), parse_date(until, "until")
        if since and until and since > until:
            raise ValueError(f"since ({since}) is after until ({until})")
        if kind in _BOTH:
            kind = None
        if kind is not None and kind not in KINDS:
            raise ValueError(f"kind must be 'post', 'comment' or 'both', got {kind!r}")
        author = (author or "").strip() or None
        return cls(since, until, kind, author)

    @property
    def active(self) -> bool:
        return any((self.since, self.until, self.kind, self.author))
