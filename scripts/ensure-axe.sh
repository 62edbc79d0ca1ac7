#!/usr/bin/env bash
# The accessibility tests inject axe-core into the admin app. It is a test tool only (the app
# ships no npm packages): fetched once from the npm registry into .local/axe-core, pinned.
set -euo pipefail
cd "$(dirname "$0")/.."
AXE_VERSION=4.10.3
target=.local/axe-core
if [ -f "$target/node_modules/axe-core/axe.min.js" ] &&
  grep -q "\"version\": \"$AXE_VERSION\"" "$target/node_modules/axe-core/package.json"; then
  exit 0
fi
command -v npm >/dev/null || scripts/apt-install.sh npm
mkdir -p "$target"
npm install --prefix "$target" --no-save --no-audit --no-fund --silent "axe-core@$AXE_VERSION" >&2
echo "axe-core $AXE_VERSION in $target" >&2
