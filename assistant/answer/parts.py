"""The parts of a question the reading stage answers one by one, and their searches.

A question has one part, or several (``question.split_parts``: "X, and what did Y say?",
"Compare A with B", "The blogger and one reader … What does each say?"). Each part carries
its own filters: those the caller set, plus those its own wording implies
(``understand.effective_filters``), so "In 2014, how much … and what did Raho say in 2016"
reads 2014 passages for the first part and any for the second, and "what does the blogger
say" posts only.

``gather`` searches every part of a multi-part question on its own and merges the results
after the question's own hits, each passage once, so one numbering serves the whole answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant.answer.facts import Asked
from assistant.answer.question import analyse
from assistant.answer.understand import FILTER_NAMES, Query, effective_filters
from assistant.records import Hit
from assistant.search.filters import Filters

__all__ = ["PART_K", "Part", "allows", "gather", "plan"]

PART_K = 3  # passages each part of a multi-part question adds (after the question's own)



@dataclass(frozen=True)
class Part:
    """One part to read: its words, what it asks, the filters its passages must pass;
    ``search`` is what it is searched and scored with (its words plus the terms a
    follow-up's standalone query added)."""

    text: str
    asked: Asked
    filters: Mapping[str, object] = field(default_factory=dict)
    search: str = ""
    said: str = ""  # the conversation's last answer: a follow-up asks for something else
    topic: str = ""  # what every part asks ("Were the CRCs innovating?"), when it leads them
    kind: str | None = None  # "comment" when it reads comments only, as asked or implied


    @property
    def query(self) -> str:
        return self.search or self.text


def _asked(text: str) -> Asked:
    shape = analyse(text)
    return Asked(text, shape.wants, shape.focus, shape.constraints)


def _said(query: Query) -> str:
    """The conversation's last answer, which a follow-up asks past ("what else?"); none
    when the last question is asked again word for word (the page's timeline re-asks it for
    a period): its answer may be the same one, and restating it is no reason to refuse."""
    turns = query.turns
    last_asked = next((t["content"] for t in reversed(turns) if t["role"] == "user"), None)
    if last_asked is not None and _words(last_asked) == _words(query.asked):
        return ""
    return next((t["content"] for t in reversed(turns) if t["role"] == "assistant"), "")


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", text.lower()))


def plan(query: Query, explicit: Mapping[str, object] | None = None,
         infer: bool = True) -> tuple[Part, ...]:
    """The parts of ``query``; ``explicit`` are the caller's filters (they win), ``infer``
    whether implied filters apply (as for the whole question)."""
    shape = query.shape
    suffix = query.text[len(query.asked):] if query.text.startswith(query.asked) else ""
    said = _said(query)
    if shape is None or len(shape.parts) <= 1:
        # its passages were searched with the question's filters: nothing more to check
        return (Part(query.asked, _asked(query.asked), search=query.text, said=said,
                     kind=query.filters.get("kind")),)
    parts = []
    for text, implied in zip(shape.parts, shape.part_implied, strict=False):
        filters, _ = effective_filters(explicit or {}, implied if infer else ())
        topic = text[:text.index("?") + 1] if "?" in text[:-1] else ""
        parts.append(Part(text, _asked(text), filters, search=f"{text}{suffix}", said=said,
                          topic=topic, kind=filters.get("kind")))
    return tuple(parts)


def allows(filters: Mapping[str, object], hit: Hit) -> bool:
    """Whether ``hit`` passes ``filters`` (as the retriever applies them)."""
    try:
        made = Filters.make(*(filters.get(name) for name in FILTER_NAMES))
    except ValueError:
        return True
    if made.kind and hit.kind != made.kind:
        return False
    if made.author and (hit.author or "").lower() != made.author.lower():
        return False
    if (made.since or made.until) and hit.date is None:
        return False
    return not ((made.since and hit.date < made.since) or (made.until and hit.date > made.until))


def gather(retriever, hits: Sequence[Hit], parts: Sequence[Part], k: int) -> tuple[Hit, ...]:
    """``hits[:k]``, then for a question of several parts each part's own best ``PART_K``
    passages not already there (searched with the part's words, plus the terms a
    follow-up's standalone query added, and the part's filters)."""
    merged = list(hits[:k])
    if len(parts) <= 1:
        return tuple(merged)
    seen = {h.chunk_id for h in merged}
    for part in parts:
        filters = {name: value for name, value in part.filters.items() if value is not None}
        found = retriever.search(part.query, k=PART_K, **filters)
        for hit in found:
            if hit.chunk_id not in seen:
                merged.append(hit)
                seen.add(hit.chunk_id)
    return tuple(merged)
