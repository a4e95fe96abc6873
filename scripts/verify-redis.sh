#!/usr/bin/env bash
# Checks the Redis layer of a running JollyJet Edge API, one PASS/FAIL line per check;
# exits non-zero when any fails.
#
#   scripts/verify-redis.sh                                   # starts a local server (embedded Redis)
#   BASE_URL=https://api.example.com ADMIN_TOKEN=… scripts/verify-redis.sh
#
# Needs curl and node. ADMIN_TOKEN is the server's ADMIN_TOKEN (cache operations).
set -uo pipefail
source "$(dirname "$0")/lib/verify.sh"
start_local_server_unless_given
AUTH_ARGS=()
ADMIN=(-H "authorization: Bearer ${ADMIN_TOKEN:-}")

http GET /health
check "health answers 200" is "$STATUS" 200
check "Redis is up (adapter: $(json d.data.services.redis.adapter))" is "$(json d.data.services.redis.status)" up

# Cache: a product written through, evicted by a cache flush, then MISS → HIT → write → fresh read.
http POST /api/products '{"name":"Verify Lamp","description":"Created by scripts/verify-redis.sh.","price":19.99,"stock":1,"category":"verify"}' "${ADMIN[@]}"
check "admin can create a product" is "$STATUS" 201
ID=$(json d.data.id)
http DELETE /api/cache "" "${ADMIN[@]}"
check "cache flush (DELETE /api/cache)" is "$STATUS" 200
http GET "/api/products/$ID"
check "first read is a MISS" is "$(header x-cache)" miss
http GET "/api/products/$ID"
check "second read is a HIT" is "$(header x-cache)" hit
http PATCH "/api/products/$ID" '{"stock":42}' "${ADMIN[@]}"
check "write answers 200" is "$STATUS" 200
http GET "/api/products/$ID"
check "the next read has the new value" is "$(json d.data.stock)" 42
check "list reads carry X-Cache" test -n "$(http GET '/api/products?limit=1'; header x-cache)"

# Rate limits: headers, then exhaust the budget of a throwaway identity — a user registered
# for it (signed-in callers are limited per user) — never the operator's own address, whose
# budget the next script run against this server needs.
http GET "/api/products?limit=1"
check "rate-limit headers are present" test -n "$(header ratelimit-policy)" -a -n "$(header ratelimit)" -a -n "$(header x-ratelimit-remaining)"
http POST /api/auth/register "{\"email\":\"verify-$(date +%s%N)-$RANDOM@example.com\",\"password\":\"throwaway password\"}"
check "a throwaway user registers" is "$STATUS" 201
THROWAWAY=(-H "authorization: Bearer $(json d.data.token)")
http GET "/api/products?limit=1" "" "${THROWAWAY[@]}"
REMAINING=$(header x-ratelimit-remaining)
LIMITED=""
for _ in $(seq 0 "${REMAINING:-0}"); do
  http GET "/api/products?limit=1" "" "${THROWAWAY[@]}"
  if [ "$STATUS" = 429 ]; then LIMITED=yes; break; fi
done
check "the budget runs out with 429" test -n "$LIMITED"
check "429 carries Retry-After" test -n "$(header retry-after)"
check "429 carries code RATE_LIMITED" is "$(json d.code)" RATE_LIMITED

# Consistency run and report, metrics. (The admin token is limited per operator, not per address.)
http POST /api/cache/consistency/run "" "${ADMIN[@]}"
check "a consistency run completes" is "$STATUS" 200
check "the run scores 100" is "$(json d.data.score)" 100
http GET /api/cache/consistency "" "${ADMIN[@]}"
check "the report is stored" test -n "$(json d.data.latest.id)"
http GET /api/cache/metrics "" "${ADMIN[@]}"
check "metrics answer 200" is "$STATUS" 200
check "metrics count hits" test "$(json d.data.cache.hits)" -ge 1
check "metrics count blocked requests" test "$(json d.data.rateLimit.blocked)" -ge 1
check "metrics show the last consistency score" is "$(json d.data.consistency.lastScore)" 100

finish
