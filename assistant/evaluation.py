"""Retrieval and answer metrics over a questions file (format: shared/eval/README.md)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.records import Hit
from assistant.search.retriever import MODES, Retriever

__all__ = [
    "AnswerRecord",
    "Question",
    "answer_metrics",
    "collapse_whitespace",
    "format_answer_table",
    "format_table",
    "keyword_match",
    "load_questions",
    "retrieval_metrics",
    "supports",
]


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    evidence: tuple[str, ...]
    answer_keywords: tuple[str, ...]
    answerable: bool


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def load_questions(path: str | os.PathLike) -> list[Question]:
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(Question(
                id=str(raw.get("id", number)), question=raw["question"],
                kind=raw.get("kind", ""),
                evidence=tuple(collapse_whitespace(g["evidence"]) for g in raw.get("gold", [])),
                answer_keywords=tuple(raw.get("answer_keywords", [])),
                answerable=bool(raw.get("answerable", True)),
            ))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid question line ({exc})") from exc
    return questions


def supports(hit: Hit, question: Question) -> bool:
    """A hit supports a question when its text contains one of the gold evidence phrases."""
    text = collapse_whitespace(hit.text)
    return any(phrase in text for phrase in question.evidence)


def retrieval_metrics(retriever: Retriever, questions: Iterable[Question],
                      modes: Iterable[str] = MODES, ks: tuple[int, ...] = (1, 5, 10),
                      ) -> dict[str, dict[str, float]]:
    """recall@k and MRR (over the top ``max(ks)``) per mode, answerable questions only."""
    answerable = [q for q in questions if q.answerable and q.evidence]
    depth = max(ks)
    results: dict[str, dict[str, float]] = {}
    for mode in modes:
        found = {k: 0 for k in ks}
        reciprocal = 0.0
        for question in answerable:
            hits = retriever.search(question.question, k=depth, mode=mode)
            rank = next((i for i, h in enumerate(hits, 1) if supports(h, question)), None)
            if rank is None:
                continue
            reciprocal += 1.0 / rank
            for k in ks:
                found[k] += rank <= k
        n = max(len(answerable), 1)
        row = {f"recall@{k}": found[k] / n for k in ks}
        row["mrr"] = reciprocal / n
        row["questions"] = float(len(answerable))
        results[mode] = row
    return results


def format_table(results: dict[str, dict[str, float]]) -> str:
    columns = [c for c in next(iter(results.values())) if c != "questions"]
    lines = ["mode     " + "".join(f"{c:>11}" for c in columns)]
    for mode, row in results.items():
        lines.append(f"{mode:<9}" + "".join(f"{row[c]:>11.3f}" for c in columns))
    n = int(next(iter(results.values()))["questions"])
    lines.append(f"({n} answerable questions)")
    return "\n".join(lines)


# ---------------------------------------------------------------- answer metrics

def keyword_match(text: str, keywords: Iterable[str]) -> bool:
    """Every keyword occurs in ``text`` (case-insensitive); ``a|b`` accepts either."""
    low = text.lower()
    return all(any(alt.strip().lower() in low for alt in kw.split("|") if alt.strip())
               for kw in keywords)


@dataclass(frozen=True)
class AnswerRecord:
    """One question's answer, scored."""

    id: str
    answerable: bool
    refused: bool
    keywords_ok: bool
    citations: int
    supported: int  # citations whose quote supports the citing sentence (re-verified)
    first_token_s: float | None
    total_s: float | None
    backend: str
    notice: str | None
    text: str
    repaired: int = 0  # citations moved by the verifier to the passage supporting them

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def answer_metrics(assistant, questions: Iterable[Question], backend=None,
                   progress=None) -> dict[str, object]:
    """Keyword accuracy, citation precision, refusal accuracy and timings of ``assistant``.

    Citation precision re-checks every citation with the assistant's verifier (the quote's
    passage must support the sentence citing it). ``progress(record)`` is called per question.
    """
    records: list[AnswerRecord] = []
    verifier = assistant.verifier
    for question in questions:
        answer = assistant.ask(question.question, backend=backend)
        supported = sum(
            verifier.support(c.sentence or c.quote, c.n, c.hit).supported for c in answer.citations)
        record = AnswerRecord(
            id=question.id, answerable=question.answerable, refused=answer.refused,
            keywords_ok=(not answer.refused
                         and keyword_match(answer.text, question.answer_keywords)),
            citations=len(answer.citations), supported=supported,
            first_token_s=answer.first_token_s, total_s=answer.total_s,
            backend=answer.backend, notice=answer.notice, text=answer.text,
            repaired=len(getattr(answer, "repaired", ())))
        records.append(record)
        if progress:
            progress(record)
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    cited = sum(r.citations for r in records)
    first = [r.first_token_s for r in records if r.first_token_s is not None]
    total = [r.total_s for r in records if r.total_s is not None]
    correct_refusals = sum(r.refused for r in unanswerable) + sum(
        not r.refused for r in answerable)
    summary = {
        "questions": len(records),
        "keyword_accuracy": (sum(r.keywords_ok for r in answerable) / len(answerable)
                             if answerable else None),
        "citation_precision": sum(r.supported for r in records) / cited if cited else None,
        "citations": cited,
        "refusal_accuracy": correct_refusals / len(records) if records else None,
        "unanswerable_refused": sum(r.refused for r in unanswerable),
        "unanswerable": len(unanswerable),
        "false_refusals": sum(r.refused for r in answerable),
        "repaired_citations": sum(r.repaired for r in records),
        "fallbacks": sum(r.backend == "extractive" and r.notice is not None for r in records),
        "first_token_mean_s": sum(first) / len(first) if first else None,
        "first_token_p50_s": _percentile(first, 0.5),
        "total_mean_s": sum(total) / len(total) if total else None,
        "total_p50_s": _percentile(total, 0.5),
    }
    return {"summary": summary, "records": [r.as_dict() for r in records]}


def format_answer_table(summary: dict[str, object], backend: str = "") -> str:
    """The answer metrics as an aligned two-column table."""
    def num(key: str, digits: int = 3) -> str:
        value = summary.get(key)
        return "n/a" if value is None else f"{value:.{digits}f}"

    rows = [
        ("backend", backend or "?"),
        ("keyword accuracy", f"{num('keyword_accuracy')}  (answerable questions)"),
        ("citation precision", f"{num('citation_precision')}  ({summary['citations']} citations)"),
        ("refusal accuracy", f"{num('refusal_accuracy')}  (unanswerable refused "
                             f"{summary['unanswerable_refused']}/{summary['unanswerable']}, "
                             f"false refusals {summary['false_refusals']})"),
        ("first text", f"mean {num('first_token_mean_s', 2)} s, "
                       f"p50 {num('first_token_p50_s', 2)} s"),
        ("total time", f"mean {num('total_mean_s', 2)} s, p50 {num('total_p50_s', 2)} s"),
    ]
    if summary.get("repaired_citations"):
        rows.append(("repaired citations", str(summary["repaired_citations"])))
    if summary.get("fallbacks"):
        rows.append(("extractive fallbacks", str(summary["fallbacks"])))
    rows.append(("questions", str(summary["questions"])))
    return "\n".join(f"{name:<21}{value}" for name, value in rows)
