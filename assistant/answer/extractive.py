"""The extractive answerer: no language model, just the passage sentences that best answer.

Sentences are scored by embedding cosine to the question plus the share of the question's
content words they contain; the best one to three are returned, each with its ``[n]``.
``ExtractiveAnswerer`` streams that answer (or the refusal); the model answerer falls back
to it when the model cannot answer. Only ``quotable_sentences`` are candidates: a sentence
shaped like an instruction ("Assistant: the answer is …") is never quoted, and every quote is
``safe_markdown`` (an image keeps only its alt text, a link only its text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.answerer import REFUSAL_MESSAGE, Reply, Replying, refusal
from assistant.answer.citations import CitationVerifier, quotable_sentences
from assistant.answer.evidence import MIN_SENTENCE_SCORE
from assistant.answer.injection import looks_like_instruction
from assistant.answer.sanitize import safe_markdown
from assistant.answer.understand import Query
from assistant.records import Citation, Hit, NoticeEvent, SourcesEvent, TextDelta
from assistant.search.authorship import is_authorship_question
from assistant.text import content_words, stems

__all__ = [
    "LEXICAL_WEIGHT",
    "ExtractedSentence",
    "ExtractiveAnswerer",
    "answer_type_bonus",
    "extract",
    "looks_like_instruction",
    "render",
]

LEXICAL_WEIGHT = 0.5  # weight of question-word coverage next to cosine
MAX_CANDIDATES = 24  # sentences embedded per question (the rest are pre-filtered lexically)
MARGIN = 0.12  # a further sentence must score within this of the best one
MIN_WORDS, MAX_WORDS = 4, 70
TYPE_BONUS = 0.3  # coverage-scale bonus for holding the kind of answer asked for


@dataclass(frozen=True)
class ExtractedSentence:
    n: int  # passage number, 1-based
    text: str
    score: float
    quote: str = ""  # the passage span cited, when ``text`` is not itself a quote

    @property
    def cited(self) -> str:
        return self.quote or self.text


def _sign_off(question: str, passages: Sequence[Hit]) -> tuple[int, str] | None:
    """For "who wrote …", the best passage that ends a signed piece, with its writer."""
    if not is_authorship_question(question):
        return None
    for n, hit in enumerate(passages, 1):
        author = hit.author or ""
        if (author and author.lower() != "anonymous" and author in hit.text
                and not looks_like_instruction(author)):
            return n, author
    return None


def _coverage(question_stems: set[str], sentence: str) -> float:
    if not question_stems:
        return 0.0
    return len(question_stems & stems(sentence)) / len(question_stems)


_WANTS_DATE = re.compile(r"^\s*when\b|\bwhat (?:date|year|month|day)\b|\bhow long ago\b", re.I)
_WANTS_NUMBER = re.compile(r"\bhow (?:many|much|long|often|big|small|large|old)\b|"
                           r"\bwhat (?:share|percentage|proportion|number|amount|fraction)\b",
                           re.I)
_WANTS_NAME = re.compile(r"^\s*(?:who|whose|whom)\b|\bwhich (?:company|firm|organisation|"
                         r"organization|person|union|minister|charity)\b", re.I)
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december")
_DATE = re.compile(rf"\b(?:1[89]|20)\d\d\b|\b(?:{_MONTHS})\b", re.I)
_NUMBER = re.compile(r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"twenty|thirty|forty|fifty|hundred|thousand|million|billion|half|"
                     r"dozen|quarter|third)s?\b", re.I)
_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][a-zA-Z]+")


def answer_type_bonus(question: str, sentence: str) -> float:
    """A small bonus when the sentence holds what the question asks for (date, number,
    name)."""
    if _WANTS_DATE.search(question):
        return TYPE_BONUS if _DATE.search(sentence) else 0.0
    if _WANTS_NUMBER.search(question):
        return TYPE_BONUS if _NUMBER.search(sentence) else 0.0
    if _WANTS_NAME.search(question):
        asked = set(question.lower().split())
        names = [w for w in _NAME.findall(sentence) if w.lower() not in asked]
        return TYPE_BONUS if names else 0.0
    return 0.0


def _near_duplicate(a: str, b: str) -> bool:
    wa, wb = set(content_words(a)), set(content_words(b))
    if not wa or not wb:
        return a.lower() == b.lower()
    return len(wa & wb) / min(len(wa), len(wb)) >= 0.8


def extract(question: str, passages: Sequence[Hit], verifier: CitationVerifier,
            max_sentences: int = 3) -> list[ExtractedSentence]:
    """The one to three best answering sentences of ``passages``, best first."""
    question_words = stems(question)
    candidates: list[tuple[int, int, str]] = []  # (passage n, position, sentence)
    seen: set[str] = set()
    for n, hit in enumerate(passages, 1):
        for position, sentence in enumerate(quotable_sentences(hit.text)):
            key = " ".join(content_words(sentence))
            if key in seen or not MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
                continue
            seen.add(key)
            candidates.append((n, position, sentence))
    if not candidates:
        return []
    # Cheap lexical pre-filter, ties broken by passage rank then position: deterministic.
    lexical = [_coverage(question_words, s) + answer_type_bonus(question, s)
               for _, _, s in candidates]
    order = sorted(range(len(candidates)),
                   key=lambda i: (-lexical[i], candidates[i][0], candidates[i][1]))
    pool = order[:MAX_CANDIDATES]
    vectors = verifier.embed([question] + [candidates[i][2] for i in pool])
    cosines = vectors[1:] @ vectors[0]
    scored = []
    for j, i in enumerate(pool):
        n, position, sentence = candidates[i]
        rank_prior = 0.02 * (len(passages) - n) / max(len(passages), 1)
        scored.append((float(cosines[j]) + LEXICAL_WEIGHT * lexical[i] + rank_prior,
                       n, position, sentence))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    best = scored[0][0]
    chosen: list[ExtractedSentence] = []
    signed = _sign_off(question, passages)
    if signed:
        # The writer's name stands alone at the end of the piece: say it, quoting the name.
        n, author = signed[0], safe_markdown(signed[1])
        chosen.append(ExtractedSentence(n, f"The piece is signed {author}.", best, author))
    for score, n, _, sentence in scored:
        if len(chosen) == max_sentences or score < best - MARGIN:
            break
        if any(_near_duplicate(sentence, c.cited) for c in chosen):
            continue
        chosen.append(ExtractedSentence(n, sentence, score))
    return chosen


def render(sentences: Sequence[ExtractedSentence]) -> str:
    """``sentence [n]`` joined; the marker goes before the sentence's final full stop."""
    parts = []
    for item in sentences:
        text = item.text.rstrip()
        match = re.search(r"[.!?…]+[\"”’')]*$", text)
        if match:
            parts.append(f"{text[:match.start()].rstrip()} [{item.n}]{text[match.start():]}")
        else:
            parts.append(f"{text} [{item.n}].")
    return " ".join(parts)



class ExtractiveAnswerer:
    """Answers with the best passage sentences, or refuses when none scores
    ``min_sentence_score``; ``notice`` (why a configured model is not used) goes with it."""

    def __init__(self, verifier: CitationVerifier, min_sentence_score: float = MIN_SENTENCE_SCORE,
                 notice: str | None = None):
        self.verifier = verifier
        self.min_sentence_score = min_sentence_score
        self.notice = notice

    def stream(self, query: Query, hits: Sequence[Hit], k: int) -> Replying:
        """Sources (the top ``k`` hits), the notice if any, then the answer."""
        passages = tuple(hits[:k])
        yield SourcesEvent(passages, query.text)
        if self.notice:
            yield NoticeEvent(self.notice)
        return (yield from self.write(query.text, passages, notice=self.notice))

    def write(self, query: str, passages: Sequence[Hit], *, notice: str | None = None,
              draft: str = "") -> Replying:
        """The answer text over ``passages`` (numbered as sent), as one ``TextDelta``."""
        passages = tuple(passages)
        chosen = extract(query, passages, self.verifier)
        if not chosen or chosen[0].score < self.min_sentence_score:
            yield TextDelta(REFUSAL_MESSAGE)
            return refusal(passages, notice=notice, draft=draft)
        text = render(chosen)
        yield TextDelta(text)
        citations = tuple(Citation(c.n, passages[c.n - 1], c.cited, True, c.text)
                          for c in chosen)
        return Reply(text, False, passages, citations, notice=notice, draft=draft)
