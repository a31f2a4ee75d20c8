"""How the reading stage weighs a passage sentence for one question part.

A sentence's score is its embedding cosine to the part, plus ``LEXICAL_WEIGHT`` times the
share of the part's words it holds and an answer-type bonus (``TYPE_BONUS`` when it holds
the kind of fact asked for, ``facts.holds``; half of it for a name far from the question's
own words), plus a little for the constraints its passage meets (``FIT_WEIGHT``), the
constraints it names itself (``SENTENCE_FIT_WEIGHT``) and the part's focus words
(``FOCUS_WEIGHT``), less ``QUESTION_PENALTY`` when it asks rather than states. A sentence
that opens with a pronoun (``PRONOUN_LED``) scores at least ``ANAPHOR_DROP`` under the one
before it: with its antecedent it is one piece of evidence. Measured on the dev files with
the extractive backend: cosine, coverage and type bonus alone (the old extractive score)
gave multi-part keyword accuracy 0.20; the focus words (with hyphenated words split:
"government-funded"), the sentence's own constraints, the question penalty and the list
bonus took it to 0.60 with simple questions kept at 13/13; the pronoun rule answered "Which
CRC had more than twice that many?" ("It was noted that there was more than double this
amount in Cheshire …").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.citations import CitationVerifier, quotable_sentences
from assistant.answer.constraints import fit, mentioned
from assistant.answer.facts import Asked, holds, names, near_subject
from assistant.answer.parts import Part, allows
from assistant.records import Hit
from assistant.text import content_words, stems

__all__ = ["CONTINUES", "PRONOUN_LED", "Sentence", "Texts", "weigh"]

LEXICAL_WEIGHT = 0.5  # weight of the part's word coverage next to cosine
TYPE_BONUS = 0.3  # coverage-scale bonus for holding the kind of fact asked for
FIT_WEIGHT = 0.1  # for the share of the part's constraints the passage meets
SENTENCE_FIT_WEIGHT = 0.1  # … and the sentence itself (with its antecedent) names
FOCUS_WEIGHT = 0.2  # for the share of the part's focus words ("relationship", "government")
ANAPHOR_DROP = 0.1  # "It was noted …" scores at least this under the sentence it follows
QUESTION_PENALTY = 0.15  # a sentence that asks ("… does this give them influence?") answers less
MAX_CANDIDATES = 20  # sentences embedded per part (the rest are pre-filtered lexically)
MIN_WORDS, MAX_WORDS = 4, 70
FIT_MIN = 0.5  # share of the constraints a holder's passage must meet

# A sentence that leans on the one before it: a pronoun subject ("It was noted …", "They
# singled out …", "This stopped when …"), not a noun phrase ("These contracts are …").
PRONOUN_LED = re.compile(r"^[\"“‘'(]*(?:(?:it|its|they|them|their|he|she|his|her|such|the "
                         r"(?:latter|former))\b|(?:this|that|these|those)\s+(?:is|was|are|"
                         r"were|has|have|had|will|would|can|could|may|might|must|should|does|"
                         r"did|do|means?|shows?|includes?|suggests?|seems?|makes?|made|led|"
                         r"leads?|[a-z]+ed)\b)", re.I)
# … or goes on from it: a pronoun or a connective ("However, …", "But …", "Also …").
CONTINUES = re.compile(rf"{PRONOUN_LED.pattern}|^[\"“‘'(]*(?:however|but|yet|so|also|and|"
                       r"instead|both)\b", re.I)
# A sentence that lists: what a "which decisions …" or "list the …" question wants
_LIST = re.compile(r"\bsuch as\b|\bincluding\b|\bnamely\b|\bfor example\b|\be\.g\.|[:;•]|"
                   r",[^,]+,[^,]+\band\b", re.I)
# "What did she say Labour would do …", "what did he expect to happen": a sentence about what
# will be done answers it
_FUTURE_Q = re.compile(r"\b(?:would|will)\s+(?:\w+\s+)?(?:do|happen|be|become|change)\b|"
                       r"\b(?:expect\w*|predict\w*|forecast\w*|going to)\b", re.I)
_FUTURE = re.compile(r"\b(?:will|would|shall|going to|plans? to|intends? to|promised? to|"
                     r"pledged? to)\b", re.I)
# "What did the chair tell members to do …": a sentence saying what should be done answers it
_DIRECTIVE_Q = re.compile(r"\b(?:tell|told|advise[ds]?|urge[ds]?|ask(?:ed)?|warn(?:ed)?|"
                          r"instruct(?:ed)?|encourage[ds]?)\b[^?]{0,40}?\bto\b", re.I)
_DIRECTIVE = re.compile(r"\b(?:should|must|ought to|needs? to|have to|urge|advise|make sure|"
                        r"do not|don't)\b", re.I)
_HYPHEN = re.compile(r"(?<=\w)[-‐–](?=\w)")


def word_stems(text: str) -> frozenset[str]:
    """Stems with hyphenated words split too: "government-funded" meets "government"."""
    return frozenset(stems(text) | stems(_HYPHEN.sub(" ", text)))


class Texts:
    """The passages' quotable sentences, split once per reading, and their stems."""

    def __init__(self, passages: Sequence[Hit]):
        self.passages = tuple(passages)
        self.sentences = [quotable_sentences(hit.text) for hit in self.passages]
        self._stems: dict[str, frozenset[str]] = {}
        self._pieces = _pieces(self.passages)

    def stems(self, sentence: str) -> frozenset[str]:
        known = self._stems.get(sentence)
        if known is None:
            known = self._stems[sentence] = word_stems(sentence)
        return known

    def of(self, n: int) -> list[str]:
        """Passage ``n``'s quotable sentences (1-based)."""
        return self.sentences[n - 1]

    def piece(self, hit: Hit) -> str:
        """The retrieved text of ``hit``'s piece (its post body, or its comment)."""
        return self._pieces[_piece(hit)]

    def candidates(self) -> list[tuple[int, int, str]]:
        """``(passage n, position, sentence)`` for every quotable sentence of a useful
        length, each text once (overlapping chunks repeat sentences: the higher-ranked
        passage keeps it). A line of capitalised words only (a sign-off) is no answer."""
        found: list[tuple[int, int, str]] = []
        seen: set[str] = set()
        for n, sentences in enumerate(self.sentences, 1):
            for position, sentence in enumerate(sentences):
                key = " ".join(content_words(sentence))
                if key in seen or not MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
                    continue
                seen.add(key)
                if re.search(r"(?<![\w'’])[a-z][a-z'’-]{3,}", sentence):
                    found.append((n, position, sentence))
        return found

    def with_antecedent(self, n: int, position: int, sentence: str) -> str:
        """``sentence``, after the one before it when it opens with a pronoun."""
        if position == 0 or not PRONOUN_LED.match(sentence):
            return sentence
        return f"{self.of(n)[position - 1]} {sentence}"


def _piece(hit: Hit) -> tuple[str, str, str]:
    return hit.post_id or hit.source, hit.kind, hit.comment_number or ""


def _pieces(passages: Sequence[Hit]) -> dict[tuple[str, str, str], str]:
    """The retrieved text of each piece (a post body, or one comment): a constraint met in
    another chunk of the same piece ("Clinks" in the comment's first chunk) is met."""
    texts: dict[tuple[str, str, str], list[str]] = {}
    for hit in passages:
        texts.setdefault(_piece(hit), []).append(hit.text)
    return {key: " ".join(parts) for key, parts in texts.items()}


@dataclass(frozen=True)
class Sentence:
    """A passage sentence as weighed for one part: passage ``n`` (1-based), its position
    among the passage's quotable sentences, its score, and whether it holds the asked fact
    (in a passage that meets the part's constraints)."""

    n: int
    position: int
    text: str
    score: float
    holds: bool = False


def weigh(part: Part, texts: Texts, candidates: list[tuple[int, int, str]],
          verifier: CitationVerifier) -> list[Sentence]:
    """The part's candidates (those of passages passing its filters), best first."""
    passages = texts.passages
    mine = [c for c in candidates if allows(part.filters, passages[c[0] - 1])]
    if not mine:
        return []
    weigher = _Weigher.of(part, texts)
    lexical = [weigher.lexical(sentence) for _, _, sentence in mine]
    order = sorted(range(len(mine)), key=lambda i: (-lexical[i][0], mine[i][0], mine[i][1]))
    pool = order[:MAX_CANDIDATES]
    vectors = verifier.embed([part.query] + [mine[i][2] for i in pool])
    cosines = vectors[1:] @ vectors[0]
    scores = {mine[i][:2]: float(cosines[j]) + weigher.rest(*mine[i], lexical[i][0])
              for j, i in enumerate(pool)}
    out = []
    for i in pool:
        n, position, sentence = mine[i]
        score = scores[n, position]
        if PRONOUN_LED.match(sentence) and (n, position - 1) in scores:
            score = max(score, scores[n, position - 1] - ANAPHOR_DROP)
        out.append(Sentence(n, position, sentence, score,
                          lexical[i][1] and weigher.fits[n] >= FIT_MIN))
    out.sort(key=lambda s: (-s.score, s.n, s.position))
    return out


@dataclass(frozen=True)
class _Weigher:
    """What a part's sentences are weighed with, besides their cosine."""

    asked: Asked
    texts: Texts
    words: frozenset[str]
    focus: frozenset[str]
    fits: dict[int, float]

    @classmethod
    def of(cls, part: Part, texts: Texts) -> _Weigher:
        asked = part.asked
        fits = {n: fit(asked.constraints, hit, texts.piece(hit))
                for n, hit in enumerate(texts.passages, 1)}
        focus = word_stems(" ".join(asked.focus)) - word_stems(" ".join(asked.constraints))
        return cls(asked, texts, word_stems(part.query), focus, fits)

    def coverage(self, words: frozenset[str], sentence: str) -> float:
        return len(words & self.texts.stems(sentence)) / len(words) if words else 0.0

    def lexical(self, sentence: str) -> tuple[float, bool]:
        """``(coverage of the part's words + answer-type bonus, holds the asked kind)``."""
        typed = holds(sentence, self.asked)
        return self.coverage(self.words, sentence) + _type_bonus(sentence, self.asked,
                                                                 typed), typed

    def rest(self, n: int, position: int, sentence: str, lexical: float) -> float:
        """Everything but the cosine: coverage, constraints met, focus words, a penalty for
        a sentence that asks, and a little for the passage's rank."""
        count = len(self.texts.passages)
        named = mentioned(self.asked.constraints,
                          self.texts.with_antecedent(n, position, sentence))
        asks = sentence.rstrip(" \"”’')").endswith("?")
        fitted = self.fits[n] if self.asked.constraints else 0.0
        return (LEXICAL_WEIGHT * lexical + FIT_WEIGHT * fitted
                + SENTENCE_FIT_WEIGHT * named + FOCUS_WEIGHT * self.coverage(self.focus, sentence)
                - QUESTION_PENALTY * asks + 0.02 * (count - n) / max(count, 1))


def _type_bonus(sentence: str, asked: Asked, typed: bool) -> float:
    """``TYPE_BONUS`` for holding the wanted kind of fact (half of it for a name far from
    the question's own words: "led by Interserve" over "… in the UK"); for a list question
    a sentence that lists; for "what would they do" one about what will be done, for "what
    did she tell them to do" one about what should be (half)."""
    if asked.wants == "list":
        return TYPE_BONUS if _LIST.search(sentence) else 0.0
    if asked.wants in ("explanation", "yesno"):
        future = _FUTURE_Q.search(asked.text) and _FUTURE.search(sentence)
        directed = _DIRECTIVE_Q.search(asked.text) and _DIRECTIVE.search(sentence)
        return TYPE_BONUS / 2 if future or directed else 0.0
    if not typed:
        return 0.0
    if asked.wants in ("person", "organisation") and not any(
            near_subject(sentence, name, asked) or _of_kind(name, sentence, asked)
            for name in names(sentence, asked)):
        return TYPE_BONUS / 2
    return TYPE_BONUS


def _of_kind(name: str, sentence: str, asked: Asked) -> bool:
    """A name of the kind "which CRC …" asks for: "Cheshire and Greater Manchester CRC"."""
    kind = re.search(r"\bwhich\s+([A-Za-z]+)", asked.text, re.I)
    if not kind:
        return False
    noun = re.escape(kind.group(1).rstrip("s"))
    return bool(re.search(rf"{re.escape(name)}(?:\s+[A-Z][\w&]*){{0,2}}\s+{noun}s?\b",
                          sentence, re.I))
