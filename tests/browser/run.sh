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
. tests/support/python-venv.sh
python_venv "$(pwd)" playwright "playwright>=1.65,<2"
cargo build --locked --bin agentctl
"$venv/bin/python" tests/browser/review_page.py \
  --agentctl target/debug/agentctl --chromium "$(command -v chromium)" \
  --screenshot target/review-page.png
