#!/usr/bin/env bash
# Install Debian packages by name (as root, or through sudo), refreshing the lists first.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Need root or sudo to install: $*" >&2; exit 1; }
  SUDO="sudo"
fi
echo "Installing Debian packages: $*" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >&2
