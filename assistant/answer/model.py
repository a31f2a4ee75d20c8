"""The model answerer: prompt a chat backend with the reading, stream its draft, verify it.

The model gets the reading stage's verdict. When the reading found that the archive states
none of what was asked, the model is not asked: the composed gap answer is the answer. Else
its prompt holds the selected sentences of each part (``prompts.build_evidence_prompt``)
and a note for each part the passages do not answer. The draft streams as ``TextDelta``s;
the ``Reply`` carries the checked text (invented citation numbers dropped, unsupported
sentences marked ``[unverified]``), followed by any part it left out (composed) or the gap
sentence of a part it did not say was missing. The draft and the reading must agree on the
fact asked for (``_judge``): a figure, name or date its cited passages do not hold, or one
given for a part the passages do not answer, replaces it with the composed answer; a draft
stating no fact of the kind asked makes the answer a gap; a refusal where the reading found
the sentences that answer gives way to them. When the backend
fails before writing anything, or cites nothing the passages support, the answer is the
composed one, with a notice saying why; a draft that says the archive does not answer is
otherwise a refusal. A stream cut off mid-answer keeps its finished sentences only: the
unfinished last one is left out, citation and all, and the notice says so.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace

from assistant.answer.answerer import Reply, Replying, refusal
from assistant.answer.citations import (
    CitationVerifier,
    Verification,
    claim_sentences,
    looks_like_refusal,
    strip_markers,
)
from assistant.answer.compose import compose_part, signed_line
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.facts import appears, wanted_in
from assistant.answer.gaps import gap_sentence
from assistant.answer.prompts import (
    DEFAULT_MAX_PASSAGES,
    PARTS_NOTE,
    Prompt,
    build_evidence_prompt,
    gap_note,
)
from assistant.answer.reading import Reading, Sentence
from assistant.answer.understand import Query
from assistant.llm.base import BackendError, ChatBackend, StreamInterrupted
from assistant.records import (
    Citation,
    Event,
    Hit,
    NoticeEvent,
    SourcesEvent,
    TextDelta,
    TokenUsage,
)
from assistant.text import count_tokens

__all__ = ["FILLED_NOTICE", "INJECTED_NOTICE", "MISSED_NOTICE", "REPLACED_NOTICE", "UNHELD_NOTICE",
           "UNSTATED_NOTICE", "ModelAnswerer", "fallback_notice"]

# Answer kinds whose fact is a figure, a date or a name: a draft must state one.
_TYPED = ("number", "money", "date", "person", "organisation")

INJECTED_NOTICE = ("A sentence repeating an instruction planted in a passage was left out of "
                   "the answer.")
REPLACED_NOTICE = ("The model's answer cited nothing the passages support, so it was "
                   "replaced by sentences extracted from them.")
UNSTATED_NOTICE = ("The model's answer did not state what was asked, so the answer says what "
                   "the passages do and do not give.")
MISSED_NOTICE = ("The model found no answer in the passages; the sentences below, quoted from "
                 "them, answer it.")
FILLED_NOTICE = ("The model's answer gave a figure, name or date for what the passages do not "
                 "state, so it was replaced by sentences extracted from them.")
UNHELD_NOTICE = ("The model's answer gave a figure, name or date that its passages do not "
                 "hold, so it was replaced by sentences extracted from them.")


def fallback_notice(reason: str) -> str:
    """The notice for an answer written extractively because of ``reason``."""
    return f"{reason.rstrip().rstrip('.')}; answered extractively instead."


# A sentence ends with . ! ? or … (then closing quotes, brackets, emphasis, citation markers).
# A draft this close to ``max_tokens`` (counted with cl100k, which runs a few percent under
# the models' own tokenizers) that stops mid-sentence was cut by the limit.
LENGTH_LIMIT_SHARE = 0.85
_FINISHED = re.compile(r"[.!?…][\"”’')\]*_]*(?:\s*\[[^\[\]]*\])*\s*$")


@dataclass(frozen=True)
class _Draft:
    text: str  # what the model wrote, stripped
    failure: str | None  # why the stream stopped early, if it did
    usage: TokenUsage | None = None  # what the backend counted, if it did

    def usable(self) -> tuple[str, str | None]:
        """The text to verify and the notice. A cut stream loses its unfinished last
        sentence: "The union says six years [1] of" would pass the check on its cited
        words and send a reader to passage 1 for half a claim, as if it were whole."""
        if not self.failure or not self.text:
            return self.text, self.failure
        sentences = claim_sentences(self.text)
        if not sentences or _FINISHED.search(sentences[-1]):
            return self.text, f"The answer was cut off: {self.failure}"
        kept = " ".join(sentences[:-1])
        if not kept:
            return "", ("The answer was cut off before its first sentence was complete: "
                        f"{self.failure}")
        return kept, (f"The answer was cut off: {self.failure.rstrip()} Its unfinished last "
                      "sentence was left out.")


class ModelAnswerer:
    """Answers with ``chat``, named ``name`` in the ``Answer``; ``fallback`` writes the
    composed answer when the model's cannot be used."""

    def __init__(self, chat: ChatBackend, name: str, verifier: CitationVerifier,
                 fallback: ExtractiveAnswerer, max_passages: int = DEFAULT_MAX_PASSAGES):
        self.chat = chat
        self.name = name
        self.verifier = verifier
        self.fallback = fallback
        self.max_passages = max_passages

    def stream(self, query: Query, reading: Reading) -> Replying:
        """Sources (the passages whose sentences the prompt holds), the draft, notices; the
        checked reply, with the tokens the model used (whichever text the reply kept: the
        model read and wrote them). When the reading stage found that the archive states
        none of what was asked, the model is not asked: the composed gap answer is the
        answer."""
        drafts: list[_Draft] = []
        reply = yield from self._answer(query, reading, drafts)
        usage = drafts[0].usage if drafts else None
        return replace(reply, usage=usage) if usage else reply

    def _answer(self, query: Query, reading: Reading, drafts: list[_Draft]) -> Replying:
        if not reading.answered and not reading.off_topic:
            yield SourcesEvent(reading.passages, query.text)
            return (yield from self.fallback.write(reading, backend=self.name))
        shown = reading.excerpts(max_passages=self.max_passages + len(reading.parts) - 1)
        narrowed = reading.narrowed([n for n, _ in shown])
        prompt = build_evidence_prompt(
            query.asked, [(narrowed.passages[i], _excerpt(sentences))
                          for i, (_, sentences) in enumerate(shown)],
            query.turns, context_length=self.chat.context_length, notes=_notes(reading))
        passages = prompt.passages
        narrowed = narrowed.narrowed(range(1, len(passages) + 1))
        yield SourcesEvent(passages, query.text)
        draft = yield from self._draft(prompt)
        drafts.append(draft)
        text, notice = draft.usable()  # a cut stream without its unfinished sentence
        if notice and not text:
            return (yield from self._extract(narrowed, draft, fallback_notice(notice)))
        if notice:
            yield NoticeEvent(notice)
        checked = self.verifier.verify(text, passages)
        if checked.injected:  # sentences that obeyed a planted instruction were dropped
            notice = f"{notice} {INJECTED_NOTICE}" if notice else INJECTED_NOTICE
            yield NoticeEvent(INJECTED_NOTICE)
        verdict, why = _judge(checked, text, narrowed)
        if verdict == "reply":
            return self._reply(checked, passages, notice, draft.text, narrowed)
        if verdict == "refuse":
            return refusal(reading.passages, backend=self.name, notice=notice,
                           draft=draft.text)
        replacement = narrowed.as_gaps() if verdict == "gap" else narrowed
        return (yield from self._extract(replacement, draft, why))

    def _draft(self, prompt: Prompt) -> Generator[Event, None, _Draft]:
        """Stream the model's text; a backend error ends the draft instead of the answer."""
        parts: list[str] = []
        failure: str | None = None
        usage = None
        deltas = iter(self.chat.stream(prompt.messages, max_tokens=prompt.max_tokens,
                                       temperature=0.1))
        try:
            while True:
                try:
                    delta = next(deltas)
                except StopIteration as done:  # a backend's stream may return its counts
                    usage = done.value if isinstance(done.value, TokenUsage) else None
                    break
                parts.append(delta)
                yield TextDelta(delta)
        except StreamInterrupted as exc:
            if not parts and exc.partial:
                parts.append(exc.partial)
            failure = str(exc)
        except BackendError as exc:
            failure = str(exc)
        finally:
            close = getattr(deltas, "close", None)
            if close:
                close()
        text = "".join(parts).strip()
        if failure is None and text and not _FINISHED.search(text) and count_tokens(
                text) >= LENGTH_LIMIT_SHARE * prompt.max_tokens:
            # a clean end mid-sentence, near the limit: the answer ran into ``max_tokens``
            failure = (f"it reached the length limit ({prompt.max_tokens} tokens) "
                       "mid-sentence.")
        return _Draft(text, failure, usage)

    def _extract(self, reading: Reading, draft: _Draft, notice: str) -> Replying:
        """The composed answer over the passages already sent, saying why."""
        yield NoticeEvent(notice)
        return (yield from self.fallback.write(reading, notice=notice, draft=draft.text))

    def _reply(self, checked: Verification, passages: Sequence[Hit], notice: str | None,
               draft: str, reading: Reading) -> Reply:
        """The checked draft, then the parts it left out: a found part none of whose
        passages it cites gets its composed sentence, a gap its gap sentence."""
        citations = [Citation(s.n, passages[s.n - 1], s.quote, s.supported,
                              strip_markers(sentence))
                     for sentence, supports in checked.sentences for s in supports]
        cited = {c.n for c in citations if c.supported}
        pieces = [checked.text]
        signer = reading.signer
        if signer and signer[1] not in checked.text:  # "who wrote …": the sign-off says
            pieces.insert(0, signed_line(*signer))
            citations.insert(0, Citation(signer[0], passages[signer[0] - 1], signer[1], True,
                                         strip_markers(signed_line(*signer))))
        for part in reading.parts:
            if part.found and part.run and not cited & {s.n for s in part.run}:
                pieces.append(compose_part(part, passages))
                citations += [Citation(s.n, passages[s.n - 1], s.text, True, s.text)
                              for s in part.run]
            elif part.gap and not looks_like_refusal(checked.text):
                pieces.append(gap_sentence(part.gap))
        return Reply(" ".join(pieces), False, tuple(passages), tuple(citations),
                     unsupported=checked.unsupported, repaired=checked.repaired,
                     backend=self.name, notice=notice, draft=draft, gaps=reading.gaps)


def _judge(checked: Verification, text: str, reading: Reading) -> tuple[str, str]:
    """What becomes of a checked draft: ``("reply", "")``; ``("compose", why)`` (the
    composed answer instead); ``("gap", why)`` (the composed gap answer); ``("refuse", "")``.

    The reading stage's verdict and the model's must agree on a fact of the kind asked
    for: a draft giving a figure, name or date its cited passages do not hold is replaced;
    one that cites support but states no such fact at all ("The areas that attracted one
    bidder are [2].") leaves the fact untold, so the answer says the archive does not give
    it; a refusal where the reading found the sentences that answer gives way to them (the
    reading stage's verdict is the one both backends give: measured on the dev files, the
    packaged model refused 2 answerable questions the reading answered, among them "In
    2019, what did readers say about austerity?")."""
    passages = reading.passages
    if _unheld(checked, passages, reading):
        return "compose", UNHELD_NOTICE
    if _fills_a_gap(checked.text, reading):
        return "compose", FILLED_NOTICE
    supported = [sentence for sentence, supports in checked.sentences
                 if any(s.supported for s in supports)]
    typed = [p for p in reading.parts if p.part.asked.wants in _TYPED]
    if supported and len(reading.parts) == 1 and typed and not any(
            wanted_in(strip_markers(sentence), typed[0].part.asked) for sentence in supported):
        return "gap", UNSTATED_NOTICE
    if supported:
        return "reply", ""
    if looks_like_refusal(text) or not text:  # the reading's verdict stands for both
        return ("compose", MISSED_NOTICE) if reading.answered else ("refuse", "")
    return "compose", REPLACED_NOTICE


def _excerpt(sentences: Sequence[Sentence]) -> str:
    """A passage's selected sentences in order; " … " where sentences were left out."""
    out: list[str] = []
    for i, sentence in enumerate(sentences):
        if i and sentence.position != sentences[i - 1].position + 1:
            out.append("…")
        out.append(sentence.text)
    return " ".join(out)


def _notes(reading: Reading) -> list[str]:
    notes = [gap_note(gap) for gap in reading.gaps] if reading.answered else []
    if len(reading.parts) > 1:
        notes.insert(0, PARTS_NOTE)
    return notes


def _fills_a_gap(text: str, reading: Reading) -> bool:
    """Whether the draft states a figure, name or date of the kind a part the reading
    found unanswered asks for, beyond those of the parts it found ("24 beds and about 40
    staff" when the passages give no number of staff)."""
    found = " ".join(s.text for p in reading.parts if p.found for s in p.run)
    said = strip_markers(text)
    return any(not appears(fact, found)
               for p in reading.parts if p.gap and p.part.asked.wants in _TYPED
               for fact in wanted_in(said, p.part.asked))


def _unheld(checked: Verification, passages: Sequence[Hit], reading: Reading) -> bool:
    """Whether a supported sentence states a figure, name or date of the kind a part asks
    for that none of its cited passages holds (the citation check compares digits only)."""
    for sentence, supports in checked.sentences:
        cited = " ".join(f"{passages[s.n - 1].text} {passages[s.n - 1].title} "
                         f"{passages[s.n - 1].author or ''}" for s in supports if s.supported)
        if not cited:
            continue
        said = strip_markers(sentence)
        for part in reading.parts:
            if any(not appears(fact, cited) for fact in wanted_in(said, part.part.asked)):
                return True
    return False
