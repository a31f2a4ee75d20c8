"""Front matter: the ``---`` block of YAML (or Hugo's ``+++`` block of TOML) metadata that
opens a Markdown file."""

from __future__ import annotations

import re

__all__ = [
    "front_matter",
    "front_matter_lines",
]

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_TOML_RE = re.compile(r"\A\+\+\+[ \t]*\n(.*?)\n\+\+\+[ \t]*(?:\n|\Z)", re.DOTALL)
_FM_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
# One of these makes it metadata
_POST_KEYS = frozenset({"title", "date", "author", "url", "slug", "draft", "tags"})


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """The front matter's top-level keys (lower case) as text, and the text after it.

    ``({}, text)`` when there is no such block or it names none of ``_POST_KEYS``.
    """
    m = _FRONT_MATTER_RE.match(text)
    if not m:
        m = _TOML_RE.match(text)
        meta = _toml_meta(m.group(1)) if m else None
        if not meta or not meta.keys() & _POST_KEYS:
            return {}, text
        return meta, text[m.end() :]
    meta = _yaml_meta(m.group(1))
    if meta is None:
        meta = front_matter_lines(m.group(1))
    if not meta.keys() & _POST_KEYS:
        return {}, text
    return meta, text[m.end() :]


def _yaml_meta(block: str) -> dict[str, str] | None:
    """Top-level keys read with YAML's failsafe schema, or None when the block is not YAML.

    Failsafe (``BaseLoader``, as safe as ``safe_load``: it builds only strings, lists and
    mappings) keeps every value the text that was written: ``safe_load`` would turn
    ``title: No`` into False, ``title: 1984`` into an int, a ``date:`` into a datetime, and
    stop at ``date: 2016-13-45`` with a ValueError. Anchors and aliases, quoting, escapes,
    block scalars and lists are real YAML; 7 of 143 blocks measured (templates) are not YAML
    and fall back to ``front_matter_lines``.
    """
    import yaml  # imported when a file has front matter, not with the package

    # libyaml's loader when PyYAML was built with it: 31 us a block against 305 us, and the
    # same result on all 143 front-matter blocks measured.
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    try:
        data = yaml.load(block, Loader=loader)  # the failsafe schema: see above
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return {}
    meta: dict[str, str] = {}
    for key, value in data.items():
        meta.setdefault(str(key).lower(), _as_text(value))
    return meta


def _toml_meta(block: str) -> dict[str, str] | None:
    """Top-level keys of a TOML block as text (a date as written), or None when it is not
    TOML."""
    import tomllib

    try:
        data = tomllib.loads(block)
    except tomllib.TOMLDecodeError:
        return None
    return {str(key).lower(): _as_text(value) for key, value in data.items()}


def _as_text(value: object) -> str:
    """A scalar as written; a list of scalars joined by commas; a mapping by its ``name``."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):  # TOML's own booleans and dates, written as YAML reads them
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(text for item in value if (text := _as_text(item)))
    if isinstance(value, dict):
        return _as_text(value.get("name", ""))
    return ""


def front_matter_lines(block: str) -> dict[str, str]:
    """Flat ``key: value`` lines, for a block YAML refuses (``title: Foo: bar``, a tab, a
    template): such files were indexed before YAML was used, and still are."""
    meta: dict[str, str] = {}
    for line in block.split("\n"):
        kv = _FM_KEY_RE.match(line)
        if kv:
            value = kv.group(2).strip().strip("[]").strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            meta.setdefault(kv.group(1).lower(), value)
    return meta
