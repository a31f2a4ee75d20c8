"""Shared by the cluster tests: questions to compare, and the comparison itself."""

from __future__ import annotations

import json

from ..conftest import SHARED

DEV_FILES = [SHARED / "eval" / "dev.jsonl", SHARED / "eval" / "dev-hard.jsonl"]

# Asked of the shipped corpus whether or not ../shared is there: facts, comments, authors,
# dates, and one the archive does not answer.
OWN_QUESTIONS = [
    {"question": "What did readers say about the pay freeze?"},
    {"question": "Why did Napo dispute Working Links' redundancy terms?"},
    {"question": "Who wrote the guest blog about the voluntary sector?"},
    {"question": "When were the smaller charities' contracts due to end?"},
    {"question": "What is the capital of France?"},
    {"question": "and when was that?", "history": [
        {"role": "user", "content": "What did Napo say about the redundancy terms?"},
        {"role": "assistant", "content": "Napo said the terms were worse than agreed."}]},
]

FILTERS = [{}, {"kind": "comment"}, {"kind": "post"},
           {"since": "2015-01-01", "until": "2016-12-31"}, {"author": "Anonymous"}]


def questions() -> list[dict]:
    """The dev questions when ../shared is present, and ours always."""
    found = []
    for path in DEV_FILES:
        if path.exists():
            found += [json.loads(line) for line in path.read_text().splitlines() if line]
    return found + OWN_QUESTIONS


def top_ids(retriever, question: str, **options) -> list[str]:
    return [hit.chunk_id for hit in retriever.search(question, k=10, **options)]


def answers(assistant, items: list[dict]) -> list[tuple[str, bool, tuple]]:
    """Each question's extractive answer: text, refused, and the passages cited."""
    out = []
    for item in items:
        answer = assistant.ask(item["question"], history=item.get("history") or None,
                               backend="extractive")
        out.append((answer.text, answer.refused,
                    tuple(c.hit.chunk_id for c in answer.citations)))
    return out
