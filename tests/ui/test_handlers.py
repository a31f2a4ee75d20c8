"""The page's callbacks over a real index and a scripted assistant: one answer streamed,
errors as messages, uploads re-indexed, and the ``gradio_client`` endpoints."""

from __future__ import annotations

import pydantic
import pytest

from assistant.embed.fake import FakeEmbedder as HashEmbedder
from assistant.records import SourcesEvent, TextDelta
from assistant.ui.api import PageApi
from assistant.ui.archive import ArchiveHandlers
from assistant.ui.archive import index_stats_html as _stats_html
from assistant.ui.chat import ChatHandlers as _Handlers
from tests.ui.helpers import FakeAssistant
from tests.ui.helpers import retriever as _retriever


def _run(handlers, question, history=(), **overrides):
    controls = {"k": 3, "since": "", "until": "", "kind": "Both", "author": "",
                "choice": "Extractive", "model": "", "url": "", "gguf": ""} | overrides
    return list(handlers.respond(question, [{"role": "user", "content": question}],
                                 list(history), [], 0, *controls.values()))


def test_stream_fills_sources_before_text(hash_index):
    fake = FakeAssistant(_retriever(hash_index), min_score=0.0)
    steps = _run(_Handlers(fake, hash_index), "Will Napo ballot over pay?", kind="Comments")
    sources_at = next(i for i, s in enumerate(steps) if isinstance(s[1], str)
                      and "src-card" in s[1])
    text_at = next(i for i, s in enumerate(steps) if "href=\"#src-1-1\"" in
                   s[0][-1]["content"])
    assert sources_at < text_at
    _, _, history, turns, counter, md, plain = steps[-1][:7]
    assert counter == 1 and turns[0].done
    assert history[0]["content"] == "Will Napo ballot over pay?"
    assert fake.calls[0]["kind"] == "comment" and fake.calls[0]["k"] == 3
    assert "[1]" in plain and "References" in md
    # a follow-up carries the conversation
    _run(_Handlers(fake, hash_index), "And when?", history)
    assert fake.calls[-1]["history"] == history


def test_errors_are_messages_not_tracebacks(hash_index):
    from assistant.llm.base import BackendUnavailable

    fake = FakeAssistant(_retriever(hash_index))
    handlers = _Handlers(fake, hash_index)
    fake.fail_with = BackendUnavailable(
        "Cannot reach the model server at http://127.0.0.1:9/v1: is it running?")
    message = _run(handlers, "pay?")[-1][0][-1]["content"]
    assert "Could not answer" in message and "http://127.0.0.1:9/v1" in message
    fake.fail_with = KeyError("boom")
    message = _run(handlers, "pay?")[-1][0][-1]["content"]
    assert "Something went wrong (KeyError)" in message and "Traceback" not in message
    fake.fail_with = None
    message = _run(handlers, "pay?", choice="OpenAI-compatible")[-1][0][-1]["content"]
    assert "Enter the model name" in message


class _Scripted:
    """An assistant whose stream is given events (and nothing else)."""

    backend = "extractive"

    def __init__(self, *events):
        self.events = events

    def stream(self, question, history=None, **options):
        yield from self.events


def test_a_stream_without_an_answer_says_so(hash_index):
    hits = tuple(_retriever(hash_index).search("pay", k=2))
    steps = _run(_Handlers(_Scripted(SourcesEvent(hits, "pay"), TextDelta("Pay [1]")),
                           hash_index), "pay?")
    _, sources, _, turns, _, md, plain = steps[-1][:7]
    assert "Pay" in steps[-1][0][-1]["content"] and turns[-1].done
    assert "src-card" in sources and md == plain == ""
    steps = _run(_Handlers(_Scripted(SourcesEvent((), "pay")), hash_index), "pay?")
    assert "stopped before it was complete" in steps[-1][0][-1]["content"]


def test_empty_question_changes_nothing(hash_index):
    steps = _run(_Handlers(_Scripted(), hash_index), "   ")
    assert len(steps) == 1 and steps[0][4] == 1 and steps[0][0][-1]["role"] == "user"


def _hash_builds(hash_index, monkeypatch) -> FakeAssistant:
    """A fake assistant whose re-index builds with the hash embedder and reopens the
    index it built."""
    from assistant.index.build import build_index

    fake = FakeAssistant(_retriever(hash_index))
    real_build = build_index

    def build_with_hash(*args, **kwargs):
        kwargs["embedder"] = HashEmbedder()
        return real_build(*args, **kwargs)

    monkeypatch.setattr("assistant.index.build.build_index", build_with_hash)
    monkeypatch.setattr(type(fake.retriever), "open", classmethod(
        lambda cls, index_dir, settings=None, embedder=None: _retriever(hash_index)))
    return fake


def test_reindex_reports_each_file(hash_index, tmp_path, monkeypatch):
    fake = _hash_builds(hash_index, monkeypatch)
    handlers = ArchiveHandlers(fake, hash_index)
    good = tmp_path / "zebra.md"
    good.write_text("# Zebra crossings\n\nThe zebra crossing outside the office was repainted.")
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ")
    report, stats, _ = handlers.reindex([str(good), str(bad)], progress=lambda *a, **k: None)
    assert "uploads/zebra.md" in report and "added" in report
    assert "tool.exe" in report and "unsupported type" in report
    assert (hash_index.corpus_dir / "uploads" / "zebra.md").exists()
    assert fake.retriever.search("zebra crossing repainted", k=1)[0].source == "uploads/zebra.md"
    assert "posts" in stats and _stats_html(fake).count("stat") >= 4


def test_an_uploaded_zip_is_indexed_in_place_and_cited_by_member(hash_index, tmp_path,
                                                                monkeypatch):
    import zipfile

    fake = _hash_builds(hash_index, monkeypatch)
    upload = tmp_path / "site.zip"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("posts/heron.md", "# Herons\n\nA grey heron fished the canal lock.")
    report, _, _ = ArchiveHandlers(fake, hash_index).reindex([str(upload)],
                                                             progress=lambda *a, **k: None)
    assert "uploads/site.zip" in report and "added" in report
    assert (hash_index.corpus_dir / "uploads" / "site.zip").is_file()
    hit = fake.retriever.search("grey heron canal lock", k=1)[0]
    assert hit.source == "uploads/site.zip/posts/heron.md"


def test_page_api_answers_searches_and_refuses(hash_index):
    fake = FakeAssistant(_retriever(hash_index), min_score=0.0)
    api = PageApi(fake)
    text = api.chat("Will Napo ballot over pay?")
    assert "[1]" in text and "\n\nReferences:\n[1] " in text
    assert api.chat("  ") == "Please ask a question."
    hits = api.search("pay freeze", k=2, kind="post")
    assert hits and {"text", "title", "source"} <= set(hits[0])
    assert all(h["kind"] == "post" for h in hits)
    fake.min_score = 2.0  # nothing is close enough: a refusal
    refused = api.ask("pay?")
    assert refused["refused"] is True and refused["citations"] == []
    fake.fail_with = KeyError("boom")
    assert api.chat("pay?").startswith("Could not answer: Something went wrong (KeyError)")


def test_page_search_filters_are_the_rest_schema(hash_index):
    api = PageApi(FakeAssistant(_retriever(hash_index)))
    assert api.search("pay", k=2, kind="both") and api.search("pay", k=2, kind="")
    with pytest.raises(pydantic.ValidationError, match="kind"):
        api.search("pay", kind="poems")
