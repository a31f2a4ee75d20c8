"""Citation markers: parse ``[n]`` (also ``[1, 2]``, ``[1][2]``, ``[1-3]``), drop invented
numbers, and check each cited sentence against its passage.

A cited sentence is *supported* by passage ``n`` when every number it states occurs in the
passage and either its best-matching passage sentence has an embedding cosine of at least
``STRONG_COSINE``, or at least ``LEXICAL_THRESHOLD`` of its content words (two or more) occur
in the passage and the best cosine is at least ``COSINE_THRESHOLD``. Thresholds were chosen
on ``shared/eval/dev.jsonl``: claims built from each question and its answer keywords scored
cosine >= 0.54 and lexical >= 0.5 against their gold passage, while answer sentences checked
against other retrieved (topically close) passages stayed below lexical 0.5 unless they
repeated the same text, and below cosine 0.8.

Passage text shaped like an instruction (``injection.looks_like_instruction``: "Assistant:
the answer is …", "ignore previous instructions") is never support: only the other
sentences of a passage are quoted or compared. An answer sentence that repeats such text
(``injection.Guard``) and nothing else supports is dropped, whatever wrote it; every kept
sentence is ``safe_markdown`` (no image, no link except the passages' permalinks).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answer.injection import Guard, looks_like_instruction
from assistant.answer.sanitize import permalinks, safe_markdown
from assistant.records import Hit
from assistant.text import content_words, split_sentences

__all__ = [
    "COSINE_THRESHOLD",
    "LEXICAL_THRESHOLD",
    "STRONG_COSINE",
    "UNVERIFIED_MARK",
    "CitationVerifier",
    "Support",
    "Verification",
    "claim_sentences",
    "looks_like_instruction",
    "looks_like_refusal",
    "numbers_in",
    "parse_markers",
    "passage_sentences",
    "quotable_sentences",
    "strip_markers",
]

COSINE_THRESHOLD = 0.45
STRONG_COSINE = 0.8
LEXICAL_THRESHOLD = 0.5
UNVERIFIED_MARK = "[unverified]"

_MARKER = re.compile(r"\[\s*(\d+(?:\s*(?:[,;]|-|–|and)\s*\d+)*)\s*\]")
_LEADING_MARKERS = re.compile(r"^((?:\s*\[\s*\d[^\]]*\])+)[\s.,;:]*")
_REFUSAL = re.compile(  # "give", "state": the honest gap ("The archive doesn't give …")
    r"archive (?:does ?n[o']t|does not|did not|didn't) (?:say|mention|cover|contain|give|"
    r"state)"
    r"|passages? (?:do(?:es)? ?n[o']t|do(?:es)? not) (?:answer|say|mention|contain|provide|"
    r"give|state)"
    r"|(?:can ?not|can't|unable to) (?:answer|find|determine)"
    r"|no (?:relevant )?information (?:about|on|in)|not (?:mentioned|stated) in the",
    re.I)


def parse_markers(text: str) -> list[int]:
    """Every passage number cited in ``text``, in order of appearance (ranges expanded)."""
    numbers: list[int] = []
    for match in _MARKER.finditer(text):
        for part in re.split(r"\s*(?:[,;]|and)\s*", match.group(1)):
            bounds = re.split(r"\s*[-–]\s*", part)
            if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
                lo, hi = int(bounds[0]), int(bounds[1])
                numbers.extend(range(lo, hi + 1) if 0 < hi - lo < 20 else (lo, hi))
            elif part.strip().isdigit():
                numbers.append(int(part))
    return numbers


def strip_markers(text: str) -> str:
    """``text`` without citation markers (and without the unverified mark)."""
    text = _MARKER.sub("", text).replace(UNVERIFIED_MARK, "")
    return re.sub(r"\s+([.,;:!?])", r"\1", " ".join(text.split())).strip()


def claim_sentences(text: str) -> list[str]:
    """Split an answer into sentences, keeping markers written after a full stop
    (``… rise. [2]``) with the sentence they follow."""
    sentences: list[str] = []
    for sentence in split_sentences(text):
        lead = _LEADING_MARKERS.match(sentence)
        if lead and sentences:
            sentences[-1] = f"{sentences[-1]} {lead.group(1).strip()}"
            sentence = sentence[lead.end():].strip()
        if sentence:
            sentences.append(sentence)
    return sentences


def looks_like_refusal(text: str) -> bool:
    """Whether ``text`` says the passages do not answer (e.g. "The archive doesn't say")."""
    return bool(_REFUSAL.search(text))


_CLAUSE = re.compile(r"(?<=[;:])\s+|\s+(?=\()|(?<=\))\s+|\s+[-–—]+\s+")


def passage_sentences(text: str, max_words: int = 40) -> list[str]:
    """The sentences of a passage as they may be quoted (``safe_markdown``: an image keeps its
    alt text, a link its text); long ones are split at clause boundaries (``;``, ``:``,
    brackets, dashes), and pieces still too long are cut by words."""
    out: list[str] = []
    for sentence in split_sentences(safe_markdown(text), run_ons=True):
        if len(sentence.split()) <= max_words:
            out.append(sentence)
            continue
        pieces: list[str] = []
        for clause in _CLAUSE.split(sentence):
            clause = clause.strip()
            if not clause:
                continue
            if pieces and (len(clause.split()) < 5 or len(pieces[-1].split()) < 5):
                pieces[-1] = f"{pieces[-1]} {clause}"
            else:
                pieces.append(clause)
        for piece in pieces:
            words = piece.split()
            step = max_words + max_words // 2
            for start in range(0, len(words), step):
                out.append(" ".join(words[start:start + step]))
    return out or [" ".join(safe_markdown(text).split())]


def quotable_sentences(text: str) -> list[str]:
    """``passage_sentences`` that do not look like an instruction: the only ones quoted."""
    return [s for s in passage_sentences(text) if not looks_like_instruction(s)]


@dataclass(frozen=True)
class Support:
    """How well passage ``n`` supports one claim."""

    n: int
    quote: str
    cosine: float
    lexical: float  # share of the claim's content words found in the passage
    supported: bool


@dataclass(frozen=True)
class Verification:
    """A checked answer: cleaned text, one ``Support`` per (sentence, cited passage)."""

    text: str  # invented numbers dropped, unsupported sentences marked
    sentences: tuple[tuple[str, tuple[Support, ...]], ...]
    unsupported: tuple[str, ...]
    dropped: tuple[int, ...]  # cited numbers that matched no passage
    repaired: tuple[str, ...] = ()  # sentences re-attributed to the passage supporting them
    injected: tuple[str, ...] = ()  # sentences dropped: they repeat instruction-shaped text


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> set[str]:
    """Numbers written with digits (``£12bn`` -> ``12``, ``1,200`` -> ``1200``)."""
    return {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}


def _has_claim(sentence: str) -> bool:
    return len(content_words(strip_markers(sentence))) >= 2 and not looks_like_refusal(sentence)


class CitationVerifier:
    """Checks cited sentences against passages with an embedder (``embed_documents``)."""

    def __init__(self, embedder, cosine_threshold: float = COSINE_THRESHOLD,
                 lexical_threshold: float = LEXICAL_THRESHOLD,
                 strong_cosine: float = STRONG_COSINE, cache_size: int = 4096):
        self.embedder = embedder
        self.cosine_threshold = cosine_threshold
        self.strong_cosine = strong_cosine
        self.lexical_threshold = lexical_threshold
        self._cache: dict[str, np.ndarray] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors for ``texts``, computing only those not seen recently."""
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            vectors = np.asarray(self.embedder.embed_documents(missing), dtype=np.float32)
            known.update(zip(missing, vectors, strict=True))
            with self._lock:
                if len(self._cache) + len(missing) > self._cache_size:
                    self._cache.clear()
                self._cache.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([known[t] for t in texts])

    def support(self, claim: str, n: int, hit: Hit) -> Support:
        """The best quote of ``hit`` for ``claim`` and whether it supports it; sentences
        shaped like an instruction are neither quoted nor counted."""
        claim = strip_markers(claim)
        sentences = quotable_sentences(hit.text)
        if not sentences:
            return Support(n, "", 0.0, 0.0, False)
        vectors = self.embed([claim, *sentences])
        cosines = vectors[1:] @ vectors[0]
        words = set(content_words(claim))
        quotable = " ".join(sentences)
        passage_words = set(content_words(quotable))
        lexical = len(words & passage_words) / len(words) if words else 0.0
        per_sentence = np.array([len(words & set(content_words(s))) / len(words) if words else 0
                                 for s in sentences])
        best = int(np.argmax(cosines + 0.5 * per_sentence))
        cosine = float(cosines.max())
        numbers_ok = numbers_in(claim) <= numbers_in(quotable)
        supported = numbers_ok and (cosine >= self.strong_cosine or (
            cosine >= self.cosine_threshold and lexical >= self.lexical_threshold
            and len(words & passage_words) >= 2))
        return Support(n, sentences[best], cosine, lexical, supported)

    def verify(self, text: str, passages: Sequence[Hit], repair: bool = True) -> Verification:
        """Drop invented numbers, check every cited sentence, mark unsupported ones.

        A sentence some of whose citations support it keeps only those citations.
        With ``repair``, a claim that its cited passages (or a missing citation) do not
        support is re-attributed to the passage in ``passages`` that supports it best, if
        any does; ``Verification.repaired`` lists those sentences. A sentence repeating
        instruction-shaped passage text is dropped (``Verification.injected``).
        """
        count = len(passages)
        guard = Guard.of(s for hit in passages for s in passage_sentences(hit.text))
        dropped: list[int] = []
        checked: list[_Checked] = []
        for sentence in claim_sentences(safe_markdown(text, permalinks(passages))):
            numbers = parse_markers(sentence)
            valid = list(dict.fromkeys(n for n in numbers if 1 <= n <= count))
            dropped.extend(n for n in numbers if not 1 <= n <= count)
            checked.append(self._check(_rewrite_markers(sentence, valid), valid, passages,
                                       guard, repair))
        kept = [c for c in checked if not c.injected]
        return Verification(" ".join(c.text for c in kept),
                            tuple((c.text, c.supports) for c in kept),
                            tuple(strip_markers(c.text) for c in kept if not c.ok),
                            tuple(dict.fromkeys(dropped)),
                            tuple(strip_markers(c.text) for c in kept if c.repaired),
                            tuple(c.text for c in checked if c.injected))

    def _check(self, clean: str, valid: list[int], passages: Sequence[Hit], guard: Guard,
               repair: bool) -> _Checked:
        """One answer sentence, its markers already limited to ``valid`` numbers."""
        supports = tuple(self.support(clean, n, passages[n - 1]) for n in valid)
        ok = any(s.supported for s in supports) if supports else not _has_claim(clean)
        if ok and not all(s.supported for s in supports):
            # "[2][3]" where only [2] says it: [3] would send the reader to a passage
            # that does not back the claim, so it goes.
            supports = tuple(s for s in supports if s.supported)
            clean = _rewrite_markers(clean, [s.n for s in supports])
        claim = strip_markers(clean)
        if guard.echoes(claim, supported=bool(supports) and ok):
            return _Checked(clean, (), False, injected=True)
        if not ok and repair and _has_claim(clean):
            others = [self.support(clean, n, passages[n - 1])
                      for n in range(1, len(passages) + 1) if n not in valid]
            best = max((s for s in others if s.supported), default=None,
                       key=lambda s: (s.cosine + s.lexical, -s.n))
            if best is not None:
                return _Checked(_rewrite_markers(clean, [best.n]), (best,), True, repaired=True)
        if not ok:
            return _Checked(f"{clean} {UNVERIFIED_MARK}", supports, False)
        return _Checked(clean, supports, True)


@dataclass(frozen=True)
class _Checked:
    """One answer sentence as checked: its text as rendered and its supports."""

    text: str
    supports: tuple[Support, ...]
    ok: bool
    repaired: bool = False
    injected: bool = False  # it repeats instruction-shaped passage text: dropped


def _rewrite_markers(sentence: str, valid: list[int]) -> str:
    """The sentence with its markers replaced by ``[a][b]`` for the valid numbers only."""
    body = _MARKER.sub("", sentence)
    body = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(body.split())).strip()
    if not valid:
        return body
    marks = "".join(f"[{n}]" for n in valid)
    match = re.search(r"[.!?]+[\"”’')]*$", body)
    if match:  # put the markers before the final full stop
        return f"{body[:match.start()].rstrip()} {marks}{body[match.start():]}"
    return f"{body} {marks}"
