"""The composed answer: one cited sentence (or a short run) per question part, in order.

``compose`` writes a ``Reading`` as text: each part's run with its ``[n]``; a part the
archive does not answer as its gap ("The archive doesn't give the number of complaints.")
and what the archive says nearby ("What it does say: … [1]."). The parts of a multi-part
answer are labelled with their source in plain words ("“MP's Raise the Alarm” (24 Sep
2016): …", "A reader, on “Guest Blog 15” (19 Dec 2014): …"), so a comparison reads as one.
For "who wrote …" the signed passage's writer comes first ("The piece is signed David Raho
[2]."). Nothing else is added: no sentence that does not serve a part. Every quote is
``safe_markdown`` (``citations.quotable_sentences``) and never instruction-shaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from assistant.answer.citations import strip_markers
from assistant.answer.gaps import gap_sentence
from assistant.answer.reading import PartReading, Reading, Sentence
from assistant.answer.sanitize import safe_markdown
from assistant.answer.weighing import speaks_of
from assistant.records import Citation, Hit

__all__ = ["Composed", "cite", "compose", "compose_part", "render", "signed_line", "source_label"]


@dataclass(frozen=True)
class Composed:
    """An answer as written from a reading: its text, citations and gaps."""

    text: str
    citations: tuple[Citation, ...]
    gaps: tuple[str, ...] = ()


def cite(text: str, n: int) -> str:
    """``text`` with ``[n]`` before its final full stop (or after it, with one added)."""
    text = text.rstrip()
    match = re.search(r"[.!?…:;,]+[\"”’')]*$", text)
    if match:
        end = match.group(0)
        closing = re.sub(r"^[.!?…:;,]+", "", end)
        stop = "." if end[:1] in ":;," else end[:1] if end[:1] != "…" else "…"
        return f"{text[:match.start()].rstrip()}{closing} [{n}]{stop}"
    return f"{text} [{n}]."


def render(sentences: Sequence[tuple[int, str]]) -> str:
    """``sentence [n]`` joined: the marker goes before each sentence's final full stop."""
    return " ".join(cite(text, n) for n, text in sentences)


def source_label(hit: Hit) -> str:
    """The passage's source in plain words: "“Title” (24 Sep 2016)" or "A reader, on
    “Title” (24 Sep 2016)"."""
    when = f"{hit.date.day} {hit.date:%b %Y}" if hit.date else "undated"
    title = safe_markdown(hit.title).replace("“", "").replace("”", "")
    if hit.kind == "comment":
        return f"A reader, on “{title}” ({when})"
    return f"“{title}” ({when})"


def signed_line(n: int, author: str) -> str:
    """"The piece is signed David Raho [2].": the writer's name stands alone at the end of
    the piece, so the answer says it, quoting the name."""
    return cite(f"The piece is signed {safe_markdown(author)}.", n)


_LEADING_CONNECTIVE = re.compile(r"^(?:and|but|so|also|yet|or)\b,?\s+(?=\S)", re.I)


def _opening(text: str) -> str:
    """A quote that opens an answer without the "And" or "But" that tied it to a sentence
    left out ("And 74% of ESA tests …" → "74% of ESA tests …")."""
    bare = _LEADING_CONNECTIVE.sub("", text)
    return bare[:1].upper() + bare[1:] if bare != text else text


def _shown(run: Sequence[Sentence]) -> list[tuple[int, str]]:
    """``(n, sentence as written in the answer)`` for a run."""
    return [(s.n, _opening(s.text) if i == 0 else s.text) for i, s in enumerate(run)]


def _part_text(part: PartReading, passages: Sequence[Hit], labelled: bool,
               ends: date | None = None) -> str:
    """A found part's run (labelled with its source in a multi-part answer); a gap's
    sentence and what the archive says nearby (nothing nearby when off-topic)."""
    if not part.run or (part.gap and (part.off_topic or not _about(part))):
        return gap_sentence(part.gap, ends) if part.gap else ""
    body = render(_shown(part.run))
    if not part.gap:
        label = f"{source_label(passages[part.run[0].n - 1])}: " if labelled else ""
        return f"{label}{body}"
    nearby = passages[part.run[0].n - 1]
    lead = "What a reader wrote" if nearby.kind == "comment" else "What it does say"
    return f"{gap_sentence(part.gap, ends)} {lead}: {body}"


def _about(part: PartReading) -> bool:
    """Whether a gap's nearby run speaks of what the part asks about (``speaks_of``)."""
    return speaks_of(part.part.asked, " ".join(s.text for s in part.run))


def compose_part(part: PartReading, passages: Sequence[Hit]) -> str:
    """One found part's run, labelled with its source: what a model's answer that left the
    part out gets after it."""
    return _part_text(part, passages, labelled=True)


def compose(reading: Reading) -> Composed:
    """The answer text of ``reading``, its citations (one per quoted sentence, all
    supported: each quotes its own passage) and its gaps."""
    passages = reading.passages
    labelled = len(reading.parts) > 1
    pieces: list[str] = []
    citations: list[Citation] = []
    signer = reading.signer
    if signer:
        pieces.append(signed_line(*signer))
        citations.append(Citation(signer[0], passages[signer[0] - 1], signer[1], True,
                                  strip_markers(signed_line(*signer))))
    for part in reading.parts:
        if signer and not labelled:  # the sign-off answers; the run is what the piece says
            part = replace(part, gap="")
        text = _part_text(part, passages, labelled, reading.ends)
        if text:
            pieces.append(text)
        if part.run and not (part.gap and part.off_topic):
            citations.extend(Citation(n, passages[n - 1], s.text, True, shown)
                             for s, (n, shown) in zip(part.run, _shown(part.run), strict=True))
    return Composed(" ".join(pieces), tuple(citations), reading.gaps)
