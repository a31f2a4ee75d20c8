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
from dataclasses import dataclass, field

from assistant.answer.citations import CitationVerifier, quotable_sentences
from assistant.answer.constraints import fit, mentioned
from assistant.answer.facts import Asked, holds, names, near_subject
from assistant.answer.parts import Part, allows
from assistant.records import Hit
from assistant.text import content_words, split_sentences, stems

__all__ = ["CONTINUES", "PRONOUN_LED", "UNTYPED", "Sentence", "Texts", "asked_kind",
           "leans_back", "speaks_of", "weigh"]

LEXICAL_WEIGHT = 0.5  # weight of the part's word coverage next to cosine
TYPE_BONUS = 0.3  # coverage-scale bonus for holding the kind of fact asked for
FIT_WEIGHT = 0.1  # for the share of the part's constraints the passage meets
SENTENCE_FIT_WEIGHT = 0.1  # … and the sentence itself (with its antecedent) names
FOCUS_WEIGHT = 0.2  # for the share of the part's focus words ("relationship", "government")
ANAPHOR_DROP = 0.1  # "It was noted …" scores at least this under the sentence it follows
QUESTION_PENALTY = 0.15  # a sentence that asks ("… does this give them influence?") answers less
# A follow-up asks for something the last answer did not say: a sentence holding most of one
# of its sentences ("We have raised these issues with Amy Rees, Director General …" after
# the answer "Amy Rees, Director General of Probation …") is what was answered, not the
# answer, unless it holds a fact of the asked kind ("and when was that?").
RESTATED_SHARE = 0.6  # of an answer sentence's stems a sentence holds to restate it
RESTATED_PENALTY = 0.25
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
# … or points back with a demonstrative and a contrast ("The extent of this innovation has,
# however, been slowed …"), or opens with one ("However, …", "But …"): without the sentence
# before it, it says the opposite of nothing.
_CONTRAST = re.compile(r"^[\"“‘'(]*(?:however|but|yet|nevertheless|nonetheless)\b|"
                       r"^(?=[^.]*\b(?:this|these|those|such)\s+\w+)[^.,;]{0,60},\s*"
                       r"(?:however|though|nevertheless),", re.I)


def leans_back(sentence: str) -> bool:
    """Whether ``sentence`` needs the one before it to be understood."""
    return bool(PRONOUN_LED.match(sentence) or _CONTRAST.match(sentence))


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
# "How did readers react to …", "what did readers make of …": a sentence taking a stance
_REACTION_Q = re.compile(r"\b(?:react\w*|respon(?:d|ded|se)|make of|made of|think of|"
                         r"thought of|feel about|felt about|view(?:ed)? of|opinion|receiv\w+)"
                         r"\b", re.I)
_STANCE = re.compile(r"\b(?:I|we)\b(?:\s+\w+){0,2}\s+(?:think|thought|believe|feel|felt|"
                     r"laugh\w*|agree|disagree|doubt\w*|wonder\w*|suspect|fear|hope|find|"
                     r"found|am|was|can't|cannot)\b|\b(?:derisi\w*|laughable|ridiculous|"
                     r"absurd|joke|nonsense|rubbish|shameful|disgrac\w*|appalling|outrageous|"
                     r"farce|sham|scandal\w*|insult\w*|pathetic|welcome[ds]?|praise\w*)\b",
                     re.I)
_HYPHEN = re.compile(r"(?<=\w)[-‐–](?=\w)")
_CITED = re.compile(r"\[\d+(?:[,\s]+\d+)*\]")
UNTYPED = ("explanation", "yesno", "list")
_WHICH_NOUN = re.compile(r"\bwhich\s+([A-Za-z]+)", re.I)  # every sentence "holds" these kinds


def word_stems(text: str) -> frozenset[str]:
    """Stems with hyphenated words split too: "government-funded" meets "government"."""
    return frozenset(stems(text) | stems(_HYPHEN.sub(" ", text)))


_PROSE_WORD = re.compile(r"(?<![\w'’])[a-z][a-z'’-]{3,}")
_LETTER = re.compile(r"[^\W\d_]")


def _is_prose(sentence: str) -> bool:
    """Under 40% of its tokens are figures or single letters: a table row ("Y Y N Tier 2/3
    achieves target Y N Y") is no sentence to quote; "Believe It Or Not I Care" is."""
    tokens = [t.strip("\"“”‘’'(),.;:!?") for t in sentence.split()]
    junk = sum(not _LETTER.search(t) or (len(t) == 1 and t not in "IaA") for t in tokens)
    return junk < 0.4 * len(tokens)


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
                if _PROSE_WORD.search(sentence) and _is_prose(sentence):
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
    lexical = [weigher.lexical(sentence, n) for n, _, sentence in mine]
    order = sorted(range(len(mine)), key=lambda i: (-lexical[i][0], mine[i][0], mine[i][1]))
    pool = order[:MAX_CANDIDATES]
    asked = [part.query, part.topic] if part.topic else [part.query]
    vectors = verifier.embed(asked + [mine[i][2] for i in pool])
    # A compared part ("Were the CRCs innovating? what inspectors found in the 2018 …") is
    # read for its topic as much as for its side: on the side's words alone "Inspectors
    # found that many … were unaware of the services" beat "there were few examples of
    # true innovation" by 0.23.
    cosines = (vectors[len(asked):] @ vectors[:len(asked)].T).mean(axis=1)
    scores = {mine[i][:2]: float(cosines[j]) + weigher.rest(*mine[i], lexical[i][0])
              for j, i in enumerate(pool)}
    out = []
    for i in pool:
        n, position, sentence = mine[i]
        score = scores[n, position]
        if PRONOUN_LED.match(sentence) and (n, position - 1) in scores:
            score = max(score, scores[n, position - 1] - ANAPHOR_DROP)
        out.append(Sentence(n, position, sentence, score, weigher.holder(
            n, position, sentence, lexical[i][1])))
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
    said: tuple[frozenset[str], ...] = ()  # the stems of each sentence of the last answer
    own: frozenset[str] = frozenset()  # a follow-up's own words, when its search adds others
    # Passage n's title stems, when the part asks what readers said: a comment speaks of its
    # post without naming it ("Who is the developer?" under "Land Use Update: 6307 N
    # Montana"). On the imported Blogger and WordPress archives, "what did readers say about
    # <title>?" found a comment of that post for 4 of 8 commented posts without them.
    titles: dict[int, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, part: Part, texts: Texts) -> _Weigher:
        asked = part.asked
        fits = {n: fit(asked.constraints, hit, texts.piece(hit))
                for n, hit in enumerate(texts.passages, 1)}
        focus = word_stems(" ".join(asked.focus)) - word_stems(" ".join(asked.constraints))
        said = tuple(found for sentence in split_sentences(_CITED.sub("", part.said))
                     if len(found := word_stems(sentence)) >= 3)
        own = word_stems(part.text)
        titles = ({n: word_stems(hit.title) for n, hit in enumerate(texts.passages, 1)
                   if hit.kind == "comment"} if part.kind == "comment" else {})
        return cls(asked, texts, word_stems(part.query), focus, fits, said,
                   own if own != word_stems(part.query) else frozenset(), titles)

    def holder(self, n: int, position: int, sentence: str, typed: bool) -> bool:
        """Whether the sentence holds the asked fact: one of the wanted kind, in a passage
        meeting most of the constraints; for "which CRC …", a name of that kind or next to
        the question's words: "But if the CRC has its own innovative interventions … a
        general Rehabilitation Activity Requirement" names something, but not one of the
        "package areas" that "attracted only one suitable bidder"."""
        if not typed or self.fits[n] < FIT_MIN:
            return False
        asked = self.asked
        if asked.wants not in ("person", "organisation") or not _WHICH_NOUN.search(asked.text):
            return True
        return any(near_subject(sentence, name, asked) or _of_kind(name, sentence, asked)
                   for name in names(sentence, asked))

    def restates(self, sentence: str) -> bool:
        """Whether ``sentence`` says again one of the last answer's sentences."""
        if not self.said or self.asked.wants not in UNTYPED:
            return False
        mine = self.texts.stems(sentence)
        return any(len(mine & said) >= RESTATED_SHARE * len(said) for said in self.said)

    def coverage(self, words: frozenset[str], sentence: str, n: int = 0) -> float:
        found = self.texts.stems(sentence) | self.titles.get(n, frozenset())
        return len(words & found) / len(words) if words else 0.0

    def lexical(self, sentence: str, n: int = 0) -> tuple[float, bool]:
        """``(coverage of the part's words + answer-type bonus, holds the asked kind)``;
        ``n`` is the sentence's passage."""
        typed = holds(sentence, self.asked)
        # A follow-up's search adds the conversation's terms ("Amy Rees hmpps"): they find
        # the passage, but the sentence answering may hold only the follow-up's own words
        covered = max(self.coverage(self.words, sentence, n),
                      self.coverage(self.own, sentence, n))
        return covered + _type_bonus(sentence, self.asked, typed), typed

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
                - QUESTION_PENALTY * asks - RESTATED_PENALTY * self.restates(sentence)
                + 0.02 * (count - n) / max(count, 1))


def _type_bonus(sentence: str, asked: Asked, typed: bool) -> float:
    """``TYPE_BONUS`` for holding the wanted kind of fact (half of it for a name far from
    the question's own words: "led by Interserve" over "… in the UK"); for a list question
    a sentence that lists; for "what would they do" one about what will be done, for "what
    did she tell them to do" one about what should be (half)."""
    if asked.wants == "list":
        return TYPE_BONUS if _LIST.search(sentence) else 0.0
    if asked.wants in ("explanation", "yesno"):
        kind = asked_kind(asked)
        return TYPE_BONUS if kind and kind.search(sentence) else 0.0
    if not typed:
        return 0.0
    if asked.wants in ("person", "organisation") and not any(
            near_subject(sentence, name, asked) or _of_kind(name, sentence, asked)
            for name in names(sentence, asked)):
        return TYPE_BONUS / 2
    return TYPE_BONUS


def speaks_of(asked: Asked, text: str) -> bool:
    """Whether ``text`` speaks of what ``asked`` is about: one of its focus words, or most
    of its constraints (what a gap's "what it does say" must do). "What is the salary of a
    probation officer in 2024?" found "Our public probation officer persona's tended to be
    slightly holier than thou", which says nothing near it; "What were the findings of the
    HMI Probation inspection of RRP in Derbyshire …" found the report's announcement."""
    focus = word_stems(" ".join(asked.focus))
    return not focus or bool(focus & word_stems(text)) or mentioned(asked.constraints,
                                                                   text) >= 0.5


def asked_kind(asked: Asked) -> re.Pattern | None:
    """For "what did he expect to happen" the sentences about what will be, for "what did
    she tell them to do" those about what should be, for "how did readers react" those
    taking a stance; None for other questions."""
    for question, kind in ((_FUTURE_Q, _FUTURE), (_DIRECTIVE_Q, _DIRECTIVE),
                           (_REACTION_Q, _STANCE)):
        if question.search(asked.text):
            return kind
    return None


def _of_kind(name: str, sentence: str, asked: Asked) -> bool:
    """A name of the kind "which CRC …" asks for: "Cheshire and Greater Manchester CRC"."""
    kind = _WHICH_NOUN.search(asked.text)
    if not kind:
        return False
    noun = re.escape(kind.group(1).rstrip("s"))
    last = re.escape(name.split()[-1])  # ``names`` leaves out "and", "of": "Cheshire Greater
    # Manchester" is the run "Cheshire and Greater Manchester"
    return bool(re.search(rf"\b{last}(?:\s+[A-Z][\w&]*){{0,2}}\s+{noun}s?\b", sentence, re.I))
