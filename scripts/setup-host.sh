#!/usr/bin/env bash
# Installs the host packages berth needs (Debian 12), only when something is missing.
# Run as root. Used by `npm start` and `npm test`.
set -euo pipefail

# binary -> Debian package
declare -A NEED=(
  [runc]=runc
  # the default OCI runtime when it works here (about twice as fast as runc); runc otherwise
  [crun]=crun
  [conmon]=conmon
  [nats-server]=nats-server
  [docker-registry]=docker-registry
  [busybox]=busybox-static
  [iptables]=iptables
  [iptables-restore]=iptables
  [ip]=iproute2
  [setfattr]=attr
  [getfattr]=attr
  [skopeo]=skopeo
  # a third-party client of berth's registry proxy in the e2e tests
  [podman]=podman
  [umoci]=umoci
  [tini]=tini
  [catatonit]=catatonit
  [protoc]=protobuf-compiler
  [zstd]=zstd
  # ADD of bzip2 and xz compressed tars in a build (Node has gzip only)
  [bzip2]=bzip2
  [xz]=xz-utils
  [htpasswd]=apache2-utils
  [nsenter]=util-linux
  [unshare]=util-linux
  [tmux]=tmux
  [hyperfine]=hyperfine
  [python3]=python3
  [openssl]=openssl
  [grpc_python_plugin]=protobuf-compiler-grpc
)
# files -> Debian package
declare -A NEED_FILES=(
  [/usr/share/containers/seccomp.json]=golang-github-containers-common
  [/bin/busybox]=busybox-static
  # the gRPC interop test's Python client (Debian's python3, not a pyenv one)
  [/usr/lib/python3/dist-packages/grpc/__init__.py]=python3-grpcio
)

missing=()
for bin in "${!NEED[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${NEED[$bin]}")
done
for f in "${!NEED_FILES[@]}"; do
  [ -e "$f" ] || missing+=("${NEED_FILES[$f]}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "berth: missing host packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "berth: installing host packages: $pkgs"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $pkgs
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "berth: Node.js >= 20 is required (found $(node --version))" >&2
  exit 1
fi

# Modules the kernel side needs (present as modules or built in).
for mod in overlay br_netfilter veth; do modprobe "$mod" 2>/dev/null || true; done
