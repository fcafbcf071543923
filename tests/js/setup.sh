#!/usr/bin/env bash
# Installs what the JavaScript SDK tests need, each only when missing: node and npm (Debian's, when
# running as root with apt-get) and the npm packages of package-lock.json (again whenever the lock
# changes). Run by scripts/test, and early by .ci/run so the downloads overlap the build; safe to run
# again.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
  else
    echo "node and npm are needed for tests/js (Node 18 or later)" >&2
    exit 1
  fi
fi
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.lock.sha256
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
