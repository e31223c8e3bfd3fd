#!/usr/bin/env bash
# npm stop: stops the services and the gateway; containers keep running. `npm stop -- --nats` stops NATS too;
# `npm stop -- --purge` first removes every container, then the bridges, iptables chains, netns files
# and the cgroup parent berth made (images, volumes and state stay).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node deploy/dist/cli.js stop "$@"
