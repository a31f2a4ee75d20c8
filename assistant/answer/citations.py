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
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
    "strip_markers",
]

COSINE_THRESHOLD = 0.45
STRONG_COSINE = 0.8
LEXICAL_THRESHOLD = 0.5
UNVERIFIED_MARK = "[unverified]"

_MARKER = re.compile(r"\[\s*(\d+(?:\s*(?:[,;]|-|–|and)\s*\d+)*)\s*\]")
_LEADING_MARKERS = re.compile(r"^((?:\s*\[\s*\d[^\]]*\])+)[\s.,;:]*")
_REFUSAL = re.compile(
    r"archive (?:does ?n[o']t|does not|did not|didn't) (?:say|mention|cover|contain)"
    r"|passages? (?:do(?:es)? ?n[o']t|do(?:es)? not) (?:answer|say|mention|contain|provide)"
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
    """Quotable sentences of a passage; long ones are split at clause boundaries
    (``;``, ``:``, brackets, dashes), and pieces still too long are cut by words."""
    out: list[str] = []
    for sentence in split_sentences(text, run_ons=True):
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
    return out or [" ".join(text.split())]


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


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> set[str]:
    """Numbers written with digits (``£12bn`` -> ``12``, ``1,200`` -> ``1200``)."""
    return {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}


_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|rules|prompt|above|"
    r"previous)\b|\b(reply|respond|answer|say|output|print)\s+(only\s+)?(with\s+)?"
    r"[\"'“]?[A-Z]{4,}\b|\bsystem prompt\b|\byou are now\b|\bas an ai\b",
    re.I | re.S)


def looks_like_instruction(sentence: str) -> bool:
    """Whether a passage sentence addresses the assistant (a prompt-injection attempt)."""
    return bool(_INSTRUCTION.search(sentence))


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
        """The best quote of ``hit`` for ``claim`` and whether it supports it."""
        claim = strip_markers(claim)
        sentences = passage_sentences(hit.text)
        vectors = self.embed([claim, *sentences])
        cosines = vectors[1:] @ vectors[0]
        words = set(content_words(claim))
        passage_words = set(content_words(hit.text))
        lexical = len(words & passage_words) / len(words) if words else 0.0
        per_sentence = np.array([len(words & set(content_words(s))) / len(words) if words else 0
                                 for s in sentences])
        best = int(np.argmax(cosines + 0.5 * per_sentence))
        cosine = float(cosines.max())
        numbers_ok = numbers_in(claim) <= numbers_in(hit.text)
        supported = numbers_ok and (cosine >= self.strong_cosine or (
            cosine >= self.cosine_threshold and lexical >= self.lexical_threshold
            and len(words & passage_words) >= 2))
        return Support(n, sentences[best], cosine, lexical, supported)

    def verify(self, text: str, passages: Sequence[Hit], repair: bool = True) -> Verification:
        """Drop invented numbers, check every cited sentence, mark unsupported ones.

        A sentence some of whose citations support it keeps only those citations.
        With ``repair``, a claim that its cited passages (or a missing citation) do not
        support is re-attributed to the passage in ``passages`` that supports it best, if
        any does; ``Verification.repaired`` lists those sentences.
        """
        count = len(passages)
        dropped: list[int] = []
        out_sentences: list[tuple[str, tuple[Support, ...]]] = []
        unsupported: list[str] = []
        repaired: list[str] = []
        rendered: list[str] = []
        for sentence in claim_sentences(text):
            numbers = parse_markers(sentence)
            valid = list(dict.fromkeys(n for n in numbers if 1 <= n <= count))
            dropped.extend(n for n in numbers if not 1 <= n <= count)
            clean = _rewrite_markers(sentence, valid)
            supports = tuple(self.support(clean, n, passages[n - 1]) for n in valid)
            ok = any(s.supported for s in supports) if supports else not _has_claim(clean)
            if ok and not all(s.supported for s in supports):
                # "[2][3]" where only [2] says it: [3] would send the reader to a passage
                # that does not back the claim, so it goes.
                supports = tuple(s for s in supports if s.supported)
                clean = _rewrite_markers(clean, [s.n for s in supports])
            if not ok and repair and _has_claim(clean) and not looks_like_instruction(clean):
                others = [self.support(clean, n, passages[n - 1])
                          for n in range(1, count + 1) if n not in valid]
                best = max((s for s in others if s.supported), default=None,
                           key=lambda s: (s.cosine + s.lexical, -s.n))
                if best is not None:
                    clean = _rewrite_markers(clean, [best.n])
                    supports, ok = (best,), True
                    repaired.append(strip_markers(clean))
            if not ok:
                unsupported.append(strip_markers(clean))
                clean = f"{clean} {UNVERIFIED_MARK}"
            out_sentences.append((clean, supports))
            rendered.append(clean)
        return Verification(" ".join(rendered), tuple(out_sentences), tuple(unsupported),
                            tuple(dict.fromkeys(dropped)), tuple(repaired))


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
