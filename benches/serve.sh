#!/usr/bin/env bash
# `GET /api/v2/agents/{id}` of `agentctl serve` against nginx serving the same production config
# as a static file (SPEC 12, issue 16). Not a test: figures for BENCHMARKS.md.
#
#   benches/serve.sh
#
# The agent is the 300 KB one of benches/versus_git.rs, published 20 times (small edits), so
# production is a snapshot with a history behind it. nginx (Debian's package) serves what
# `agentctl export --format json` writes for it, with its own ETag. The same load tool (wrk,
# Debian's package) drives both on loopback: 64 connections, 2 threads, a bounded duration,
# once without and once with `If-None-Match` (the 304 path). Release build of agentctl.
#
# Knobs: SERVE_BENCH_SECONDS (per run, default 10), SERVE_BENCH_CONNECTIONS (default 64),
# SERVE_BENCH_ROUNDS (runs of each case, the median is reported; default 3), SERVE_BENCH_LOG
# (agentctl's request log, default off like nginx's access log here).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. "$root/tests/support/serve.sh"
seconds=${SERVE_BENCH_SECONDS:-10}
connections=${SERVE_BENCH_CONNECTIONS:-64}
rounds=${SERVE_BENCH_ROUNDS:-3}
threads=$((connections < 2 ? connections : 2))

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release --locked --bin agentctl
agentctl="$root/target/release/agentctl"

work=$(mktemp -d /tmp/agentctl-serve-bench.XXXXXX)
chmod 755 "$work" # nginx's workers read the exported file as another user
server="" nginx_pid=""
cleanup() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  [ -n "$nginx_pid" ] && { kill "$nginx_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

# The workspace: the 300 KB agent, 20 publishes. (Cargo first: the HOME below hides rustup's.)
VERSUS_GIT_WRITE_AGENT="$work/agent.yaml" cargo bench --locked --quiet --bench versus_git >/dev/null
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" AGENTCTL_AUTHOR="Bench <bench@example.com>"
unset AGENTCTL_STORE
mkdir -p "$XDG_CONFIG_HOME" "$work/ws"
cd "$work/ws"
"$agentctl" init >/dev/null 2>&1
cp "$work/agent.yaml" agents/support-bot.yaml
"$agentctl" publish -m "First version" >/dev/null 2>&1
for i in $(seq 1 19); do
  sed -i "s/^  max_tokens: .*/  max_tokens: $((4096 + i))/" agents/support-bot.yaml
  "$agentctl" publish -m "max_tokens $((4096 + i))" >/dev/null 2>&1
done
"$agentctl" export support-bot --format json -o "$work/static" >/dev/null
static_file="$work/static/support-bot.json"
size=$(wc -c <"$static_file")

# agentctl serve, its request log off as nginx's access log is (SERVE_BENCH_LOG=info to
# measure it with its log).
AGENTCTL_SERVE_LOG=${SERVE_BENCH_LOG:-off} start_serve "$agentctl" "$work/serve.log"
api_url="$base/api/v2/agents/support-bot"

# nginx on a free loopback port, serving the exported file at the same path.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    location = /api/v2/agents/support-bot {
      default_type application/json;
      alias $static_file;
    }
  }
}
NGINX
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf"
for _ in $(seq 1 50); do [ -s "$work/nginx/nginx.pid" ] && break; sleep 0.1; done
nginx_pid=$(cat "$work/nginx/nginx.pid")
nginx_url="http://127.0.0.1:$port/api/v2/agents/support-bot"

# Both answer the same document; each has its own ETag.
etag_of() { curl -s -D - -o "$2" "$1" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p'; }
api_etag=$(etag_of "$api_url" "$work/api.json")
nginx_etag=$(etag_of "$nginx_url" "$work/nginx.json")
python3 - "$work/api.json" "$work/nginx.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a == b, "the API's production differs from the exported file"
PY
for url_etag in "$api_url|$api_etag" "$nginx_url|$nginx_etag"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: ${url_etag#*|}" "${url_etag%|*}")
  [ "$code" = 304 ] || { echo "expected 304 from ${url_etag%|*}, got $code" >&2; exit 1; }
done

# One wrk run: "requests/s p99_ms non_2xx_3xx".
load() {
  local url=$1 header=${2:-}
  local args=("-t$threads" "-c$connections" "-d${seconds}s" --latency --timeout 5s)
  [ -n "$header" ] && args+=(-H "$header")
  wrk "${args[@]}" "$url" | python3 -c '
import re, sys
text = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors:.*", text)
print(f"{rps:.0f} {p99:.2f} {bad.group(1) if bad else 0}" + (f" [{errors.group(0)}]" if errors else ""))
'
}

# The median, by requests/s, of runs on stdin.
median_of() { sort -n | sed -n "$(((rounds + 1) / 2))p"; }

# $rounds runs of agentctl and of nginx, alternating, so that a change in the machine's load
# (other builds on a shared machine) falls on both; sets $api and $nginx to their medians.
compare() {
  local api_header=$1 nginx_header=$2 api_runs=() nginx_runs=()
  for _ in $(seq 1 "$rounds"); do
    api_runs+=("$(load "$api_url" "$api_header")")
    nginx_runs+=("$(load "$nginx_url" "$nginx_header")")
  done
  api=$(printf '%s\n' "${api_runs[@]}" | median_of)
  nginx=$(printf '%s\n' "${nginx_runs[@]}" | median_of)
}

echo "agentctl request log: ${SERVE_BENCH_LOG:-off}"
echo "wrk: $connections connections, $threads threads, ${seconds}s per run, median of $rounds runs (the two servers alternating); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
compare "" ""
api_200=$api nginx_200=$nginx
compare "If-None-Match: $api_etag" "If-None-Match: $nginx_etag"
api_304=$api nginx_304=$nginx
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$api_200" "$nginx_200" "$api_304" "$nginx_304" <<'PY'
import sys
(a200, n200, a304, n304) = (s.split() for s in sys.argv[1:])
def row(path, a, n, target):
    ratio = float(a[0]) / float(n[0])
    print(f"| {path} | {float(a[0]):,.0f} | {float(a[1]):.2f} ms | {float(n[0]):,.0f} | {float(n[1]):.2f} ms | {ratio:.2f} | {target} |")
    for who, run in (("agentctl", a), ("nginx", n)):
        if run[2] != "0":
            print(f"  warning: {who} answered {run[2]} non-2xx/3xx responses on the {path} path")
print("| path | agentctl req/s | agentctl p99 | nginx req/s | nginx p99 | ratio | target |")
print("|---|---|---|---|---|---|---|")
row("200 (full body)", a200, n200, "≥ 0.5×, p99 < 5 ms")
row("304 (If-None-Match)", a304, n304, "≥ 1.0×, p99 < 5 ms")
PY
