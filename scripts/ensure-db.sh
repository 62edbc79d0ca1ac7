#!/usr/bin/env bash
# Make sure a MariaDB/MySQL server answers at DATABASE_URL's host and port.
# When none does and the host is local, start a project-local MariaDB with its data under
# .local/mariadb (ignored by git), installing Debian's mariadb-server first when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

url="${DATABASE_URL:-mysql://root@127.0.0.1:3306/loyalty}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port=3306
[[ "$hostport" == *:* ]] && port="${hostport##*:}"

answers() {
  python3 - "$host" "$port" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

answers && exit 0
case "$host" in 127.0.0.1|localhost) ;; *)
  echo "No database answers at $host:$port, and it is not local: start it, or fix DATABASE_URL." >&2
  exit 1;;
esac

find_mariadbd() { command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null || true; }
if [ -z "$(find_mariadbd)" ]; then
  scripts/apt-install.sh mariadb-server
  answers && exit 0  # the package may have started its own service
fi

base="$PWD/.local/mariadb"
mkdir -p "$base"
user_opt=()
[ "$(id -u)" -eq 0 ] && user_opt=(--user=root)
if [ ! -d "$base/data/mysql" ]; then
  echo "Initialising a project-local MariaDB in $base/data" >&2
  mariadb-install-db --no-defaults --datadir="$base/data" --auth-root-authentication-method=normal \
    --skip-test-db "${user_opt[@]}" >"$base/install.log" 2>&1
fi
echo "Starting the project-local MariaDB on $host:$port (log: $base/error.log)" >&2
# With a binary log (ROW format, kept 7 days): what `loyalty backup restore --until` replays
# for point-in-time recovery from a `loyalty backup create` snapshot (see the README).
nohup "$(find_mariadbd)" --no-defaults --datadir="$base/data" --port="$port" \
  --bind-address=127.0.0.1 --socket="$base/mariadb.sock" --pid-file="$base/mariadb.pid" \
  --log-bin=mariadb-bin --server-id=1 --binlog-format=ROW --expire-logs-days=7 \
  --log-error="$base/error.log" "${user_opt[@]}" >/dev/null 2>&1 &
for _ in $(seq 1 60); do
  answers && exit 0
  sleep 0.5
done
echo "The project-local MariaDB did not start; see $base/error.log" >&2
exit 1
