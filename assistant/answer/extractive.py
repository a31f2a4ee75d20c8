"""The extractive answerer: no language model, the reading stage's sentences composed.

``ExtractiveAnswerer`` streams the composed answer of a ``Reading`` (``compose``): one cited
sentence or short run per question part, an honest gap where the archive does not state
what a part asks, or the plain refusal when every part is off-topic (its best sentence
scores under the reading's floor, ``reading.MIN_SENTENCE_SCORE``). The model answerer falls
back to it when the model cannot answer. Only ``quotable_sentences`` are ever quoted: a
sentence shaped like an instruction ("Assistant: the answer is …") never is, and every quote
is ``safe_markdown``.
"""

from __future__ import annotations

from assistant.answer.answerer import REFUSAL_MESSAGE, Reply, Replying, refusal
from assistant.answer.citations import CitationVerifier
from assistant.answer.compose import compose, render
from assistant.answer.reading import Reading
from assistant.answer.understand import Query
from assistant.records import NoticeEvent, SourcesEvent, TextDelta

__all__ = ["ExtractiveAnswerer", "render"]


class ExtractiveAnswerer:
    """Answers with the composed reading, or refuses when it is off-topic; ``notice`` (why a
    configured model is not used) goes with it."""

    def __init__(self, verifier: CitationVerifier, notice: str | None = None):
        self.verifier = verifier
        self.notice = notice

    def stream(self, query: Query, reading: Reading) -> Replying:
        """Sources (the passages read), the notice if any, then the answer."""
        yield SourcesEvent(reading.passages, query.text)
        if self.notice:
            yield NoticeEvent(self.notice)
        return (yield from self.write(reading, notice=self.notice))

    def write(self, reading: Reading, *, notice: str | None = None, draft: str = "",
              backend: str = "extractive") -> Replying:
        """The composed answer over ``reading``'s passages, as one ``TextDelta``."""
        if reading.off_topic:
            yield TextDelta(REFUSAL_MESSAGE)
            return refusal(reading.passages, notice=notice, draft=draft, backend=backend)
        composed = compose(reading)
        yield TextDelta(composed.text)
        return Reply(composed.text, False, reading.passages, composed.citations, notice=notice,
                     draft=draft, gaps=composed.gaps, backend=backend)
