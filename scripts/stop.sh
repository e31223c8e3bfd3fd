#!/usr/bin/env bash
# npm stop: stops the services and the gateway; containers keep running. `npm stop -- --nats` stops NATS too.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node deploy/dist/cli.js stop "$@"
