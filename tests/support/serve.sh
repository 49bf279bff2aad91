# Sourced by the scripts that talk to a live `agentctl serve` (tests/contract, benches/serve.sh).
#
#   start_serve AGENTCTL LOG [ARGS…]   # in the workspace to serve
#
# Starts `AGENTCTL serve --listen 127.0.0.1:0 ARGS…` in the background, its stderr in LOG, and
# waits for its `Listening on http://…` line. Sets $server (the pid) and $base (the URL); exits
# 1 with the log when the server stops or never says where it listens.
start_serve() {
  local agentctl=$1 log=$2
  shift 2
  "$agentctl" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
  server=$!
  base=""
  for _ in $(seq 1 100); do
    base=$(sed -n 's/^Listening on \(http:\/\/[^ ]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$base" ] && return 0
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  echo "agentctl serve did not say where it listens" >&2
  cat "$log" >&2
  exit 1
}
