#!/usr/bin/env bash
# The load run (issues 8 and 12): a release `kehoach serve` on a generated database, 64
# connections for 60 s from wrk (Debian package `wrk`), four page reads for each write (see
# load.lua); then throughput, latency, errors and the server's peak resident memory (VmHWM).
#
#   benches/load.sh DATABASE_URL [ACTIVITIES]
#
# DATABASE_URL names an empty SQLite file (sqlite:///tmp/load.db?mode=rwc) or an empty
# PostgreSQL database; it is migrated, seeded and filled by `gen-data` first (default 100,000
# activities). KEHOACH_BIN (default target/release/kehoach), LOAD_SECONDS, LOAD_CONNECTIONS and
# LOAD_PORT change the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${1:?usage: benches/load.sh DATABASE_URL [ACTIVITIES]}
ACTIVITIES=${2:-100000}
BIN=${KEHOACH_BIN:-target/release/kehoach}
PORT=${LOAD_PORT:-8099}
BASE="http://127.0.0.1:$PORT"
export KEHOACH_DATABASE_URL="$URL"
export KEHOACH_DATA_DIR="${KEHOACH_DATA_DIR:-$(mktemp -d)}"

"$BIN" migrate up
"$BIN" seed
"$BIN" gen-data --activities "$ACTIVITIES"
"$BIN" user add --email load-leader@kehoach.local --role leader --agency G1-P01-UBND \
  --password load-password-1 >/dev/null
"$BIN" user add --email load-planner@kehoach.local --role planner --agency G1-P01-UBND \
  --password load-password-1 >/dev/null
TOKEN=$("$BIN" user token --email load-planner@kehoach.local)

"$BIN" serve --addr "127.0.0.1:$PORT" --base-url "$BASE" >"$KEHOACH_DATA_DIR/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.2; done

# The leader's session, through the login form.
JAR="$KEHOACH_DATA_DIR/cookies"
CSRF=$(curl -s -c "$JAR" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf_token=$CSRF" \
  --data-urlencode "email=load-leader@kehoach.local" --data-urlencode "password=load-password-1" "$BASE/login"
SESSION=$(awk '$6 == "kehoach_session" { print $7 }' "$JAR")
[ -n "$SESSION" ] || { echo "could not sign in" >&2; exit 1; }

# What the planner writes: its unit and agency, and an item of its plan.
ME=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/me")
PLANS=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/plans")
PLAN=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["items"][0]["id"])' "$PLANS")
ITEMS=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/plans/$PLAN")
LOAD_UNIT=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["org_unit_id"])' "$ME")
LOAD_AGENCY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["agency_id"])' "$ME")
# A bullet point of the communication (awareness) area: the first child of the item whose area it is.
LOAD_ITEM=$(python3 -c '
import json, sys
def walk(items):
    for i in items:
        yield i
        yield from walk(i.get("children", []))
items = list(walk(json.loads(sys.argv[1])["items"]))
area = next(i for i in items if i.get("area") == "communication")
print((area.get("children") or [area])[0]["id"])' "$ITEMS")
export LOAD_COOKIE="kehoach_session=$SESSION" LOAD_TOKEN="$TOKEN" LOAD_UNIT LOAD_AGENCY LOAD_ITEM
# One write by hand first: the run measures working writes, not refusals.
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
  -d "{\"type\":\"talk\",\"title\":\"Thử\",\"plan_item_id\":$LOAD_ITEM,\"org_unit_id\":$LOAD_UNIT,\"agency_id\":$LOAD_AGENCY,\"start_date\":\"2025-09-15\"}" \
  "$BASE/api/v1/activities" || { echo "the write of the load run is refused" >&2; exit 1; }

BEFORE=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
wrk -t 2 -c "${LOAD_CONNECTIONS:-64}" -d "${LOAD_SECONDS:-60}s" --timeout 10s \
  -s benches/load.lua "$BASE"
echo "server resident memory: $BEFORE kB before the run, peak $(grep VmHWM /proc/$SERVER/status | awk '{print $2}') kB"
echo "5xx in the server log: $(grep -c 'status=5' "$KEHOACH_DATA_DIR/serve.log" || true)"
