"""simonw's ``llm`` CLI, installed from PyPI, asks the real /v1 server on 127.0.0.1 as a
subprocess, streaming and not, and logs the usage the server reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.serve.http import create_app

from .server_helpers import live_server, small_assistant

pytest.importorskip("llm")

pytestmark = pytest.mark.server

PAY_QUESTION = "Will Napo members ballot on industrial action over pay?"


@pytest.fixture(scope="module")
def llm_env(tmp_path_factory):
    """Environment for ``python -m llm``: its own config folder naming the server as an
    extra OpenAI model (the way users point ``llm`` at any OpenAI-compatible server)."""
    root = tmp_path_factory.mktemp("llm-cli")
    assistant = small_assistant(root / "archive")
    with live_server(create_app(assistant)) as url:
        config = root / "llm-config"
        config.mkdir()
        (config / "extra-openai-models.yaml").write_text(
            f"- model_id: archive\n  model_name: blog-archive\n  api_base: \"{url}/v1\"\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "OPENAI_"))}
        env.update(LLM_USER_PATH=str(config), OPENAI_API_KEY="not-checked")
        yield env


def run_llm(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llm", *args], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("mode", [[], ["--no-stream"]], ids=["stream", "no-stream"])
def test_llm_cli_gets_a_referenced_answer(llm_env, mode):
    result = run_llm(llm_env, "-m", "archive", *mode, PAY_QUESTION)
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr, result.stderr
    assert "ballot" in result.stdout.lower()
    assert "References:\n- [1] Unions Ballot Over Pay" in result.stdout
    logged = json.loads(run_llm(llm_env, "logs", "-n", "1", "--json").stdout)[0]
    # llm records the usage the server sent (the final usage chunk when streaming)
    assert logged["input_tokens"] > 0 and logged["output_tokens"] > 0
    assert logged["response"].strip() == result.stdout.strip()
