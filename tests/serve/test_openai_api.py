"""The OpenAI-compatible endpoint, driven by the real ``openai`` client."""

from __future__ import annotations

import pytest

from assistant.llm.fake import FakeBackend
from assistant.records import TokenUsage
from assistant.serve.http import create_app
from assistant.text import count_tokens

from .server_helpers import live_server, small_assistant

openai = pytest.importorskip("openai")

pytestmark = pytest.mark.server

PAY_QUESTION = "Will Napo members ballot on industrial action over pay?"
MODEL_PROMPT_TOKENS, MODEL_COMPLETION_TOKENS = 321, 17  # what the scripted model "counted"


def _client(url: str):
    return openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=30)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    return small_assistant(tmp_path_factory.mktemp("openai"))


@pytest.fixture(scope="module")
def client(assistant):
    with live_server(create_app(assistant)) as url:
        yield _client(url)


@pytest.fixture(scope="module")
def model_client(tmp_path_factory):
    reply = "Napo members will be balloted on industrial action over the pay freeze [1]."
    backend = FakeBackend(default=reply, name="scripted", piece=9,
                          usage=TokenUsage(MODEL_PROMPT_TOKENS, MODEL_COMPLETION_TOKENS))
    assistant = small_assistant(tmp_path_factory.mktemp("model"), backend)
    with live_server(create_app(assistant)) as url:
        yield _client(url)


def ask(client, content: str, **kwargs):
    return client.chat.completions.create(
        model="blog-archive", messages=[{"role": "user", "content": content}], **kwargs)


def test_models_lists_the_archive(client, model_client):
    assert [m.id for m in client.models.list()] == ["blog-archive"]
    assert [m.id for m in model_client.models.list()] == ["blog-archive",
                                                          "blog-archive:extractive"]
    assert client.models.retrieve("blog-archive").id == "blog-archive"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_completion_is_the_answer_with_references_and_citations(client, assistant):
    completion = ask(client, PAY_QUESTION)
    expected = assistant.ask(PAY_QUESTION)
    message = completion.choices[0].message
    assert completion.object == "chat.completion" and completion.choices[0].finish_reason == "stop"
    assert message.role == "assistant"
    assert message.content.startswith(expected.text)
    assert "\n\nReferences:\n- [1] Unions Ballot Over Pay — 2014-03-03 — post — a.txt" \
        in message.content
    assert message.citations == [c.as_dict() for c in expected.citations]
    assert message.refused is False
    assert completion.system_fingerprint.startswith("fp_")
    usage = completion.usage  # extractive: the documented cl100k estimate
    assert usage.completion_tokens == count_tokens(message.content)
    assert usage.prompt_tokens > count_tokens(PAY_QUESTION)  # the passages read count too
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_usage_chunk_only_when_asked_for(client, model_client):
    plain = list(ask(client, PAY_QUESTION, stream=True))
    assert all(chunk.usage is None and chunk.choices for chunk in plain)
    counted = list(ask(client, PAY_QUESTION, stream=True,
                       stream_options={"include_usage": True}))
    *chunks, last = counted
    assert last.choices == [] and all(chunk.usage is None for chunk in chunks)
    content = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    whole = ask(client, PAY_QUESTION)
    assert last.usage == whole.usage
    assert last.usage.completion_tokens == count_tokens(content)
    assert len({chunk.system_fingerprint for chunk in counted}) == 1
    model = list(ask(model_client, PAY_QUESTION, stream=True,
                     stream_options={"include_usage": True}))
    assert (model[-1].usage.prompt_tokens, model[-1].usage.completion_tokens) == (
        MODEL_PROMPT_TOKENS, MODEL_COMPLETION_TOKENS)  # the backend's own counts
    assert ask(model_client, PAY_QUESTION).usage.total_tokens == (
        MODEL_PROMPT_TOKENS + MODEL_COMPLETION_TOKENS)


def test_streaming_gives_the_same_content_and_the_citations(client):
    whole = ask(client, PAY_QUESTION).choices[0].message
    chunks = list(ask(client, PAY_QUESTION, stream=True))
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == whole.content
    citations = [c.choices[0].delta.citations for c in chunks
                 if getattr(c.choices[0].delta, "citations", None)]
    assert citations == [whole.citations]


def test_model_backend_streams_in_pieces(model_client):
    chunks = list(ask(model_client, PAY_QUESTION, stream=True))
    contents = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(contents) > 5
    assert "".join(contents).startswith("Napo members will be balloted")
    extractive = model_client.chat.completions.create(
        model="blog-archive:extractive", messages=[{"role": "user", "content": PAY_QUESTION}])
    assert extractive.model == "blog-archive:extractive"


def test_history_filters_and_unknown_model_names(client):
    first = ask(client, PAY_QUESTION).choices[0].message.content
    completion = client.chat.completions.create(
        model="gpt-4o-mini",  # clients often send their own default: served by the archive
        messages=[{"role": "system", "content": "Be brief."},
                  {"role": "user", "content": PAY_QUESTION},
                  {"role": "assistant", "content": first},
                  {"role": "user", "content": [{"type": "text", "text": "Did anyone say "
                                                "caseloads matter more than pay?"}]}],
        extra_body={"filters": {"kind": "comment"}, "k": 3})
    message = completion.choices[0].message
    assert completion.model == "blog-archive"
    assert message.citations and all(c["kind"] == "comment" for c in message.citations)
    refused = ask(client, PAY_QUESTION, extra_body={"filters": {"since": "2020-01-01"}})
    assert refused.choices[0].message.refused is True
    assert "References:" not in refused.choices[0].message.content


def test_implied_filters_and_gaps_ride_beside_the_citations(client):
    question = "What did readers say about the pay freeze?"
    message = ask(client, question).choices[0].message
    assert message.implied_filters == [{"name": "kind", "value": "comment",
                                        "phrase": "readers"}]
    assert message.gaps == []
    last = [c.choices[0].delta for c in ask(client, question, stream=True)
            if getattr(c.choices[0].delta, "citations", None) is not None][-1]
    assert last.implied_filters == message.implied_filters and last.gaps == []
    for lifted in ({"infer_filters": False}, {"filters": {"kind": "all"}}):
        off = ask(client, question, extra_body=lifted).choices[0].message
        assert off.implied_filters == [], lifted


@pytest.mark.parametrize("stream", [False, True])
def test_bad_requests_get_openai_errors(client, stream):
    with pytest.raises(openai.BadRequestError, match="role 'user'"):
        client.chat.completions.create(model="blog-archive", stream=stream,
                                       messages=[{"role": "system", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="question is empty"):
        ask(client, "   ", stream=stream)
    with pytest.raises(openai.BadRequestError, match="YYYY-MM-DD"):
        ask(client, PAY_QUESTION, stream=stream, extra_body={"filters": {"since": "May"}})
    with pytest.raises(openai.BadRequestError, match="k"):
        ask(client, PAY_QUESTION, stream=stream, extra_body={"k": 0})


def test_server_errors_are_opaque(client, assistant, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret /srv/path exploded")

    monkeypatch.setattr(assistant.retriever, "search", boom)
    with pytest.raises(openai.InternalServerError) as caught:
        ask(client, PAY_QUESTION)
    assert "secret" not in str(caught.value) and "internal error" in str(caught.value)
