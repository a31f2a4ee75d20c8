"""Errors through the page's API (``/chat``, ``/search``, ``/ask``) carry the page's message,
not a bare "AppError": the endpoint wrapper, then a real ``gradio_client.Client`` against the
page served on 127.0.0.1."""

from __future__ import annotations

import gradio as gr
import pytest

from assistant.llm.base import BackendUnavailable
from assistant.ui.api import PageApi, clear_errors
from assistant.ui.errors import human_error
from tests.ui.helpers import FakeAssistant, retriever, serve

KIND_MESSAGE = "kind: Input should be 'post', 'comment' or 'both' (got 'poems')"
DOWN = BackendUnavailable("Could not connect to http://127.0.0.1:9/v1 (connection refused). "
                          "Is the server running? Start it or pick another backend.")


def test_validation_errors_read_as_one_line_per_field(hash_index):
    import pydantic

    api = PageApi(FakeAssistant(retriever(hash_index)))
    with pytest.raises(pydantic.ValidationError) as info:
        api.search("pay", kind="poems")
    assert human_error(info.value) == KIND_MESSAGE


def test_endpoints_raise_gr_error_with_the_pages_message(hash_index):
    fake = FakeAssistant(retriever(hash_index))
    api = PageApi(fake)
    with pytest.raises(gr.Error) as info:
        clear_errors(api.search)("pay", kind="poems")
    assert info.value.message == KIND_MESSAGE
    with pytest.raises(gr.Error, match="since must be a date"):
        clear_errors(api.search)("pay", since="2014-02-30")
    fake.fail_with = DOWN
    with pytest.raises(gr.Error) as info:
        clear_errors(api.ask)("pay?")
    assert info.value.message == str(DOWN)
    assert clear_errors(api.chat)("pay?") == f"Could not answer: {DOWN}"  # as the chat says
    fake.fail_with = KeyError("boom")
    with pytest.raises(gr.Error, match=r"Something went wrong \(KeyError\)"):
        clear_errors(api.ask)("pay?")
    fake.fail_with = None
    assert clear_errors(api.search)("pay", k=1)  # and success passes through


@pytest.mark.server
def test_gradio_client_sees_the_message(hash_index):
    from gradio_client import Client

    from assistant.ui.page import build_app

    fake = FakeAssistant(retriever(hash_index), min_score=0.0)
    with serve(build_app(fake, hash_index), hash_index) as url:
        client = Client(url, verbose=False)
        assert client.predict("pay freeze", 2, "", "", "post", "", api_name="/search")
        with pytest.raises(Exception) as info:
            client.predict("pay", 5, "", "", "poems", "", api_name="/search")
        assert type(info.value).__name__ == "AppError" and str(info.value) == KIND_MESSAGE
        with pytest.raises(Exception, match="since must be a date"):
            client.predict("pay", 5, "yesterday", "", "both", "", api_name="/search")
        fake.fail_with = DOWN
        with pytest.raises(Exception) as info:
            client.predict("pay?", api_name="/ask")
        assert str(info.value) == str(DOWN)
        assert client.predict("pay?", api_name="/chat") == f"Could not answer: {DOWN}"
