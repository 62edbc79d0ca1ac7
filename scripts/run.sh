#!/usr/bin/env bash
# `make run`: seed the demo data, then serve the API (gunicorn, :8000), the admin app (:8080) and
# the webhook delivery worker until Ctrl-C. Assumes `make db frontend` ran first.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

mkdir -p .local
# A dev SECRET_KEY kept across restarts, so admin sessions survive `make run` again.
[ -s .local/secret_key ] || python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >.local/secret_key
export SECRET_KEY="${SECRET_KEY:-$(cat .local/secret_key)}"
# Log lines for a terminal; production keeps the default, one JSON object per line.
export LOG_FORMAT="${LOG_FORMAT:-text}"
# gunicorn runs several workers: the rate limits' counts are shared in Redis, so each limit
# holds for the whole service (service/limits.py).
scripts/ensure-redis.sh
export RATELIMIT_STORAGE_URI=${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/0}

seed_output=$("$BIN/loyalty" demo seed)
pos_key=$(tail -n 1 <<<"$seed_output")

# Each process lives on its own: when the API exits (a crash, a kill, a deploy), the admin app
# is still served and shows its offline state, and the API and the worker are started again.
supervise() {
  local name=$1 child=
  shift
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' TERM
  while true; do
    "$@" &
    child=$!
    wait "$child" || true
    echo "  $name exited; starting it again in 1 s" >&2
    sleep 1
  done
}

trap 'kill $(jobs -p) 2>/dev/null || true' EXIT INT TERM
supervise API "$BIN/gunicorn" -c gunicorn.conf.py 'service:create_app()' &
supervise "Webhook worker" "$BIN/loyalty" webhooks deliver &
"$BIN/python" -m http.server 8080 --bind 127.0.0.1 --directory frontend/dist >/dev/null 2>&1 &

cat <<TXT

  Admin app:   http://127.0.0.1:8080/#/demo/admin/customers
  API:         http://127.0.0.1:8000/   (docs: http://127.0.0.1:8000/api/docs/)
$(sed 's/^/  /' <<<"$seed_output" | head -n -2)
  POS key:     $pos_key

  Try:  curl -s -H "X-API-Key: $pos_key" 'http://127.0.0.1:8000/api/loyalty/phone-lookup?phone=%2B447306506797'
  Stop: Ctrl-C
TXT
wait
