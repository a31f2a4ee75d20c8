"""The browser chat: a Gradio page over an ``Assistant`` (presentation only).

``build_app(assistant, settings)`` returns the ``gr.Blocks``; ``launch_options(settings)``
gives the theme, CSS, script and safety options to pass to ``launch``. Every piece of
archive text is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.settings import Settings

__all__ = [
    "ALLOWED_UPLOAD_SUFFIXES",
    "EXAMPLES",
    "UNVERIFIED_MARK",
    "UploadResult",
    "answer_markdown",
    "answer_plain",
    "backend_label",
    "backend_spec",
    "build_app",
    "launch_options",
    "render_answer",
    "render_sources",
    "safe_filename",
    "save_upload",
]

log = logging.getLogger(__name__)

EXAMPLES = (
    "Who leads the Purple Futures partnership?",
    "How much was the new probation regime supposed to save?",
    "What did MPs say about the nDelius case management system?",
    "What do readers say about staff pay?",
)
ALLOWED_UPLOAD_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
UPLOAD_FOLDER = "uploads"
MAX_TURNS_SHOWN = 8
BACKEND_CHOICES = ("Extractive", "Local model", "OpenAI-compatible")
KIND_CHOICES = ("Both", "Posts", "Comments")

# ------------------------------------------------------------------ escaping and text

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#~|!$])")
_CITE = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_OPEN, _CLOSE = "\x01", "\x02"


def _esc(text: object) -> str:
    """HTML-escape anything for an attribute or element body."""
    return html.escape("" if text is None else str(text), quote=True)


def _md_esc(text: str) -> str:
    """Escape text for the chat's Markdown: HTML first, then Markdown punctuation."""
    escaped = html.escape(text, quote=False)
    escaped = _MD_SPECIAL.sub(r"\\\1", escaped)
    # A line starting "1." or "-" would become a list; "&gt;" is already harmless.
    return re.sub(r"(?m)^(\s*)([-+]|\d+\.)(\s)", r"\1\\\2\3", escaped)


def _fmt_date(value: date | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else "undated"


def _who(hit: Any) -> str:
    if getattr(hit, "kind", "post") == "comment":
        number = getattr(hit, "comment_number", None)
        who = f"Reader comment #{number}" if number else "Reader comment"
        return f"{who} by {hit.author}" if hit.author else f"{who} (anonymous)"
    return f"Post by {hit.author}" if getattr(hit, "author", None) else "Post"


def _where(hit: Any) -> str:
    url = getattr(hit, "url", None)
    return url if url and str(url).startswith(("http://", "https://")) else hit.source


def _quotes_by_n(answer: Any) -> dict[int, list[str]]:
    quotes: dict[int, list[str]] = {}
    for c in getattr(answer, "citations", ()) or ():
        if c.quote and c.quote not in quotes.get(c.n, []):
            quotes.setdefault(c.n, []).append(c.quote)
    return quotes


def _cited(answer: Any) -> list[Any]:
    """Unique citations in order of first mention."""
    seen: dict[int, Any] = {}
    for c in getattr(answer, "citations", ()) or ():
        seen.setdefault(c.n, c)
    return sorted(seen.values(), key=lambda c: c.n)


UNVERIFIED_MARK = "[unverified]"
_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*\s+")


def _mark_unverified(text: str) -> str:
    """Wrap each sentence followed by ``[unverified]`` (the answering layer's mark) in
    sentinels, dropping the mark itself: it is drawn as a warning instead."""
    if UNVERIFIED_MARK not in text:
        return text
    pieces = text.split(UNVERIFIED_MARK)
    out = []
    for piece in pieces[:-1]:
        body = piece.rstrip()
        ends = [m.end() for m in _SENTENCE_END.finditer(body)]
        start = ends[-1] if ends else len(body) - len(body.lstrip())
        out.append(f"{body[:start]}{_OPEN}{body[start:]}{_CLOSE}")
    out.append(pieces[-1])
    return "".join(out)


def render_answer(text: str, n_passages: int, turn: int = 0,
                  unsupported: Sequence[str] = (), titles: Sequence[str] = ()) -> str:
    """Answer text as safe chat Markdown: escaped, ``[n]`` linked to card n, and
    sentences whose citation did not check out wrapped in a warning span."""
    text = _mark_unverified(_CONTROL.sub("", text or ""))
    for sentence in unsupported:
        sentence = _CONTROL.sub("", sentence or "").strip()
        if sentence and sentence in text:
            text = text.replace(sentence, f"{_OPEN}{sentence}{_CLOSE}", 1)
    out: list[str] = []
    pos = 0
    for match in _CITE.finditer(text):
        out.append(_md_esc(text[pos:match.start()]))
        links = []
        for raw in match.group(1).split(","):
            n = int(raw)
            if 1 <= n <= n_passages:
                title = titles[n - 1] if n - 1 < len(titles) else f"source {n}"
                links.append(f'<a class="cite" href="#src-{turn}-{n}" '
                             f'title="Source {n}: {_esc(title)}">{n}</a>')
            else:
                links.append(f"\\[{n}\\]")
        out.append("".join(links))
        pos = match.end()
    out.append(_md_esc(text[pos:]))
    rendered = "".join(out)
    return (rendered
            .replace(_OPEN, '<span class="unsupported" title="This sentence is not '
                            'supported by the passage it cites">')
            .replace(_CLOSE, '</span><sup class="unsupported-mark" title="Citation not '
                             'verified">⚠ unverified</sup>'))


def _reference_line(n: int, hit: Any) -> str:
    return f"{hit.title} — {_fmt_date(hit.date)} — {_who(hit)} — {_where(hit)}"


def _references(answer: Any) -> tuple[str, list[tuple[int, Any, str | None]]]:
    """Heading and (n, hit, quote) rows: the cited passages, or the closest matches."""
    passages = tuple(getattr(answer, "passages", ()) or ())
    if getattr(answer, "refused", False):
        return "Closest matches", [(i, h, None) for i, h in enumerate(passages, 1)]
    rows = [(c.n, c.hit, c.quote or None) for c in _cited(answer)]
    return "References", rows


def answer_plain(answer: Any) -> str:
    """The answer with its references as plain text (also what ``/chat`` returns)."""
    heading, rows = _references(answer)
    lines = [(answer.text or "").strip()]
    if rows:
        lines += ["", f"{heading}:"]
        for n, hit, quote in rows:
            lines.append(f"[{n}] {_reference_line(n, hit)}")
            if quote:
                lines.append(f'    "{quote.strip()}"')
    return "\n".join(lines)


def answer_markdown(answer: Any) -> str:
    """The answer with its references as Markdown (text is left as written)."""
    heading, rows = _references(answer)
    lines = [(answer.text or "").strip()]
    if rows:
        lines += ["", f"**{heading}**", ""]
        for n, hit, quote in rows:
            where = _where(hit)
            where_md = f"<{where}>" if where.startswith("http") else f"`{where}`"
            lines.append(f"{n}. *{hit.title}* — {_fmt_date(hit.date)}, "
                         f"{_who(hit).lower()} — {where_md}")
            if quote:
                lines.append(f"   > {' '.join(quote.split())}")
    return "\n".join(lines)


# ------------------------------------------------------------------ source cards

def _highlight(text: str, quotes: Sequence[str], window: int = 320) -> str:
    """Escaped passage with each quote in ``<mark>``, trimmed around the first quote."""
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        quote = (quote or "").strip()
        if not quote:
            continue
        start = text.find(quote)
        if start < 0:  # tolerate whitespace differences
            pattern = r"\s+".join(re.escape(w) for w in quote.split())
            match = re.search(pattern, text)
            if not match:
                continue
            spans.append(match.span())
        else:
            spans.append((start, start + len(quote)))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    lo, hi = 0, len(text)
    if merged and len(text) > 2 * window + 200:
        lo = max(0, merged[0][0] - window)
        hi = min(len(text), merged[-1][1] + window)
    parts, pos = [], lo
    for s, e in merged:
        if s < lo or e > hi:
            continue
        parts.append(_esc(text[pos:s]))
        parts.append(f"<mark>{_esc(text[s:e])}</mark>")
        pos = e
    parts.append(_esc(text[pos:hi]))
    body = "".join(parts)
    return ("… " if lo > 0 else "") + body + (" …" if hi < len(text) else "")


@dataclass
class _Turn:
    """What the sources panel shows for one question."""

    turn: int
    question: str
    passages: tuple = ()
    quotes: dict[int, list[str]] = field(default_factory=dict)
    cited: set[int] = field(default_factory=set)
    unverified: set[int] = field(default_factory=set)
    refused: bool = False
    done: bool = False


def _card(t: _Turn, n: int, hit: Any) -> str:
    kind = "comment" if hit.kind == "comment" else "post"
    classes = ["src-card", kind]
    badges = []
    if n in t.cited:
        classes.append("cited")
        badges.append('<span class="badge cited-badge">cited</span>')
    if n in t.unverified:
        badges.append('<span class="badge warn-badge" title="The sentence citing this '
                      'passage could not be matched to it">not verified</span>')
    where = _where(hit)
    if where.startswith(("http://", "https://")):
        where_html = (f'<a href="{_esc(where)}" target="_blank" rel="noopener noreferrer">'
                      f"{_esc(where)}</a>")
    else:
        where_html = f"<code>{_esc(where)}</code>"
    return (
        f'<article class="{" ".join(classes)}" id="src-{t.turn}-{n}">'
        f'<div class="src-head"><span class="src-n">{n}</span>'
        f'<span class="src-title">{_esc(hit.title or "Untitled")}</span>{"".join(badges)}</div>'
        f'<div class="src-meta"><span class="kind {kind}">{_esc(_who(hit))}</span>'
        f'<span class="dot">·</span><time>{_esc(_fmt_date(hit.date))}</time></div>'
        f'<blockquote class="src-text">{_highlight(hit.text, t.quotes.get(n, []))}</blockquote>'
        f'<div class="src-file">{where_html}</div></article>')


def _turn_html(t: _Turn) -> str:
    if not t.passages:
        if not t.done:
            return '<p class="src-empty">Searching the archive…</p>'
        return ('<p class="src-empty">No passages matched. Try fewer filters or '
                "other words.</p>")
    heading = "Closest matches" if t.refused else "Sources"
    note = ""
    if t.refused:
        note = ('<p class="src-note">The archive does not seem to answer this question. '
                "These are the passages that came closest.</p>")
    elif not t.done:
        note = '<p class="src-note">Writing the answer…</p>'
    cards = "".join(_card(t, n, h) for n, h in enumerate(t.passages, 1))
    return f'<h3 class="src-heading">{heading}</h3>{note}<div class="src-cards">{cards}</div>'


def render_sources(turns: Sequence[_Turn]) -> str:
    """The sources panel: the newest question's cards, earlier ones folded away."""
    if not turns:
        return ('<div class="sources-panel"><div class="src-empty">'
                "<h3 class=\"src-heading\">Sources</h3>"
                "<p>Ask a question: the passages the answer is built from appear here, "
                "one card each, as soon as the search is done.</p></div></div>")
    newest, *older = list(reversed(turns))
    parts = [_turn_html(newest)]
    if older:
        parts.append('<div class="src-older"><h4>Earlier questions</h4>')
        for t in older:
            parts.append(f'<details class="src-turn" id="turn-{t.turn}"><summary>'
                         f"{_esc(t.question)}</summary>{_turn_html(t)}</details>")
        parts.append("</div>")
    return f'<div class="sources-panel">{"".join(parts)}</div>'


# ------------------------------------------------------------------ backends

def backend_spec(choice: str, model: str = "", url: str = "", gguf: str = "") -> str:
    """A backend spec string from the page's controls."""
    if choice == "Local model":
        gguf = (gguf or "").strip()
        return f"llamacpp:{gguf}" if gguf else "llamacpp"
    if choice == "OpenAI-compatible":
        model, url = (model or "").strip(), (url or "").strip()
        if not model:
            raise ValueError("Enter the model name the OpenAI-compatible server serves "
                             "(for example llama3).")
        return f"openai:{model}@{url}" if url else f"openai:{model}"
    return "extractive"


def _controls_from_spec(spec: str) -> tuple[str, str, str, str]:
    from assistant.llm.base import parse_spec

    try:
        parsed = parse_spec(spec)
    except ValueError:
        return "Extractive", "", "", ""
    if parsed.kind == "llamacpp":
        return "Local model", "", "", parsed.model or ""
    if parsed.kind == "openai":
        return "OpenAI-compatible", parsed.model or "", parsed.base_url or "", ""
    return "Extractive", "", "", ""


def backend_label(spec: str) -> str:
    """Human name of a backend spec, for the header line."""
    from assistant.llm.base import parse_spec

    try:
        parsed = parse_spec(spec)
    except ValueError:
        return spec
    if parsed.kind == "llamacpp":
        name = Path(parsed.model).name if parsed.model else "default model (Qwen2.5 1.5B)"
        return f"local model · {name}"
    if parsed.kind == "openai":
        return f"{parsed.model} at {parsed.base_url}"
    return "extractive · quotes the passages, no language model"


# ------------------------------------------------------------------ uploads

@dataclass(frozen=True)
class UploadResult:
    """One uploaded file: where it was saved (corpus-relative), or why not."""

    name: str
    saved_as: str | None
    reason: str | None = None


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no leading dots, only ``[A-Za-z0-9._-]``."""
    name = unicodedata.normalize("NFKD", Path(str(name).replace("\\", "/")).name)
    name = name.encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"\.+", "_", stem).strip("._-")[:80] or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def save_upload(src: str | os.PathLike, original_name: str, corpus_dir: Path,
                max_bytes: int) -> UploadResult:
    """Copy one uploaded file into ``corpus_dir/uploads`` under a sanitised name.

    Never writes outside the corpus folder; refuses unsupported types, oversized and
    empty files, and skips a file whose exact content is already there.
    """
    shown = Path(str(original_name).replace("\\", "/")).name or "file"
    name = safe_filename(shown)
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_UPLOAD_SUFFIXES:
        return UploadResult(shown, None, f"unsupported type {suffix or '(none)'}: upload "
                            + ", ".join(ALLOWED_UPLOAD_SUFFIXES))
    size = Path(src).stat().st_size
    if size > max_bytes:
        return UploadResult(shown, None, f"too large ({size / 1e6:.1f} MB; the limit is "
                            f"{max_bytes / 1e6:.1f} MB)")
    if size == 0:
        return UploadResult(shown, None, "empty file")
    data = Path(src).read_bytes()
    root = Path(corpus_dir).resolve()
    folder = (root / UPLOAD_FOLDER).resolve()
    if root not in folder.parents:
        return UploadResult(shown, None, "the upload folder is outside the corpus folder")
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    stem, suffix = Path(name).stem, Path(name).suffix
    for i in range(1000):
        target = folder / (f"{stem}{suffix}" if i == 0 else f"{stem}-{i}{suffix}")
        if target.resolve().parent != folder:
            return UploadResult(shown, None, "invalid file name")
        if target.exists():
            if hashlib.sha256(target.read_bytes()).hexdigest() == digest:
                return UploadResult(shown, None, f"already in the archive as "
                                    f"{target.relative_to(root).as_posix()}")
            continue
        tmp = folder / f".{target.name}.part"
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return UploadResult(shown, target.relative_to(root).as_posix())
    return UploadResult(shown, None, "too many files with this name")


# ------------------------------------------------------------------ errors

def _human_error(exc: BaseException) -> str:
    """A message a person understands; details go to the server log."""
    try:
        from assistant.llm.base import BackendError
    except Exception:  # pragma: no cover - the llm package is part of the project
        BackendError = ()  # type: ignore[assignment]
    if BackendError and isinstance(exc, BackendError):
        return str(exc)
    if isinstance(exc, ValueError):
        return str(exc)
    if isinstance(exc, (FileNotFoundError, RuntimeError)) and str(exc):
        log.exception("request failed")
        return str(exc)
    log.exception("request failed")
    return (f"Something went wrong ({type(exc).__name__}). The details are in the server "
            "log; the page still works, so try again or change the options.")


# ------------------------------------------------------------------ the page

CSS = """
.gradio-container { max-width: 1480px !important; margin: 0 auto; }
#app-header { display: flex; align-items: baseline; justify-content: space-between;
  flex-wrap: wrap; gap: 4px 16px; padding: 6px 2px 10px;
  border-bottom: 1px solid var(--border-color-primary); margin-bottom: 6px; }
#app-header h1 { font-size: 1.45rem; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
#app-header .sub { color: var(--body-text-color-subdued); font-size: 0.92rem; }
#model-line { font-size: 0.9rem; color: var(--body-text-color-subdued); }
#model-line p { margin: 0; }
#model-line strong { color: var(--body-text-color); }
#chatbot .cite, #chatbot a.cite { display: inline-block; min-width: 1.25em; padding: 0 0.35em;
  margin: 0 1px; border-radius: 0.6em; font-size: 0.75em; line-height: 1.5;
  vertical-align: super; text-align: center; text-decoration: none !important;
  font-weight: 600; background: var(--color-accent-soft); color: var(--color-accent) !important;
  border: 1px solid var(--color-accent); }
#chatbot a.cite:hover { background: var(--color-accent); color: white !important; }
#chatbot .unsupported { text-decoration: underline wavy #d97706; text-underline-offset: 3px; }
#chatbot .unsupported-mark { color: #b45309; font-size: 0.7em; font-weight: 600;
  margin-left: 2px; }
.answer-meta { font-size: 0.85em; color: var(--body-text-color-subdued); }
#sources-col { position: sticky; top: 8px; }
#sources-html { max-height: 78vh; overflow-y: auto; padding-right: 4px; }
.sources-panel { display: flex; flex-direction: column; gap: 8px; }
.src-heading { font-size: 1.05rem; margin: 2px 0 6px; font-weight: 650; }
.src-note, .src-empty { color: var(--body-text-color-subdued); font-size: 0.9rem;
  margin: 0 0 8px; }
.src-cards { display: flex; flex-direction: column; gap: 10px; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 10px 12px; background: var(--block-background-fill);
  transition: box-shadow 0.3s, border-color 0.3s; scroll-margin-top: 12px; }
.src-card.comment { border-left: 4px solid #0d9488; }
.src-card.post { border-left: 4px solid #6366f1; }
.src-card.cited { box-shadow: 0 1px 4px rgba(0,0,0,0.08); }
.src-card.flash { border-color: var(--color-accent);
  box-shadow: 0 0 0 3px var(--color-accent-soft); }
.src-head { display: flex; align-items: flex-start; gap: 8px; }
.src-n { flex: none; display: inline-flex; align-items: center; justify-content: center;
  width: 1.6em; height: 1.6em; border-radius: 50%; font-size: 0.8rem; font-weight: 700;
  background: var(--color-accent-soft); color: var(--color-accent);
  border: 1px solid var(--color-accent); }
.src-title { font-weight: 600; line-height: 1.35; flex: 1; }
.badge { flex: none; font-size: 0.7rem; padding: 1px 7px; border-radius: 999px;
  font-weight: 600; text-transform: uppercase; letter-spacing: 0.03em; }
.cited-badge { background: #dcfce7; color: #166534; }
.warn-badge { background: #fef3c7; color: #92400e; }
.src-meta { font-size: 0.82rem; color: var(--body-text-color-subdued); margin: 4px 0 6px 2.2em; }
.src-meta .dot { margin: 0 6px; }
.src-meta .kind.comment { color: #0f766e; font-weight: 600; }
.src-meta .kind.post { color: #4f46e5; font-weight: 600; }
.src-text { margin: 0 0 6px 2.2em !important; padding: 0 0 0 10px !important;
  border-left: 2px solid var(--border-color-primary) !important; font-size: 0.88rem;
  line-height: 1.5; max-height: 14em; overflow-y: auto; white-space: pre-wrap;
  color: var(--body-text-color); }
.src-text mark { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.src-file { margin-left: 2.2em; font-size: 0.75rem; color: var(--body-text-color-subdued);
  word-break: break-all; }
.src-older { margin-top: 12px; border-top: 1px solid var(--border-color-primary);
  padding-top: 8px; }
.src-older h4 { font-size: 0.85rem; margin: 0 0 4px; color: var(--body-text-color-subdued); }
.src-turn summary { cursor: pointer; font-size: 0.9rem; padding: 4px 0; }
#chatbot .placeholder-content { padding: 28px 24px; }
#chatbot .placeholder { text-align: center; max-width: 560px; margin: 0 auto 18px;
  font-size: 1rem; color: var(--body-text-color-subdued); }
#chatbot .placeholder strong { display: block; font-size: 1.2rem; margin-bottom: 4px;
  color: var(--body-text-color); }
#chatbot button.example { border: 1px solid var(--border-color-primary); border-radius: 12px;
  background: var(--background-fill-secondary); padding: 12px 14px; text-align: left;
  transition: border-color 0.2s, background 0.2s; }
#chatbot button.example:hover { border-color: var(--color-accent);
  background: var(--color-accent-soft); }
#stats-html td, #stats-html th, #report-html td, #report-html th { border-left: none !important;
  border-right: none !important; border-top: none !important; }
#stats-html table, #report-html table { border: none !important; border-collapse: collapse;
  width: 100%; font-size: 0.9rem; }
#stats-html td, #report-html td, #report-html th { padding: 5px 10px;
  border-bottom: 1px solid var(--border-color-primary); text-align: left; }
.stat-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr));
  gap: 10px; margin-bottom: 10px; }
.stat { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 14px;
  background: var(--block-background-fill); }
.stat .v { font-size: 1.5rem; font-weight: 700; }
.stat .k { font-size: 0.8rem; color: var(--body-text-color-subdued); text-transform: uppercase; }
.st-added, .st-updated { color: #15803d; font-weight: 600; }
.st-skipped, .st-rejected { color: #b45309; font-weight: 600; }
.st-removed { color: #b91c1c; font-weight: 600; }
.error-box { border: 1px solid #f59e0b; background: #fffbeb; color: #78350f; border-radius: 8px;
  padding: 8px 12px; }
"""

HEAD = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.cite");
  if (!link) return;
  const id = (link.getAttribute("href") || "").slice(1);
  const card = document.getElementById(id);
  event.preventDefault();
  if (!card) return;
  const folded = card.closest("details");
  if (folded) folded.open = true;
  card.scrollIntoView({behavior: "smooth", block: "center"});
  card.classList.add("flash");
  setTimeout(() => card.classList.remove("flash"), 1600);
});
</script>
"""

# Local fonts only: the page makes no request to a font service.
SYSTEM_FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

COPY_JS = """(text) => {
  if (text && navigator.clipboard) { navigator.clipboard.writeText(text).catch(() => {}); }
  return text;
}"""


def launch_options(settings: Settings | None = None) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: look, size limit, auth; no share, no paths."""
    settings = settings or Settings.from_env()
    options: dict[str, Any] = {
        "theme": gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=SYSTEM_FONTS,
                                font_mono=MONO_FONTS),
        "css": CSS,
        "head": HEAD,
        "share": False,
        "show_error": False,
        "max_file_size": int(_max_upload_bytes(settings)),
        "footer_links": ["api"],
    }
    auth = str(getattr(settings, "ui_auth", "") or "")
    if auth:
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise ValueError("ui_auth must look like user:password")
        options["auth"] = (user, password)
    return options


def _max_upload_bytes(settings: Settings) -> float:
    return float(getattr(settings, "max_upload_mb", 5)) * 1024 * 1024


def _stats_html(assistant: Any) -> str:
    try:
        stats = assistant.retriever.stats()
    except Exception as exc:
        return f'<div class="error-box">Could not read the index: {_esc(_human_error(exc))}</div>'
    built = str(stats.get("built_at", ""))[:19].replace("T", " ")
    cells = [("posts", stats.get("posts")), ("reader comments", stats.get("comments")),
             ("passages (chunks)", stats.get("chunks")),
             ("files", stats.get("files_indexed"))]
    grid = "".join(f'<div class="stat"><div class="v">{_esc(v)}</div>'
                   f'<div class="k">{_esc(k)}</div></div>' for k, v in cells)
    rows = [("Built at", f"{built} UTC" if built else "unknown"),
            ("Embedding model", f"{stats.get('embedding_model')} "
                                f"({stats.get('embedding_dim')} dimensions)"),
            ("Files skipped", stats.get("files_skipped")),
            ("Index size", f"{int(stats.get('index_bytes') or 0) / 1e6:.1f} MB")]
    table = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f'<div class="stat-grid">{grid}</div><table>{table}</table>'


def _report_html(uploads: Sequence[UploadResult], report: Any | None,
                 error: str | None = None) -> str:
    parts = []
    if error:
        parts.append(f'<div class="error-box">{_esc(error)}</div>')
    rows = []
    for u in uploads:
        if u.saved_as is None:
            rows.append((u.name, "rejected", u.reason or "", ""))
    saved = {u.saved_as: u.name for u in uploads if u.saved_as}
    if report is not None:
        files = list(report.files)
        # Uploaded files first, then everything that changed; unchanged files are summed up.
        files.sort(key=lambda f: (f.source not in saved, f.status == "unchanged"))
        for f in files:
            if f.status == "unchanged" and f.source not in saved:
                continue
            detail = f.reason or (f"{_plural(f.posts, 'post')}, "
                                  f"{_plural(f.chunks, 'passage')}" if f.posts else "")
            label = f"{saved[f.source]} → {f.source}" if f.source in saved else f.source
            rows.append((label, f.status, detail, ""))
    if rows:
        body = "".join(f"<tr><td>{_esc(a)}</td><td class=\"st-{_esc(b)}\">{_esc(b)}</td>"
                       f"<td>{_esc(c)}</td></tr>" for a, b, c, _ in rows)
        parts.append(f"<table><tr><th>File</th><th>Result</th><th>Details</th></tr>{body}"
                     "</table>")
    if report is not None:
        parts.append(f"<p>{_esc(report.summary())}</p>")
        parts.extend(f"<p>Note: {_esc(n)}</p>" for n in report.notes)
        if not report.published:
            parts.append("<p>The index was already up to date.</p>")
    return "".join(parts) or "<p>Nothing to report.</p>"


def _author_choices(assistant: Any, limit: int = 300) -> list[str]:
    try:
        rows = assistant.retriever.store.db.execute(
            "SELECT author, COUNT(*) AS c FROM chunks WHERE author IS NOT NULL AND author != '' "
            "GROUP BY author COLLATE NOCASE ORDER BY c DESC LIMIT ?", (limit,)).fetchall()
        return sorted({r[0] for r in rows}, key=str.lower)
    except Exception:
        return []


class _Handlers:
    """The page's callbacks, bound to one assistant and its settings."""

    def __init__(self, assistant: Any, settings: Settings):
        self.assistant = assistant
        self.settings = settings

    # -------------------------------------------------------------- chat

    @staticmethod
    def _options(k, since, until, kind, author) -> dict[str, Any]:
        kind_value = {"Posts": "post", "Comments": "comment"}.get(kind or "")
        return {"k": int(k or 5), "since": (since or "").strip() or None,
                "until": (until or "").strip() or None, "kind": kind_value,
                "author": (author or "").strip() or None}

    def _stream(self, question: str, history: list[dict], options: dict[str, Any],
                spec: str) -> Iterator[Any]:
        if spec != getattr(self.assistant, "backend", spec):
            options = {**options, "backend": spec}
        return self.assistant.stream(question, history=history, **options)

    def respond(self, question, chat, history, turns, counter, k, since, until, kind, author,
                choice, model, url, gguf):
        """Stream one answer into the chat and the sources panel."""
        chat = list(chat or [])
        history = list(history or [])
        turns = list(turns or [])
        counter = int(counter or 0) + 1
        question = (question or "").strip()
        if not question:
            yield [*chat], gr.skip(), history, turns, counter, gr.skip(), gr.skip()
            return
        turn = _Turn(counter, question)
        turns = [*turns, turn][-MAX_TURNS_SHOWN:]
        chat.append({"role": "assistant", "content": "*Searching the archive…*"})
        yield [*chat], render_sources(turns), history, turns, counter, "", ""
        titles: list[str] = []
        text = ""
        notices: list[str] = []
        try:
            spec = backend_spec(choice, model, url, gguf)
            for event in self._stream(question, history, self._options(
                    k, since, until, kind, author), spec):
                name = type(event).__name__
                if name == "SourcesEvent":
                    turn.passages = tuple(event.passages)
                    titles = [h.title for h in turn.passages]
                    chat[-1] = {"role": "assistant", "content":
                                f"*Found {len(turn.passages)} passages; writing the answer…*"}
                    yield [*chat], render_sources(turns), history, turns, counter, "", ""
                elif name == "TextDelta":
                    text += event.text
                    chat[-1] = {"role": "assistant", "content": self._message(
                        text, turn, titles, notices)}
                    yield [*chat], gr.skip(), history, turns, counter, "", ""
                elif name == "NoticeEvent":
                    notices.append(event.message)
                elif name == "AnswerEvent":
                    answer = event.answer
                    turn.passages = tuple(answer.passages) or turn.passages
                    turn.quotes = _quotes_by_n(answer)
                    turn.cited = {c.n for c in answer.citations}
                    turn.unverified = {c.n for c in answer.citations if not c.supported}
                    turn.refused = bool(answer.refused)
                    turn.done = True
                    if answer.notice and answer.notice not in notices:
                        notices.append(answer.notice)
                    chat[-1] = {"role": "assistant", "content": self._final_message(
                        answer, turn, notices)}
                    history += [{"role": "user", "content": question},
                                {"role": "assistant", "content": answer.text}]
                    yield ([*chat], render_sources(turns), history, turns, counter,
                           answer_markdown(answer), answer_plain(answer))
                    return
            turn.done = True
            chat[-1] = {"role": "assistant", "content": self._message(
                text or "The answer stopped before it was complete.", turn, titles, notices)}
            yield [*chat], render_sources(turns), history, turns, counter, "", ""
        except Exception as exc:  # shown to the person, never as a stack trace
            turn.done = True
            message = _human_error(exc)
            body = (self._message(text, turn, titles, notices) + "\n\n") if text else ""
            chat[-1] = {"role": "assistant", "content":
                        f"{body}**Could not answer.** {_md_esc(message)}"}
            yield [*chat], render_sources(turns), history, turns, counter, "", ""

    @staticmethod
    def _notice_md(notices: Sequence[str]) -> str:
        return "".join(f"\n\n<span class=\"answer-meta\">Note: {_md_esc(n)}</span>"
                       for n in notices)

    def _message(self, text: str, turn: _Turn, titles: Sequence[str],
                 notices: Sequence[str]) -> str:
        return render_answer(text, len(turn.passages), turn.turn, (), titles) + \
            self._notice_md(notices)

    def _final_message(self, answer: Any, turn: _Turn, notices: Sequence[str]) -> str:
        titles = [h.title for h in turn.passages]
        body = render_answer(answer.text, len(turn.passages), turn.turn,
                             tuple(answer.unsupported or ()), titles)
        meta = []
        if answer.refused:
            if turn.passages:
                meta.append("The closest passages are shown under *Closest matches*.")
        else:
            cited = _cited(answer)
            if cited:
                refs = " ".join(
                    f'<a class="cite" href="#src-{turn.turn}-{c.n}" '
                    f'title="{_esc(c.hit.title)}">{c.n}</a> {_md_esc(_short(c.hit.title))}'
                    for c in cited)
                meta.append(f"Sources: {refs}")
            if answer.unsupported:
                meta.append("⚠ Underlined sentences: the passage they cite does not "
                            "clearly support them.")
        backend = getattr(answer, "backend", "") or ""
        if backend:
            meta.append(f"Answered by {_md_esc(backend_label(backend))}")
        tail = "".join(f"\n\n<span class=\"answer-meta\">{m}</span>" for m in meta)
        return body + self._notice_md(notices) + tail

    @staticmethod
    def add_user(question, chat):
        question = (question or "").strip()
        chat = list(chat or [])
        if question:
            chat.append({"role": "user", "content": _md_esc(question)})
        return "", chat, question

    @staticmethod
    def new_chat():
        return [], [], [], 0, render_sources([]), "", "", ""

    def model_line(self, choice, model, url, gguf) -> str:
        try:
            spec = backend_spec(choice, model, url, gguf)
        except ValueError as exc:
            return f"**Model:** {_md_esc(str(exc))}"
        return f"**Answering with:** {_md_esc(backend_label(spec))}"

    # -------------------------------------------------------------- API

    def api_chat(self, question: str) -> str:
        """Answer a question from the archive; returns the answer text with its references."""
        question = (question or "").strip()
        if not question:
            return "Please ask a question."
        try:
            answer = None
            for event in self.assistant.stream(question, history=[]):
                if type(event).__name__ == "AnswerEvent":
                    answer = event.answer
            if answer is None:
                return "The answer stopped before it was complete."
            return answer_plain(answer)
        except Exception as exc:
            return f"Could not answer: {_human_error(exc)}"

    def api_search(self, query: str, k: int = 5, since: str = "", until: str = "",
                   kind: str = "both", author: str = "") -> list[dict]:
        """Retrieve passages: a list of hits (text, score, source, title, date, kind, author)."""
        hits = self.assistant.retriever.search(
            query, k=int(k), since=since or None, until=until or None,
            kind=None if kind in ("", "both", None) else kind, author=author or None)
        return [h.as_dict() for h in hits]

    def api_ask(self, question: str) -> dict:
        """Answer a question; returns {answer, refused, citations} as JSON."""
        answer = None
        for event in self.assistant.stream(question, history=[]):
            if type(event).__name__ == "AnswerEvent":
                answer = event.answer
        if answer is None:
            raise gr.Error("The answer stopped before it was complete.")
        return answer.as_dict()

    # -------------------------------------------------------------- archive

    def reindex(self, files, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
        """Save uploads into the corpus folder, then update the index with a progress bar."""
        settings = self.settings
        uploads: list[UploadResult] = []
        try:
            max_bytes = int(_max_upload_bytes(settings))
            for item in files or []:
                path = getattr(item, "name", None) or str(item)
                original = getattr(item, "orig_name", None) or Path(path).name
                uploads.append(save_upload(path, original, settings.corpus_dir, max_bytes))
            progress(0.0, desc="Reading the corpus…")
            report = self._rebuild(progress)
            progress(1.0, desc="Done")
            return _report_html(uploads, report), _stats_html(self.assistant), \
                gr.update(value=None)
        except Exception as exc:
            return (_report_html(uploads, None, _human_error(exc)),
                    _stats_html(self.assistant), gr.skip())

    def _rebuild(self, progress) -> Any:
        from assistant.index.build import build_index

        retriever = self.assistant.retriever
        embedder = retriever.embedder

        def tick(done: int, total: int) -> None:
            progress((done, total), desc="Embedding new passages", unit="passages")

        report = build_index(self.settings.corpus_dir, self.settings.index_dir,
                             settings=self.settings, embedder=embedder, progress=tick)
        if report.published:
            progress(0.99, desc="Opening the new index…")
            self.assistant.retriever = type(retriever).open(
                self.settings.index_dir, settings=self.settings, embedder=embedder)
        return report

    def refresh_stats(self):
        return _stats_html(self.assistant)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(title: str, n: int = 48) -> str:
    title = title or "Untitled"
    return title if len(title) <= n else title[: n - 1].rstrip() + "…"


def build_app(assistant: Any, settings: Settings | None = None, *,
              examples: Sequence[str] = EXAMPLES,
              title: str = "Probation blog archive") -> gr.Blocks:
    """The page: chat with sources and options, and an Archive tab. Launch it with
    ``launch_options(settings)``."""
    settings = settings or Settings.from_env()
    h = _Handlers(assistant, settings)
    default_spec = getattr(assistant, "backend", None) or settings.backend
    choice0, model0, url0, gguf0 = _controls_from_spec(default_spec)
    max_mb = _max_upload_bytes(settings) / 1024 / 1024

    with gr.Blocks(title=title, analytics_enabled=False, fill_width=True) as demo:
        history = gr.State([])
        turns = gr.State([])
        counter = gr.State(0)
        question = gr.State("")
        with gr.Row(elem_id="app-header"):
            gr.HTML(f'<h1>{_esc(title)}</h1><div class="sub">Ask the archive of posts and '
                    "reader comments. Every answer cites the passages it uses.</div>",
                    padding=False)
            model_md = gr.Markdown(h.model_line(choice0, model0, url0, gguf0),
                                   elem_id="model-line")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=6, min_width=420):
                    chatbot = gr.Chatbot(
                        elem_id="chatbot", height=560, show_label=False,
                        latex_delimiters=[], allow_tags=False, buttons=["copy"],
                        feedback_options=None, layout="bubble",
                        placeholder="**Ask a question about the archive.** "
                                    "Answers quote the posts and comments they come "
                                    "from; click a number to see the passage.",
                        examples=[{"text": e} for e in examples])
                    with gr.Row(equal_height=True):
                        box = gr.Textbox(placeholder="Ask about the archive…",
                                         show_label=False, scale=8, lines=1,
                                         max_lines=6, autofocus=True, elem_id="question")
                        send = gr.Button("Ask", variant="primary", scale=1,
                                         min_width=80, elem_id="ask-btn")
                        stop = gr.Button("Stop", variant="secondary", scale=0,
                                         min_width=64, elem_id="stop-btn")
                    with gr.Row():
                        new = gr.Button("New chat", size="sm", elem_id="new-chat")
                        copy_md = gr.Button("Copy answer as Markdown", size="sm",
                                            elem_id="copy-md")
                        copy_txt = gr.Button("Copy answer as text", size="sm",
                                             elem_id="copy-txt")
                    export_md = gr.Textbox(visible=False)
                    export_txt = gr.Textbox(visible=False)
                    with gr.Accordion("Copied answer", open=False) as copied_acc:
                        copied = gr.Textbox(show_label=False, lines=6, max_lines=16,
                                            buttons=["copy"], interactive=False,
                                            elem_id="copied")
                    with gr.Accordion("Options: filters, passages, model", open=False,
                                      elem_id="options"):
                        with gr.Row():
                            since = gr.Textbox(label="From date", placeholder="YYYY-MM-DD",
                                               max_lines=1)
                            until = gr.Textbox(label="To date", placeholder="YYYY-MM-DD",
                                               max_lines=1)
                            kind = gr.Radio(list(KIND_CHOICES), value="Both",
                                            label="Search in")
                        with gr.Row():
                            author = gr.Dropdown(
                                ["", *_author_choices(assistant)], value="",
                                label="Author (commenter or signed writer)",
                                allow_custom_value=True, filterable=True)
                            k = gr.Slider(1, 20, value=int(getattr(assistant, "k", 5)),
                                          step=1, label="Passages to retrieve")
                        backend = gr.Radio(list(BACKEND_CHOICES), value=choice0,
                                           label="Answer with",
                                           info="Extractive quotes the best passages; "
                                                "a model writes a summary in its own "
                                                "words, with citations checked.")
                        with gr.Row():
                            gguf = gr.Textbox(label="GGUF file (blank: default model)",
                                              value=gguf0, max_lines=1,
                                              visible=choice0 == "Local model")
                            model = gr.Textbox(label="Model name", value=model0,
                                               max_lines=1, placeholder="llama3",
                                               visible=choice0 == "OpenAI-compatible")
                            url = gr.Textbox(label="Server URL", value=url0, max_lines=1,
                                             placeholder="http://127.0.0.1:11434/v1",
                                             visible=choice0 == "OpenAI-compatible")
                with gr.Column(scale=5, min_width=360, elem_id="sources-col"):
                    sources = gr.HTML(render_sources([]), elem_id="sources-html",
                                      padding=False)
            with gr.Tab("Archive", id="archive"), gr.Row(equal_height=False):
                with gr.Column(scale=1):
                    gr.Markdown("### What the archive holds")
                    stats = gr.HTML(_stats_html(assistant), elem_id="stats-html",
                                    padding=False)
                    refresh = gr.Button("Refresh", size="sm")
                with gr.Column(scale=1):
                    gr.Markdown(
                        "### Add posts\nUpload blog posts as text, Markdown or HTML "
                        f"(up to {max_mb:g} MB each). They are saved in the corpus "
                        "folder and indexed; only new or changed passages are embedded.")
                    files = gr.File(file_count="multiple",
                                    file_types=list(ALLOWED_UPLOAD_SUFFIXES),
                                    label="Files to add", elem_id="upload")
                    reindex = gr.Button("Add and re-index", variant="primary",
                                        elem_id="reindex-btn")
                    report = gr.HTML("", elem_id="report-html", padding=False)

        controls = [k, since, until, kind, author, backend, model, url, gguf]
        outputs = [chatbot, sources, history, turns, counter, export_md, export_txt]

        def start(evt):
            return evt.then(h.respond, [question, chatbot, history, turns, counter, *controls],
                            outputs, api_visibility="private")

        submitted = start(box.submit(h.add_user, [box, chatbot], [box, chatbot, question],
                                     queue=False, api_visibility="private"))
        clicked = start(send.click(h.add_user, [box, chatbot], [box, chatbot, question],
                                   queue=False, api_visibility="private"))

        def pick_example(data: gr.SelectData, chat):
            return h.add_user(str(data.value.get("text", "")) if isinstance(data.value, dict)
                              else str(data.value), chat)

        picked = start(chatbot.example_select(pick_example, [chatbot],
                                              [box, chatbot, question], queue=False,
                                              api_visibility="private"))
        running = [submitted, clicked, picked]
        stop.click(None, None, None, cancels=running, api_visibility="private")
        new.click(h.new_chat, None, [chatbot, history, turns, counter, sources, export_md,
                                     export_txt, copied], cancels=running, queue=False,
                  api_visibility="private")
        for btn, src, label in ((copy_md, export_md, "Markdown"), (copy_txt, export_txt,
                                                                    "plain text")):
            btn.click(_copied(label), [src], [copied, copied_acc], js=COPY_JS,
                      queue=False, api_visibility="private")

        def toggle(choice):
            return (gr.update(visible=choice == "Local model"),
                    gr.update(visible=choice == "OpenAI-compatible"),
                    gr.update(visible=choice == "OpenAI-compatible"))

        backend.change(toggle, [backend], [gguf, model, url], queue=False,
                       api_visibility="private")
        for control in (backend, model, url, gguf):
            control.change(h.model_line, [backend, model, url, gguf], [model_md], queue=False,
                           api_visibility="private")
        refresh.click(h.refresh_stats, None, [stats], api_visibility="private")
        reindex.click(h.reindex, [files], [report, stats, files], concurrency_limit=1,
                      concurrency_id="reindex", api_visibility="private")

        gr.api(h.api_chat, api_name="chat")
        gr.api(h.api_search, api_name="search")
        gr.api(h.api_ask, api_name="ask")
    return demo


def _copied(label: str):
    def show(text: str):
        if not text:
            gr.Info("Nothing to copy yet: ask a question first.")
            return gr.skip(), gr.skip()
        gr.Info(f"Answer copied as {label}.")
        return text, gr.update(open=True, label=f"Copied answer ({label})")
    return show
