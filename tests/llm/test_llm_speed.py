"""The local model's speed levers: options, the system-turn KV stash, requantised files.

No timings are asserted: what the stash saves is counted in prompt tokens not evaluated
(``RunStats.reused_tokens``); speed is measured by ``python -m benchmarks.local_model``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.hashing import sha256_file
from assistant.llm import BackendError, LlamaCppRegistry
from assistant.llm import models as llm_models
from assistant.llm.kv_prefix import common_prefix
from assistant.llm.llamacpp import LlamaCppBackend, LlamaOptions
from assistant.settings import Settings

ANSWER_SYSTEM = ("You answer questions about an archive of blog posts and their comments. "
                 "Use only the numbered passages. Cite each sentence like [1]. " * 3)
REWRITE_SYSTEM = "Rewrite the last question as one standalone question. Reply with it only. "


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
    assert LlamaOptions().prefix_cache  # the default: the follow-ups' system turn is kept
    with pytest.raises(ValueError, match="n_batch"):
        LlamaOptions(n_batch=0)


def test_registry_keeps_one_backend_per_file_and_options(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    registry = LlamaCppRegistry()
    first = registry.get(model, n_ctx=1024, n_threads=2)
    assert registry.get(model, options=LlamaOptions(n_ctx=1024, n_threads=2)) is first
    assert registry.get(model, n_ctx=1024, options=LlamaOptions(n_ctx=1024,
                                                                prefix_cache=False)) is not first
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
def stashing(smollm2: Path) -> LlamaCppBackend:
    return LlamaCppBackend(smollm2, options=LlamaOptions(n_ctx=1024))


@pytest.fixture(scope="module")
def plain(smollm2: Path) -> LlamaCppBackend:
    return LlamaCppBackend(smollm2, options=LlamaOptions(n_ctx=1024, prefix_cache=False))


def _run(backend: LlamaCppBackend, messages: list[dict[str, str]]) -> str:
    return "".join(backend.stream(messages, max_tokens=12, temperature=0.0))


@pytest.mark.slow
def test_system_turn_is_reused_after_another_prompt(stashing, plain) -> None:
    """Answer, rewrite (another system prompt), answer: the second answer prompt finds its
    system turn in the KV cache only with the stash (llama-cpp-python alone kept 3 tokens)."""
    texts = {}
    for backend in (stashing, plain):
        texts[backend] = [_run(backend, _ask(ANSWER_SYSTEM, "What is probation?")),
                          _run(backend, _ask(REWRITE_SYSTEM, "and who ran it?")),
                          _run(backend, _ask(ANSWER_SYSTEM, "Who ran probation?"))]
    with_stash, without = stashing.last_run, plain.last_run
    assert with_stash.restored_prefix and not without.restored_prefix
    assert with_stash.prompt_tokens == without.prompt_tokens
    assert with_stash.reused_tokens > 50 > without.reused_tokens
    assert texts[stashing] == texts[plain]  # the same answers, greedy decoding


@pytest.mark.slow
def test_prompt_tokens_are_the_prompt_the_model_read(stashing) -> None:
    """The stash renders the chat template itself: the same request twice is all reused
    (but its last token), so its tokens are those llama-cpp-python evaluated."""
    messages = _ask(ANSWER_SYSTEM, "Who writes the blog?")
    _run(stashing, messages)
    _run(stashing, messages)
    run = stashing.last_run
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
                _ask(REWRITE_SYSTEM, "and then?")).strip()


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
