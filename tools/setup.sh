#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the examples need.
# Idempotent: packages already present are skipped; prints what it installs;
# fails loudly if apt fails. Works on Debian 12 and Raspberry Pi OS bookworm.
set -euo pipefail

PACKAGES=(
  # Build: offline Bazel 4.2.3 and its Java rules.
  bazel-bootstrap bazel-rules-java
  g++ clang-format
  # Libraries wired in through //third_party.
  libabsl-dev
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpcre2-dev nlohmann-json3-dev libutf8proc-dev
  libcpp-httplib-dev
  # SHA-256 in tests (the rebuilt reference models' checksums).
  libssl-dev
  # Fuzzing (tools/fuzz.sh): clang with libFuzzer.
  clang libclang-rt-14-dev
  # Python client and tests (Debian's /usr/bin/python3).
  python3 python3-numpy python3-grpcio python3-protobuf
  # Chat templates: Jinja2 as the live reference of runtime/chat/jinja tests.
  python3-jinja2
  # Server TLS test: makes a self-signed certificate.
  openssl
  # HTTP facade test (tests/http): curl drives the OpenAI-compatible API.
  curl
  # ARM test (tests/arm): runs the AArch64 kernels under qemu-user.
  qemu-user-static
  # Debian package (tools/package_deb.sh and its test): dpkg-shlibdeps,
  # strip/readelf, useradd for the scratch install, the manual page check,
  # systemd-analyze verify/security on the unit.
  dpkg-dev binutils passwd groff-base systemd
  # Kubernetes manifests check (deploy/kubernetes).
  python3-yaml
)
# ... and compiles them with aarch64-linux-gnu-g++/-objdump: a cross
# toolchain on other hosts; on arm64 (Raspberry Pi) g++ and binutils are
# already the aarch64-linux-gnu toolchain, so no cross package is asked for.
if [ "$(dpkg --print-architecture)" != arm64 ]; then
  PACKAGES+=(g++-aarch64-linux-gnu binutils-aarch64-linux-gnu)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
else
  echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  if ! $SUDO apt-get update; then
    echo "setup: apt-get update failed" >&2
    exit 1
  fi
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
    echo "setup: apt-get install failed for: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installed ${missing[*]}"
fi

# Node.js and npm: Debian's, unless a node is already installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing Debian's nodejs and npm"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  if ! $SUDO apt-get update ||
     ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends nodejs npm; then
    echo "setup: apt-get install nodejs npm failed" >&2
    exit 1
  fi
fi

# npm packages the examples and tests use, at the versions pinned in each
# folder's package-lock.json, installed once per lock file (a stamp holds
# the lock's hash) so tests never need the network:
#   examples/node    @grpc/grpc-js, @grpc/proto-loader (the example client)
#   tests/http/node  openai (the official client, against the HTTP API)
npm_ci() {  # folder, relative to the repository
  local dir="$root/$1"
  [ -f "$dir/package-lock.json" ] || return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: npm not found; the Node.js tests of $1 will skip"
    return 0
  fi
  local stamp="$dir/node_modules/.edgellm-lock-sha256"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup: $1 dependencies already installed"
    return 0
  fi
  echo "setup: npm ci in $1"
  if ! (cd "$dir" && npm ci --no-audit --no-fund); then
    echo "setup: npm ci failed in $1" >&2
    exit 1
  fi
  echo "$want" >"$stamp"
}
root="$(cd "$(dirname "$0")/.." && pwd)"
npm_ci examples/node
npm_ci tests/http/node
