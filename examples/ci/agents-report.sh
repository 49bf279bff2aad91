#!/usr/bin/env bash
# A workspace report for a CI log or a chat message, built from agentctl's --json output
# with jq: each agent's state and production version, what staging would change, and the
# latest publishes. Exits 1 when an agent's staging file is invalid, so it can gate a
# pipeline; 2 when agentctl fails.
#
#   examples/ci/agents-report.sh [WORKSPACE]
set -euo pipefail
cd "${1:-.}"

status=$(agentctl status --json)

echo "== Agents"
jq -r '.agents[] | [
    .agent,
    .state,
    (if .production then "v\(.production.version) \(.production.change_track_id[0:8]) \(.production.published_at)"
     else "never published" end)
  ] | @tsv' <<<"$status"

invalid=$(jq -r '[.agents[] | select(.state == "invalid") | .agent] | join(" ")' <<<"$status")
if [ -n "$invalid" ]; then
  echo "invalid: $invalid (see \`agentctl validate\`)" >&2
  exit 1
fi

echo "== Unpublished changes"
agentctl diff --json | jq -r '.agents[] | select(.has_changes) |
  "\(.agent): \(.changes | length) change(s) in \(.changes | map(.section) | unique | join(", "))"'

echo "== Latest publishes"
agentctl log -n 5 --json | jq -r '.entries[] |
  "\(.published_at)  \(.agent) v\(.version)  \(.author): \(.message)"'
