#!/usr/bin/env bash
# agentctl quickstart: the whole staging -> diff -> publish -> history workflow
# on the example agents, in a throwaway workspace. Nothing outside a temp
# directory is touched.
#
#   examples/quickstart.sh          (from the repository root)
#   bash /path/to/examples/quickstart.sh   (from anywhere)
#
# Exits 0 when every step succeeds, non-zero as soon as one fails.
set -euo pipefail

# Work from the repository root, wherever the script is called from.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Build a debug binary (honours CARGO_TARGET_DIR, like cargo does).
cargo build --quiet
TARGET_DIR="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)"
AGENTCTL="$TARGET_DIR/debug/agentctl"

# A throwaway workspace, removed when the script exits (even on failure).
WS="$(mktemp -d "${TMPDIR:-/tmp}/agentctl-quickstart.XXXXXX")"
trap 'rm -rf "$WS"' EXIT

# Use the workspace's own store, and an author that needs no git config.
unset AGENTCTL_STORE
export AGENTCTL_AUTHOR="Quickstart <quickstart@example.com>"

step() { printf '\n== %s\n' "$*"; }
# Show each command as you would type it, then run it against the workspace.
agentctl() {
  local shown="\$ agentctl" arg
  for arg in "$@"; do
    if [[ "$arg" == *" "* ]]; then shown+=" \"$arg\""; else shown+=" $arg"; fi
  done
  echo "$shown"
  "$AGENTCTL" -C "$WS" "$@"
}

step "init: create a workspace (.agentctl/store.db and agents/)"
echo "\$ agentctl init $WS"
"$AGENTCTL" init "$WS"
EXAMPLES=(examples/agents/*.yaml)
cp "${EXAMPLES[@]}" "$WS/agents/"
echo "copied ${#EXAMPLES[@]} example agents into $WS/agents/"

# Three files in agents/, nothing published yet: every agent is "new".
step "status: every agent is new (never published)"
agentctl status

# A new agent diffs against nothing, so every top-level field is "added".
step "diff: what the first publish would put live"
agentctl diff

# One transaction: all three agents go live together as v1.
step "publish: make staging live"
agentctl publish -m "First publish of the example agents"

# Staging now equals production for every agent.
step "status: everything is clean"
agentctl status

# Edit staging like a person would: warmer tone, slightly higher temperature.
# (These sed expressions match examples/agents/support-bot.yaml exactly.)
step "edit agents/support-bot.yaml (temperature and one line of the instructions)"
BOT="$WS/agents/support-bot.yaml"
sed -i \
  -e 's/^  temperature: 0\.2$/  temperature: 0.5/' \
  -e 's/^  Keep replies short, factual and neutral in tone\./  Keep replies short, factual and warm in tone./' \
  "$BOT"
if ! grep -q '^  temperature: 0\.5$' "$BOT" ||
   ! grep -q '^  Keep replies short, factual and warm in tone\.' "$BOT"; then
  echo "quickstart: the sed edit did not apply; examples/agents/support-bot.yaml" \
       "and examples/quickstart.sh are out of sync" >&2
  exit 1
fi
echo "changed model.temperature 0.2 -> 0.5 and 'neutral' -> 'warm' in the instructions"

# Only the edited agent differs from production.
step "status: support-bot is modified"
agentctl status

# Field by field, Production beside Staging; the instructions as a line diff.
step "diff support-bot: exactly what would change"
agentctl diff support-bot

# The same review as markdown, to paste into a pull request: a table per section.
step "diff support-bot --format markdown: for a pull-request comment"
agentctl diff support-bot --format markdown

# The same changes as one JSON document, for scripts and CI.
step "diff support-bot --json: machine-readable"
agentctl diff support-bot --json

# Publish just this agent; it becomes v2 of support-bot.
step "publish support-bot: the edit goes live"
agentctl publish support-bot -m "Warmer replies"

# Nothing differs any more: publish says so on stderr and still exits 0.
step "publish: nothing to publish (exit 0, no history entry)"
agentctl publish

# Every publish, newest first, with author, time and a summary.
step "log: the publish history of all agents"
agentctl log

# One line per publish of a single agent.
step "log support-bot --oneline"
agentctl log support-bot --oneline

# The newest publish (production) and what it changed against its parent.
step "show support-bot: the production entry and its changes"
agentctl show support-bot

# Any past publish by REF (here the first one), as JSON.
step "show support-bot v1 --json: the first publish"
agentctl show support-bot v1 --json

step "done: the quickstart finished without errors"
