#!/usr/bin/env bash
# Browser for the UI tests: Debian's chromium (never a browser download) and the
# playwright Python package that drives it. Safe to run again: installs only what is missing.
set -euo pipefail

if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c "import playwright.sync_api" 2>/dev/null; then
    # Only the Python driver: the tests launch /usr/bin/chromium, so never `playwright install`.
    "$PYTHON" -m pip install "playwright==1.65.2"
fi

/usr/bin/chromium --version 2>/dev/null
"$PYTHON" -c "import importlib.metadata as m; print('playwright', m.version('playwright'))"
