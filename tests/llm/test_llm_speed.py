"""The local model's speed levers: options, prompt-prefix reuse, requantised files.

No timings are asserted: what llama-cpp-python's prefix reuse saves is counted in prompt
tokens not evaluated (``RunStats.reused_tokens``); speed is measured by
``python -m benchmarks.local_model``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.hashing import sha256_file
from assistant.llm import BackendError, LlamaCppRegistry
from assistant.llm import models as llm_models
from assistant.llm.llamacpp import LlamaCppBackend, LlamaOptions
from assistant.llm.prompt_reuse import PromptCounter, common_prefix
from assistant.settings import Settings

ANSWER_SYSTEM = ("You answer questions about an archive of blog posts and their comments. "
                 "Use only the numbered passages. Cite each sentence like [1]. " * 3)
OTHER_SYSTEM = "Reply with one short sentence. "


def _ask(system: str, question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


# --- options and files (fast) -----------------------------------------------------------


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2]) == 2


def test_options_become_llama_arguments() -> None:
    kwargs = LlamaOptions(n_threads=2, n_batch=256, flash_attn=True).llama_kwargs()
    assert kwargs["n_threads"] == kwargs["n_threads_batch"] == 2
    assert kwargs["n_batch"] == kwargs["n_ubatch"] == 256
    assert kwargs["flash_attn"] is True and kwargs["verbose"] is False
    with pytest.raises(ValueError, match="n_batch"):
        LlamaOptions(n_batch=0)
    with pytest.raises(ValueError, match="n_ctx"):
        LlamaOptions(n_ctx=8)
    with pytest.raises(ValueError, match="n_threads"):
        LlamaOptions(n_threads=-1)


def test_registry_keeps_one_backend_per_file_and_options(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    registry = LlamaCppRegistry()
    first = registry.get(model, n_ctx=1024, n_threads=2)
    assert registry.get(model, options=LlamaOptions(n_ctx=1024, n_threads=2)) is first
    assert registry.get(model, options=LlamaOptions(n_ctx=1024, flash_attn=True)) is not first
    assert first.context_length == 1024 and first.n_threads == 2
    assert not first.loaded and first.last_run is None
    assert isinstance(first, LlamaCppBackend)


def test_requantized_path_sits_beside_the_default(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path)
    path = llm_models.requantized_path("q4_0", settings)
    assert path.parent == llm_models.default_gguf_path(settings).parent
    assert path.name == "qwen2.5-coder-1.5b-instruct-q4_0.gguf"
    with pytest.raises(ValueError, match="q4_0"):
        llm_models.requantized_path("q3", settings)


def test_requantize_refuses_a_source_failing_its_checksum(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(cache_dir=tmp_path)
    source = llm_models.default_gguf_path(settings)
    source.parent.mkdir(parents=True)
    source.write_bytes(b"not the model")
    with pytest.raises(BackendError, match="sha256"):
        llm_models.requantize_default_model("q4_0", settings)
    assert sorted(p.name for p in source.parent.iterdir()) == [source.name]


# --- real models (slow) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def backend(smollm2: Path) -> LlamaCppBackend:
    return LlamaCppBackend(smollm2, options=LlamaOptions(n_ctx=1024))


def _run(backend: LlamaCppBackend, messages: list[dict[str, str]]) -> str:
    return "".join(backend.stream(messages, max_tokens=12, temperature=0.0))


def _tokens(backend: LlamaCppBackend, messages: list[dict[str, str]]) -> list[int]:
    return PromptCounter(backend._llama).tokens(messages)


@pytest.mark.slow
def test_the_same_system_turn_is_reused_by_the_next_request(backend) -> None:
    """Two questions under one system turn: the second request's prompt is evaluated only
    from where the questions differ, so at least the system prompt's tokens are reused
    (llama-cpp-python's own prefix reuse; no KV state is stashed)."""
    first, second = (_ask(ANSWER_SYSTEM, q) for q in ("What is probation?", "Who ran it?"))
    _run(backend, first)
    _run(backend, second)
    run = backend.last_run
    system = backend._llama.tokenize(ANSWER_SYSTEM.encode(), add_bos=False, special=False)
    assert run.reused_tokens == common_prefix(_tokens(backend, first), _tokens(backend, second))
    assert run.reused_tokens > len(system) > 50
    assert run.evaluated_tokens == run.prompt_tokens - run.reused_tokens > 0


@pytest.mark.slow
def test_another_system_turn_in_between_is_evaluated_again(backend) -> None:
    """What the dropped KV stash was for: after a request under another system prompt,
    the answer prompt shares only the template's opening tokens with the live state."""
    _run(backend, _ask(ANSWER_SYSTEM, "What is probation?"))
    _run(backend, _ask(OTHER_SYSTEM, "and then?"))
    _run(backend, _ask(ANSWER_SYSTEM, "Who ran probation?"))
    assert backend.last_run.reused_tokens < 10


@pytest.mark.slow
def test_prompt_tokens_are_the_prompt_the_model_read(backend) -> None:
    """The counter renders the chat template itself: the same request twice is all reused
    (but its last token), so its tokens are those llama-cpp-python evaluated."""
    messages = _ask(ANSWER_SYSTEM, "Who writes the blog?")
    _run(backend, messages)
    _run(backend, messages)
    run = backend.last_run
    assert run.reused_tokens == run.prompt_tokens - 1
    assert run.generated_tokens > 0 and run.first_text_s is not None


@pytest.mark.slow
def test_requantize_writes_a_loadable_file_and_its_record(
        tmp_path: Path, smollm2: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the small test model as the 'default' (its own sha), requantised to q4_0."""
    settings = Settings(cache_dir=tmp_path)
    source = llm_models.default_gguf_path(settings)
    source.parent.mkdir(parents=True)
    shutil.copyfile(smollm2, source)
    monkeypatch.setattr(llm_models, "DEFAULT_GGUF_SHA256", sha256_file(source))
    path = llm_models.requantize_default_model("q4_0", settings)
    record = json.loads(path.with_name(path.name + ".json").read_text())
    assert record["sha256"] == sha256_file(path) and record["type"] == "q4_0"
    assert record["source_sha256"] == llm_models.DEFAULT_GGUF_SHA256
    assert path.stat().st_mode & 0o777 == 0o644
    assert llm_models.requantize_default_model("q4_0", settings) == path  # kept
    assert _run(LlamaCppBackend(path, options=LlamaOptions(n_ctx=512)),
                _ask(OTHER_SYSTEM, "and then?")).strip()


def test_benchmark_table_compares_each_question_with_the_first_row() -> None:
    from benchmarks.local_model import Measured, Run, format_table, summarise

    def run(q: str, first: float, text: str) -> Run:
        return Run(q, 400, 300, first, first, 21, first + 1.0, text, True)

    rows = summarise([Measured("a", [run("q1", 4.0, "x"), run("q2", 2.0, "y")]),
                      Measured("b", [run("q1", 2.0, "x"), run("q2", 2.0, "z")])])
    assert [r["first_text_s"] for r in rows] == [3.0, 2.0]
    assert rows[1]["first_text_ratio"] == 0.75 and rows[1]["same_text"] == 1
    assert rows[0]["prefill_tok_s"] == 112.5 and rows[1]["keywords"] == "2/2"
    assert "| b | 2 | 400 | 300 |" in format_table(rows, (1.0, 2.0))
