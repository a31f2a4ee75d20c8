#!/usr/bin/env bash
# Installs everything the assistant and its tests need on a fresh Debian machine with Python 3.11.
# Safe to re-run: each step skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
PYTHON=${PYTHON:-python3}

echo "== Python packages"
$PYTHON -m pip install -q -r requirements.txt
