#!/usr/bin/env bash
# npm packages from the lockfile, then the TypeScript build. Skips npm ci when node_modules matches.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.berth-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
npx tsc -b
