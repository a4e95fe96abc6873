# Shared by verify-redis.sh and test-redis-endpoints.sh: a local server when no BASE_URL is
# given, one PASS/FAIL line per check, HTTP calls with curl, JSON fields read with node.
# shellcheck shell=bash

FAILURES=0
CHECKS=0
SERVER_PID=""

pass() { CHECKS=$((CHECKS + 1)); printf 'PASS  %s\n' "$1"; }
fail() { CHECKS=$((CHECKS + 1)); FAILURES=$((FAILURES + 1)); printf 'FAIL  %s%s\n' "$1" "${2:+  ($2)}"; }

# check NAME CONDITION-COMMAND... : PASS when the command succeeds.
check() {
  local name="$1"; shift
  if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name" "${DETAIL:-}"; fi
  DETAIL=""
}

# http METHOD PATH [BODY] [extra curl args...]: sets STATUS, BODY, HEADERS (lower-cased names).
http() {
  local method="$1" path="$2" body="${3:-}"; shift 3 2>/dev/null || shift $#
  local headers_file; headers_file=$(mktemp)
  local args=(-s -S -X "$method" -D "$headers_file" -o - --max-time 10 "${AUTH_ARGS[@]}" "$@")
  [ -n "$body" ] && args+=(-H "content-type: application/json" --data "$body")
  BODY=$(curl "${args[@]}" "$BASE_URL$path" 2>/dev/null) || BODY=""
  STATUS=$(head -n 1 "$headers_file" | awk '{print $2}')
  HEADERS=$(tr 'A-Z' 'a-z' < "$headers_file" | tr -d '\r')
  rm -f "$headers_file"
  DETAIL="HTTP ${STATUS:-none}"
}

header() { printf '%s\n' "$HEADERS" | sed -n "s/^$1: //p" | head -n 1; }

# json EXPRESSION: evaluates a JS expression over `d` (the parsed BODY); prints the result.
json() { printf '%s' "$BODY" | node -e "let s='';process.stdin.on('data',c=>s+=c).on('end',()=>{try{const d=JSON.parse(s);const v=($1);process.stdout.write(v===undefined?'':typeof v==='object'?JSON.stringify(v):String(v))}catch{process.exit(1)}})"; }

is() { [ "$1" = "$2" ]; }

# Starts `npm start` on a free port with embedded defaults unless BASE_URL is set.
start_local_server_unless_given() {
  if [ -n "${BASE_URL:-}" ]; then return; fi
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  local port; port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  local data; data=$(mktemp -d)
  ADMIN_TOKEN="${ADMIN_TOKEN:-verify-admin-token}"
  # exec: the background job's pid is the server's own, so the trap stops the server itself.
  (cd "$root" && exec env PORT="$port" DATABASE_URL="file:$data/verify.db" ADMIN_TOKEN="$ADMIN_TOKEN" \
    RATE_LIMIT_MAX="${RATE_LIMIT_MAX:-40}" RATE_LIMIT_WINDOW_S="${RATE_LIMIT_WINDOW_S:-60}" LOG_LEVEL=error \
    node --import tsx src/entry/node.ts >"$data/server.log" 2>&1) &
  SERVER_PID=$!
  BASE_URL="http://127.0.0.1:$port"
  trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null' EXIT
  for _ in $(seq 1 100); do curl -s -o /dev/null "$BASE_URL/health" && return; sleep 0.2; done
  echo "could not start a local server (see $data/server.log)" >&2
  exit 2
}

finish() {
  printf '%s checks, %s failed\n' "$CHECKS" "$FAILURES"
  [ "$FAILURES" -eq 0 ]
}
