#!/usr/bin/env bash
# Schemathesis, an independent API fuzzer, against a live `zoombridge web` (gunicorn) with a staff
# token: every operation of /api/v1/openapi.json, checking that no answer is a 500, that every
# status and content type is one the operation declares, that every answer matches its schema,
# and that what the schema says is wrong is refused (the list is CHECKS below).
#
#   .ci/schemathesis.sh                 # what .ci/run does
#   ST_MAX_EXAMPLES=200 .ci/schemathesis.sh
#
# The web process gets its own SQLite database and instance folder (removed afterwards) and a
# Redis database of its own (ST_REDIS_URL, flushed before and after), a session with
# registrations and a breakout plan so the examples reach real rows, and no worker: the jobs the
# API enqueues wait in Redis, as they would while the workers are down. Prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

ST_REDIS_URL="${ST_REDIS_URL:-redis://127.0.0.1:6379/14}"
ST_MAX_EXAMPLES="${ST_MAX_EXAMPLES:-60}"
ST_SEED="${ST_SEED:-18}"
# No 500; every status, content type, header and body as declared; a request the schema says is
# wrong is refused; a call without the token is refused; a method a path lacks is 405 with Allow.
# (Not `positive_data_acceptance`: a schema-valid body can still break a business rule, such as
# a start in the past or a full session, and is rightly refused with 400 or 409.)
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance
CHECKS=$CHECKS,response_schema_conformance,negative_data_rejection,ignored_auth,unsupported_method
CHECKS=$CHECKS,allow_header_conformance
BIN=.venv/bin
started=$SECONDS

workdir="$(mktemp -d)"
port="$($BIN/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export ZOOMBRIDGE_ENV=development ZOOMBRIDGE_INSTANCE_DIR="$workdir" REDIS_URL="$ST_REDIS_URL" \
       ZOOMBRIDGE_PUBLIC_BASE_URL="$base" ZOOMBRIDGE_DATABASE_URL="sqlite:///$workdir/schemathesis.sqlite3"
unset ZOOM_ACCOUNT_ID ZOOM_CLIENT_ID ZOOM_CLIENT_SECRET  # the stand-in's settings: nothing reaches Zoom

web_pid=""
cleanup() {
  if [ -n "$web_pid" ]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
  $BIN/python -c "import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()" "$ST_REDIS_URL" || true
  rm -rf "$workdir"
}
trap cleanup EXIT

$BIN/python -c "import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()" "$ST_REDIS_URL"
$BIN/zoombridge db upgrade >/dev/null
token="$($BIN/zoombridge staff add-token "schemathesis" 2>/dev/null | tail -1)"

$BIN/zoombridge web --port "$port" --workers 2 >"$workdir/web.log" 2>&1 &
web_pid=$!
$BIN/python - "$base/healthz?only=web" <<'PY' || { echo "zoombridge web did not start"; cat "$workdir/web.log"; exit 1; }
import sys, time, urllib.request
deadline = time.monotonic() + 30
while True:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as answer:
            if answer.status == 200:
                break
    except OSError:
        if time.monotonic() > deadline:
            raise
    time.sleep(0.2)
PY

# Rows for the examples (path ids default to 1): a co-production session, two people, a plan.
$BIN/python .ci/schemathesis_seed.py "$base" "$token"

# One worker: with two threads, Hypothesis' lambda descriptions call ast.parse concurrently, which
# CPython 3.11 before 3.11.8 cannot do ("AST constructor recursion depth mismatch", a runtime
# error of the tool, not a finding about the API).
status=0
$BIN/schemathesis run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks "${ST_CHECKS:-$CHECKS}" \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$ST_MAX_EXAMPLES" --seed "$ST_SEED" --workers 1 \
  --request-timeout 30 --suppress-health-check all --warnings off \
  --report junit --report-dir "${ST_REPORT_DIR:-schemathesis-report}" || status=$?

if [ "$status" -ne 0 ]; then
  echo "--- web log (last 60 lines)"
  tail -60 "$workdir/web.log"
fi
echo "schemathesis: exit $status after $((SECONDS - started)) s (examples per operation: $ST_MAX_EXAMPLES, seed $ST_SEED)"
exit "$status"
