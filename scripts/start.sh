#!/usr/bin/env bash
# npm start: host packages, npm packages, build, then NATS + the four services + the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
bash scripts/install-deps.sh
exec node deploy/dist/cli.js start
