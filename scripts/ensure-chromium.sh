#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; test tools cannot download a browser here.
set -euo pipefail
[ -x /usr/bin/chromium ] || "$(dirname "$0")/apt-install.sh" chromium
