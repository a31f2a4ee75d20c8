"""The page's options and layout: backend controls, launch options, static files, and the
endpoints ``build_app`` exposes."""

from __future__ import annotations

import pytest

from assistant.ui.backends import BackendControls, backend_label, backend_spec
from assistant.ui.page import build_app, launch_options, static_text
from tests.ui.helpers import FakeAssistant, retriever


def test_backend_spec_from_controls():
    assert backend_spec("Extractive") == "extractive"
    assert backend_spec("Local model") == "llamacpp"
    assert backend_spec("Local model", gguf="/m/x.gguf") == "llamacpp:/m/x.gguf"
    assert backend_spec("OpenAI-compatible", "llama3", "http://127.0.0.1:11434/v1") == \
        "openai:llama3@http://127.0.0.1:11434/v1"
    with pytest.raises(ValueError, match="model name"):
        backend_spec("OpenAI-compatible", "", "http://x")


@pytest.mark.parametrize("spec", ["extractive", "llamacpp", "llamacpp:/m/x.gguf",
                                  "openai:llama3@http://127.0.0.1:11434/v1"])
def test_controls_give_the_spec_back(spec):
    assert BackendControls.from_spec(spec).spec() == spec


def test_backend_labels():
    assert backend_label("extractive").startswith("extractive ·")
    assert backend_label("llamacpp:/m/x.gguf") == "local model · x.gguf"
    assert backend_label("not a spec!") == "not a spec!"


def test_launch_options_are_safe(monkeypatch):
    from assistant.settings import Settings

    options = launch_options(Settings())
    assert options["share"] is False and "allowed_paths" not in options
    assert "auth" not in options and options["max_file_size"] > 0

    options = launch_options(Settings(ui_auth="ann:secret", max_upload_mb=1))
    assert options["auth"] == ("ann", "secret") and options["max_file_size"] == 1024 * 1024


def test_static_files_are_read_into_the_page():
    options = launch_options()
    assert ".src-card" in options["css"] and "#chatbot a.cite" in options["css"]
    assert options["head"].startswith("<script>") and "a.cite" in options["head"]
    assert static_text("copy.js").lstrip().startswith("(text) =>")


def test_build_app_exposes_only_the_documented_endpoints(hash_index):
    assistant = FakeAssistant(retriever(hash_index))
    demo = build_app(assistant, hash_index)
    named = {dep.get("api_name") for dep in demo.config["dependencies"]
             if dep.get("api_visibility", "public") != "private"}
    assert named == {"chat", "search", "ask"}
