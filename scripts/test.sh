#!/usr/bin/env bash
# npm test: what the tests need, the build, then every test file of every package.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
bash scripts/install-deps.sh
exec node scripts/run-tests.mjs "$@"
