#!/usr/bin/env bash
# The rate-limit tests check the shared store against a real Redis at 127.0.0.1:6379.
# When none answers, start one (no persistence, background), installing Debian's redis-server
# first when missing.
set -euo pipefail
answers() {
  python3 - <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", 6379), timeout=1)
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}
answers && exit 0
command -v redis-server >/dev/null || "$(dirname "$0")/apt-install.sh" redis-server
answers && exit 0  # the package may have started its own service
redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null
for _ in $(seq 50); do answers && exit 0; sleep 0.1; done
echo "Redis did not start at 127.0.0.1:6379" >&2
exit 1
