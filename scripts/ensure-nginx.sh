#!/usr/bin/env bash
# The front-proxy tests run Debian's nginx with deploy/nginx.conf; install it when missing. The
# tests start nginx themselves on loopback ports, so the package's own service is not needed.
set -euo pipefail
[ -x /usr/sbin/nginx ] || "$(dirname "$0")/apt-install.sh" nginx
