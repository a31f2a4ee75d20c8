"""Token-aware chunks on sentence boundaries; a comment never shares a chunk with anything else."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from assistant.ingest.parse import PARSER_VERSION
from assistant.ingest.signatures import signed_sections
from assistant.records import Chunk, Post
from assistant.text import TOKEN_ENCODING, count_tokens, split_sentences, web_url

__all__ = [
    "ChunkerConfig",
    "chunk_post",
]


@dataclass(frozen=True)
class ChunkerConfig:
    """Chunk size and overlap in tokens of ``encoding``."""

    max_tokens: int = 200
    overlap_tokens: int = 40
    lead_tokens: int = 48
    encoding: str = TOKEN_ENCODING
    drafts: bool = False  # drafts are read too (``Settings.include_drafts``)

    def as_dict(self) -> dict[str, object]:
        """As recorded in an index's manifest, with the parser version: a change to either
        means every file must be parsed again (``drafts`` only when on, so the manifests of
        indexes without drafts stay as they were)."""
        return {"max_tokens": self.max_tokens, "overlap_tokens": self.overlap_tokens,
                "lead_tokens": self.lead_tokens, "encoding": self.encoding,
                "parser": PARSER_VERSION, **({"drafts": True} if self.drafts else {})}


_BULLET = re.compile(r"^\s*(?:[•*\-–·▪]|\d+[.)])\s+")


def _split_long(sentence: str, limit: int, count: Callable[[str], int]) -> Iterator[str]:
    """Break a sentence longer than ``limit`` tokens at word boundaries."""
    words, piece = sentence.split(), []
    for word in words:
        if piece and count(" ".join([*piece, word])) > limit:
            yield " ".join(piece)
            piece = []
        piece.append(word)
    if piece:
        yield " ".join(piece)


# A sentence (or a piece of an overlong one), its token count, and whether a paragraph ends
# with it: chunks keep paragraph breaks, so a heading, a sign-off or a list item stays a
# sentence of its own for the reading stage ("Raising our concerns with HMPPS" was read as
# the start of the sentence after it when chunks joined every sentence with a space).
_Unit = tuple[str, int, bool]


def _units(text: str, config: ChunkerConfig, count: Callable[[str], int]) -> list[_Unit]:
    """The sentences of ``text`` with their token counts, none over ``max_tokens``."""
    units: list[_Unit] = []
    seen_paragraphs: set[str] = set()
    for paragraph in re.split(r"\n\s*\n", text):
        key = " ".join(paragraph.split()).lower()
        if not key:
            continue
        # A paragraph repeated verbatim inside one document adds nothing but duplicate hits.
        if len(key) > 40 and key in seen_paragraphs:
            continue
        seen_paragraphs.add(key)
        for sentence in split_sentences(paragraph):
            n = count(sentence)
            if n <= config.max_tokens:
                units.append((sentence, n, False))
            else:
                units.extend((p, count(p), False)
                             for p in _split_long(sentence, config.max_tokens, count))
        if units:
            units[-1] = (*units[-1][:2], True)
    return units


def _joined(units: list[_Unit]) -> str:
    """The units' text: a blank line after each paragraph's last, else a space."""
    return "".join(f"{text}{_PARAGRAPH if ends else ' '}" for text, _, ends in units).rstrip()


_PARAGRAPH = "\n\n"


def _overlap(current: list[_Unit], next_tokens: int, config: ChunkerConfig) -> list[_Unit]:
    """The trailing sentences of a full chunk to carry into the next, up to ``overlap_tokens``."""
    overlap: list[_Unit] = []
    carried = 0
    for prev in reversed(current):
        if carried + prev[1] > config.overlap_tokens:
            break
        overlap.insert(0, prev)
        carried += prev[1]
    # Never carry so much that the next chunk would be pure overlap.
    if carried + next_tokens > config.max_tokens:
        return []
    return overlap


def _pack(text: str, config: ChunkerConfig) -> list[str]:
    """Greedy packing of whole sentences up to ``max_tokens`` with trailing-sentence overlap."""

    def count(s: str) -> int:
        return count_tokens(s, config.encoding)

    chunks: list[str] = []
    current: list[_Unit] = []
    size = 0  # tokens in ``current``, kept as it grows (summing per sentence is quadratic)
    for unit in _units(text, config, count):
        n = unit[1]
        if current and size + n > config.max_tokens:
            chunks.append(_joined(current))
            current = _overlap(current, n, config)
            size = sum(carried[1] for carried in current)
        current.append(unit)
        size += n
    if current:
        chunks.append(_joined(current))
    return chunks


def _lead(body: str, config: ChunkerConfig) -> str:
    """The first sentence(s) of a post, up to ``lead_tokens``."""
    if config.lead_tokens <= 0:
        return ""
    lead: list[str] = []
    for sentence in split_sentences(body)[:4]:
        if lead and count_tokens(" ".join([*lead, sentence]), config.encoding) > config.lead_tokens:
            break
        lead.append(sentence)
    text = " ".join(lead)
    if count_tokens(text, config.encoding) > config.lead_tokens:
        text = next(_split_long(text, config.lead_tokens,
                                lambda s: count_tokens(s, config.encoding)))
    return text


def _chunk_id(post: Post, parts: list[str], reply_to: str | None) -> str:
    """The content hash of a chunk: the post's source, title and date, then ``parts``
    (kind, author, number, text, context) and, for a reply, whom it answers."""
    key = "\x00".join([post.source, post.title, str(post.date), *parts])
    if reply_to is not None:  # the header embeds it; a top-level comment keeps its old id
        key += f"\x00reply\x00{reply_to}"
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class _Place:
    """Where a passage sits: a post section (its signer) or a comment of the thread."""

    kind: str
    author: str | None
    when: date | None
    url: str | None
    number: str | None = None
    reply_to: str | None = None


def chunk_post(post: Post, config: ChunkerConfig | None = None) -> list[Chunk]:
    """Chunks of the post body, then of each comment separately. Identical chunks appear once."""
    config = config or ChunkerConfig()
    chunks: list[Chunk] = []
    seen: set[str] = set()
    lead = _lead(post.body, config)
    post_url = web_url(post.url)  # an export's javascript: or file: link is never kept

    def emit(text: str, at: _Place) -> None:
        for piece in _pack(text, config):
            context = "" if not lead or piece.startswith(lead[:40]) else lead
            chunk_id = _chunk_id(post, [at.kind, at.author or "", at.number or "", piece,
                                        context], at.reply_to)
            if chunk_id in seen:
                continue
            seen.add(chunk_id)
            chunks.append(Chunk(
                chunk_id=chunk_id, post_id=post.post_id, source=post.source, title=post.title,
                date=at.when, kind=at.kind, author=at.author, comment_number=at.number,
                position=len(chunks), text=piece, url=at.url, context=context,
                reply_to=at.reply_to,
            ))

    # Chunks never straddle a sign-off, so each carries the writer of its own section.
    for text, signed_by in signed_sections(post):
        emit(text, _Place("post", signed_by, post.date, post_url))
    authors = {c.number: c.author or "" for c in post.comments}
    for comment in post.comments:
        # Threads are numbered depth first ("3.2" answers "3"): the parent is the number's
        # prefix, for every importer and for the blog-text format alike.
        parent = comment.number.rpartition(".")[0]
        emit(comment.text, _Place("comment", comment.author, comment.date or post.date,
                                  web_url(comment.url) or post_url, comment.number,
                                  authors.get(parent) if parent else None))
    return chunks
