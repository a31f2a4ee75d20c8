"""The model answerer: prompt a chat backend, stream its draft, verify every citation.

The draft streams as ``TextDelta``s; the ``Reply`` carries the checked text (invented
citation numbers dropped, unsupported sentences marked ``[unverified]``). When the backend
fails before writing anything, or cites nothing the passages support, the answer comes from
the extractive answerer instead, with a notice saying why; a draft that says the archive
does not answer is a refusal. A stream cut off mid-answer keeps its finished sentences only:
the unfinished last one is left out, citation and all, and the notice says so.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from assistant.answer.answerer import Reply, Replying, refusal
from assistant.answer.citations import (
    CitationVerifier,
    Verification,
    claim_sentences,
    looks_like_refusal,
    strip_markers,
)
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.prompts import DEFAULT_MAX_PASSAGES, Prompt, build_prompt
from assistant.answer.understand import Query
from assistant.llm.base import BackendError, ChatBackend, StreamInterrupted
from assistant.records import Citation, Event, Hit, NoticeEvent, SourcesEvent, TextDelta

__all__ = ["INJECTED_NOTICE", "REPLACED_NOTICE", "ModelAnswerer", "fallback_notice"]

INJECTED_NOTICE = ("A sentence repeating an instruction planted in a passage was left out of "
                   "the answer.")
REPLACED_NOTICE = ("The model's answer cited nothing the passages support, so it was "
                   "replaced by sentences extracted from them.")


def fallback_notice(reason: str) -> str:
    """The notice for an answer written extractively because of ``reason``."""
    return f"{reason.rstrip().rstrip('.')}; answered extractively instead."


# A sentence ends with . ! ? or … (then closing quotes, brackets, emphasis, citation markers).
_FINISHED = re.compile(r"[.!?…][\"”’')\]*_]*(?:\s*\[[^\[\]]*\])*\s*$")


@dataclass(frozen=True)
class _Draft:
    text: str  # what the model wrote, stripped
    failure: str | None  # why the stream stopped early, if it did

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
    extractive answer when the model's cannot be used."""

    def __init__(self, chat: ChatBackend, name: str, verifier: CitationVerifier,
                 fallback: ExtractiveAnswerer, max_passages: int = DEFAULT_MAX_PASSAGES):
        self.chat = chat
        self.name = name
        self.verifier = verifier
        self.fallback = fallback
        self.max_passages = max_passages

    def stream(self, query: Query, hits: Sequence[Hit], k: int) -> Replying:
        """Sources (the passages that fit the prompt), the draft, notices; the checked reply."""
        prompt = build_prompt(query.asked, hits, query.turns,
                              context_length=self.chat.context_length,
                              max_passages=min(self.max_passages, k))
        passages = prompt.passages
        yield SourcesEvent(passages, query.text)
        draft = yield from self._draft(prompt)
        text, notice = draft.usable()  # a cut stream without its unfinished sentence
        if notice and not text:
            return (yield from self._extract(query, passages, draft, fallback_notice(notice)))
        if notice:
            yield NoticeEvent(notice)
        checked = self.verifier.verify(text, passages)
        if checked.injected:  # sentences that obeyed a planted instruction were dropped
            notice = f"{notice} {INJECTED_NOTICE}" if notice else INJECTED_NOTICE
            yield NoticeEvent(INJECTED_NOTICE)
        if any(s.supported for _, supports in checked.sentences for s in supports):
            return self._reply(checked, passages, notice, draft.text)
        if looks_like_refusal(text) or not text:
            return refusal(hits, backend=self.name, notice=notice, draft=draft.text)
        return (yield from self._extract(query, passages, draft, REPLACED_NOTICE))

    def _draft(self, prompt: Prompt) -> Generator[Event, None, _Draft]:
        """Stream the model's text; a backend error ends the draft instead of the answer."""
        parts: list[str] = []
        failure: str | None = None
        deltas = self.chat.stream(prompt.messages, max_tokens=prompt.max_tokens,
                                  temperature=0.1)
        try:
            for delta in deltas:
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
        return _Draft("".join(parts).strip(), failure)

    def _extract(self, query: Query, passages: Sequence[Hit], draft: _Draft,
                 notice: str) -> Replying:
        """The extractive answer over the passages already sent, saying why."""
        yield NoticeEvent(notice)
        return (yield from self.fallback.write(query.text, passages, notice=notice,
                                               draft=draft.text))

    def _reply(self, checked: Verification, passages: Sequence[Hit], notice: str | None,
               draft: str) -> Reply:
        citations = tuple(Citation(s.n, passages[s.n - 1], s.quote, s.supported,
                                   strip_markers(sentence))
                          for sentence, supports in checked.sentences for s in supports)
        return Reply(checked.text, False, tuple(passages), citations,
                     unsupported=checked.unsupported, repaired=checked.repaired,
                     backend=self.name, notice=notice, draft=draft)
