import json

import pytest

from assistant import Settings, build_index, cli
from assistant.search.retriever import Retriever


@pytest.fixture
def index(small_corpus, tmp_path, hash_embedder, monkeypatch):
    """A small index; the CLI opens it with the hashing embedder instead of the real model."""
    path = tmp_path / "index"
    build_index(small_corpus, path, settings=Settings.from_env({}), embedder=hash_embedder)
    monkeypatch.setattr(cli, "_open_retriever",
                        lambda settings: Retriever.open(path, embedder=hash_embedder))
    monkeypatch.delenv("ASSISTANT_BACKEND", raising=False)
    return path


QUESTION = "Will Napo members be balloted on industrial action over the pay freeze?"


def test_ask_json_has_exactly_the_public_shape(index, capsys):
    assert cli.main(["--index", str(index), "ask", QUESTION, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"answer", "refused", "citations", "implied_filters", "gaps"}
    assert out["refused"] is False and "[1]" in out["answer"]
    citation = out["citations"][0]
    assert set(citation) == {"n", "source", "title", "date", "kind", "author", "quote",
                             "supported", "comment_number", "reply_to", "url", "post_id"}
    assert citation["source"] == "a.txt" and citation["supported"] is True


def test_ask_prints_answer_then_references(index, capsys):
    assert cli.main(["--index", str(index), "ask", QUESTION, "--kind", "post"]) == 0
    out = capsys.readouterr().out
    answer, references = out.split("References:")
    assert "[1]" in answer and "[1] Unions Ballot Over Pay — 2014-03-03 — post" in references


def test_ask_refusal_lists_closest_matches(index, capsys):
    assert cli.main(["--index", str(index), "ask", "zebra quantum origami"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("The archive doesn't say") and "Closest matches:" in out


@pytest.mark.parametrize("argv,message", [
    (["ask", QUESTION, "--backend", "gpt9"], "Bad backend spec"),
    (["ask", QUESTION, "--since", "March 2014"], "YYYY-MM-DD"),
    (["ask", "   "], "empty"),
])
def test_ask_errors_are_one_line_and_exit_2(index, capsys, argv, message):
    assert cli.main(["--index", str(index), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_eval_with_backend_adds_answer_metrics(index, tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"id": "a", "question": QUESTION, "gold": [{"source": "a.txt", "evidence": "pay freeze"}],
         "answer_keywords": ["ballot|balloted"], "answerable": True},
        {"id": "b", "question": "zebra quantum origami", "gold": [], "answer_keywords": [],
         "answerable": False},
    ]))
    assert cli.main(["--index", str(index), "eval", str(questions), "--backend", "extractive",
                     "--modes", "hybrid"]) == 0
    out = capsys.readouterr().out
    assert "recall@1" in out and "keyword accuracy     1.000" in out
    assert "refusal accuracy     1.000" in out and "false refusals 0" in out
    assert cli.main(["--index", str(index), "eval", str(questions), "--backend", "extractive",
                     "--modes", "hybrid", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["answers"]["summary"]
    assert summary["citation_precision"] == 1.0 and summary["unanswerable_refused"] == 1
