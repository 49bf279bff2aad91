#!/usr/bin/env bash
# The review page in a real browser: installs what it needs on a bare Debian machine (Debian's
# chromium; Playwright for Python in a virtualenv under target/, since Playwright's own browser
# download is not reachable), builds agentctl and runs tests/browser/review_page.py.
# The screenshot lands in target/review-page.png.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
venv=target/py-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" 2>/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    python3 -m venv "$venv"
  }
fi
if ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
  "$venv/bin/pip" install -q "playwright>=1.65,<2"
fi
cargo build --locked --bin agentctl
"$venv/bin/python" tests/browser/review_page.py \
  --agentctl target/debug/agentctl --chromium "$(command -v chromium)" \
  --screenshot target/review-page.png
