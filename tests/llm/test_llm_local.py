"""In-process llama.cpp backend and the default-model assembly."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from assistant.hashing import sha256_file
from assistant.llm import BackendError, BackendUnavailable, LlamaCppRegistry, get_backend
from assistant.llm import models as llm_models
from assistant.llm.models import (
    DEFAULT_GGUF_NAME,
    DEFAULT_GGUF_SHA256,
    assemble_default_model,
    default_gguf_path,
)
from assistant.settings import Settings

QUESTION = [{"role": "user", "content": "Say hello in one short sentence."}]


# --- assembly logic with fake parts (fast) --------------------------------------------


def test_default_gguf_path_is_in_cache_dir(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path)
    assert default_gguf_path(settings) == tmp_path / "models" / DEFAULT_GGUF_NAME


def test_missing_parts_tell_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_module(name: str) -> None:
        raise ImportError(name)

    monkeypatch.setattr(llm_models.importlib, "import_module", no_module)
    with pytest.raises(BackendUnavailable, match=r"not installed.*install_llama\.sh"):
        llm_models.default_model_parts()


def test_checksum_mismatch_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = []
    for n in range(3):
        part = tmp_path / f"part{n}.bin"
        part.write_bytes(bytes([n]) * 1000)
        parts.append(part)
    monkeypatch.setattr(llm_models, "default_model_parts", lambda: parts)
    settings = Settings(cache_dir=tmp_path / "cache")
    with pytest.raises(BackendError, match="sha256"):
        assemble_default_model(settings)
    assert list((tmp_path / "cache" / "models").iterdir()) == []


# --- real models (slow) ---------------------------------------------------------------


@pytest.mark.slow
def test_assemble_default_model_verifies_sha256(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path)
    path = assemble_default_model(settings)
    assert path == default_gguf_path(settings)
    assert path.stat().st_size > 1_000_000_000
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in path.parent.iterdir()] == [DEFAULT_GGUF_NAME]
    assert sha256_file(path) == DEFAULT_GGUF_SHA256
    assert assemble_default_model(settings) == path  # present: not rebuilt


@pytest.mark.slow
def test_llamacpp_streams_text(smollm2: Path) -> None:
    backend = get_backend(f"llamacpp:{smollm2}", Settings(), registry=LlamaCppRegistry())
    assert backend.name == f"llamacpp:{smollm2.name}"
    stream = backend.stream(QUESTION, max_tokens=24, temperature=0.0)
    deltas = []
    while True:
        try:
            deltas.append(next(stream))
        except StopIteration as done:
            usage = done.value
            break
    assert len(deltas) >= 2
    assert "".join(deltas).strip()
    # counted with the model's own tokenizer: the templated prompt, and what it wrote
    assert usage.prompt_tokens == backend.last_run.prompt_tokens > 0
    assert 1 <= usage.completion_tokens <= 24 + 1


@pytest.mark.slow
def test_llamacpp_concurrent_streams_are_serialised(smollm2: Path) -> None:
    registry = LlamaCppRegistry()
    backend = get_backend(f"llamacpp:{smollm2}", Settings(), registry=registry)
    results: dict[int, tuple[str, float, float]] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            shared = get_backend(f"llamacpp:{smollm2}", Settings(), registry=registry)
            assert shared is backend
            first = None
            text = []
            for delta in shared.stream(QUESTION, max_tokens=24, temperature=0.0):
                first = first or time.monotonic()
                text.append(delta)
            results[n] = ("".join(text), first or 0.0, time.monotonic())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors
    assert len(results) == 2
    (text_a, _, end_a), (text_b, first_b, _) = sorted(results.values(), key=lambda r: r[1])
    assert text_a.strip() and text_b.strip()
    assert first_b >= end_a  # the second stream started only after the first finished
