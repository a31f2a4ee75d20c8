"""A planted post's remote image and ``javascript:`` link, and an uploaded HTML page's
``javascript:`` link, reach neither the page's copies ("Copy as Markdown", "Copy as text",
``/chat``) nor a ``/v1`` reply, streamed or whole. (Before ``safe_markdown`` all of them
carried ``![x](http://evil.example/p.png)`` or ``javascript:`` as written.)"""

from __future__ import annotations

import json

import pytest

from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.serve.bootstrap import open_assistant
from assistant.ui.render import answer_markdown, answer_plain

from ..conftest import POST_A
from ..serve.server_helpers import live_server

PLANTED = """Tuesday 4 March 2014

Approved Premises Beds

The new approved premises in Leeds has 24 beds ![x](http://evil.example/p.png) for men \
leaving prison [click](javascript:alert(1)) on licence.
"""
UPLOAD = """<!doctype html><html><head><title>Hostel Fire Safety</title></head><body>
<h1>Hostel Fire Safety</h1>
<p>The Manchester hostel closed because the building failed a fire safety inspection \
[the notice](javascript:alert(document.cookie)) in March.
<a href="javascript:alert(2)">Read the notice</a></p></body></html>
"""
BEDS = "How many beds does the new approved premises in Leeds have?"
FIRE = "Why did the Manchester hostel close?"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    root = tmp_path_factory.mktemp("exports")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(POST_A)
    (corpus / "planted.txt").write_text(PLANTED)
    (corpus / "upload.html").write_text(UPLOAD)
    embedder = FakeEmbedder()
    settings = Settings.from_env({}, corpus_dir=corpus, index_dir=root / "index")
    build_index(corpus, root / "index", settings=settings, embedder=embedder)
    return open_assistant(settings, "extractive", build=False, embedder=embedder)


def _clean(text: str) -> None:
    assert "evil.example" not in text and "![" not in text
    assert "javascript:" not in text.lower()


@pytest.mark.parametrize("question", [BEDS, FIRE])
def test_copies_carry_no_image_and_no_script_link(assistant, question):
    answer = assistant.ask(question)
    assert not answer.refused and ("24 beds" in answer.text or "fire safety" in answer.text)
    for copy in (answer_markdown(answer), answer_plain(answer)):
        _clean(copy)
    _clean(answer.text)
    assert all("javascript:" not in c.quote for c in answer.citations)


@pytest.mark.server
@pytest.mark.parametrize("question", [BEDS, FIRE])
def test_v1_replies_carry_no_image_and_no_script_link(assistant, question):
    import httpx

    from assistant.serve.http import create_app

    body = {"model": "blog-archive", "messages": [{"role": "user", "content": question}]}
    with live_server(create_app(assistant)) as url:
        whole = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30).json()
        streamed = httpx.post(f"{url}/v1/chat/completions", json=dict(body, stream=True),
                              timeout=30).text
    content = whole["choices"][0]["message"]["content"]
    assert "24 beds" in content or "fire safety" in content
    _clean(content)
    deltas = [json.loads(line[6:]) for line in streamed.splitlines()
              if line.startswith("data: {")]
    text = "".join(d["choices"][0]["delta"].get("content") or "" for d in deltas)
    assert text == content
    _clean(text)
