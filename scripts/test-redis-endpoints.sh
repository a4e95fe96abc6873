#!/usr/bin/env bash
# Walks the API's Redis-backed endpoints of a running JollyJet Edge API — health, sessions,
# cached reads, writes, wishlist, operations — one PASS/FAIL line per check; exits non-zero
# when any fails.
#
#   scripts/test-redis-endpoints.sh                           # starts a local server (embedded Redis)
#   BASE_URL=https://api.example.com ADMIN_TOKEN=… scripts/test-redis-endpoints.sh
set -uo pipefail
source "$(dirname "$0")/lib/verify.sh"
start_local_server_unless_given
AUTH_ARGS=()
ADMIN=(-H "authorization: Bearer ${ADMIN_TOKEN:-}")
EMAIL="verify-$(node -e 'console.log(crypto.randomUUID())')@example.com"

http GET /health
check "GET /health → 200" is "$STATUS" 200
check "Redis status up" is "$(json d.data.services.redis.status)" up
check "database status up" is "$(json d.data.services.database.status)" up

http POST /api/auth/register "{\"email\":\"$EMAIL\",\"password\":\"verify password 1\"}"
check "register → 201" is "$STATUS" 201
check "register sets the sid cookie (HttpOnly)" test -n "$(header set-cookie | grep -i 'sid=.*httponly')"
http POST /api/auth/login "{\"email\":\"$EMAIL\",\"password\":\"verify password 1\"}"
check "login → 200" is "$STATUS" 200
TOKEN=$(json d.data.token)
USER=(-H "authorization: Bearer $TOKEN")
http GET /api/auth/me "" "${USER[@]}"
check "me → 200 with the session" test -n "$(json d.data.session.expiresAt)"
http POST /api/auth/login "{\"email\":\"$EMAIL\",\"password\":\"wrong password\"}"
check "wrong password → 401" is "$STATUS" 401

http GET "/api/products?limit=5"
check "list → 200" is "$STATUS" 200
check "list carries X-Cache" test -n "$(header x-cache)"
http POST /api/products '{"name":"Endpoint Mug","description":"Created by scripts/test-redis-endpoints.sh.","price":7.5,"stock":3,"category":"verify"}' "${ADMIN[@]}"
check "create (admin) → 201" is "$STATUS" 201
ID=$(json d.data.id)
http GET "/api/products/$ID"
check "read after create → HIT (written through)" is "$(header x-cache)" hit
http POST "/api/products/$ID/wishlist" "" "${USER[@]}"
check "wishlist toggle → wishlisted" is "$(json d.data.wishlisted)" true
http GET "/api/products/$ID"
check "cached product shows wishlistCount 1" is "$(json d.data.wishlistCount)" 1
http GET /api/wishlist "" "${USER[@]}"
check "wishlist lists it" is "$(json d.data.total)" 1
http DELETE "/api/products/$ID" "" "${ADMIN[@]}"
check "delete (admin) → 204" is "$STATUS" 204
http GET "/api/products/$ID"
check "read after delete → 404" is "$STATUS" 404

http GET /api/cache/metrics "" "${ADMIN[@]}"
check "metrics → 200" is "$STATUS" 200
http GET /api/cache/consistency "" "${ADMIN[@]}"
check "consistency reports → 200" is "$STATUS" 200

http POST /api/auth/logout "" "${USER[@]}"
check "logout → 204" is "$STATUS" 204
http GET /api/auth/me "" "${USER[@]}"
check "me after logout → 401" is "$STATUS" 401

finish
