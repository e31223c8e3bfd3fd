#!/usr/bin/env bash
# Regenerates proto/gen from the .proto files with protoc (Debian protobuf-compiler) and ts-proto.
# The output is committed; test/proto-drift checks that it matches the .proto files.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/gen}"
plugin="$here/../node_modules/.bin/protoc-gen-ts_proto"
rm -rf "$out" && mkdir -p "$out"
cd "$here"
protoc \
  --plugin="protoc-gen-ts_proto=$plugin" \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,importSuffix=.js,forceLong=number,env=node,useOptionals=messages,outputJsonMethods=false,outputPartialMethods=false,useExactTypes=false \
  -I . \
  $(find berth grpc -name '*.proto' | sort)
