#!/usr/bin/env bash
# Installs what pyrace needs on Debian 12 (as root), then configures and builds it.
# Safe to run again: installs only what is missing and rebuilds incrementally.
#   BUILD_DIR (default: build)   CMAKE_ARGS (extra cmake arguments)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang-14 llvm-14-dev libclang-14-dev libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev zlib1g-dev
  python3 python3-dev python3-pytest python3-pytest-xdist
  libgdbm-dev libgdbm-compat-dev uuid-dev libtirpc-dev tcl-dev libssl-dev libsqlite3-dev
  nodejs debootstrap
  time  # peak RSS of whole programs in bench/ (GNU time)
  chromium  # the HTML report's browser test (e2e.html.*)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's nodejs needs its npm package; NodeSource's nodejs carries npm itself.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages (the tree-sitter runtime and Python grammar for the linter, the SARIF
# validator for the tests), pinned in third_party/package.json and installed without
# running their scripts.
if [ -f third_party/package.json ]; then
  if [ ! -d third_party/npm/node_modules ] || [ third_party/package.json -nt third_party/npm/.installed ]; then
    mkdir -p third_party/npm
    cp third_party/package.json third_party/npm/package.json
    [ -f third_party/package-lock.json ] && cp third_party/package-lock.json third_party/npm/
    (cd third_party/npm && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
    touch third_party/npm/.installed
  fi
fi

BUILD_DIR=${BUILD_DIR:-build}

# Python 3.14 and 3.15, which Debian 12 does not ship, from a Debian-testing root in the
# build tree (docs/interpreters.md). PYRACE_TESTING_ROOT=0 goes without them.
ROOT="$BUILD_DIR/debian-testing"
if [ "${PYRACE_TESTING_ROOT:-1}" != 0 ]; then
  scripts/debian-testing-root.sh "$ROOT" || echo "setup: going on without the Debian-testing Pythons"
fi

# Real libraries' test suites for the differential harness (docs/semantics.md), from
# Debian's source packages. PYRACE_THIRDPARTY=0 goes without them (their tests skip).
if [ "${PYRACE_THIRDPARTY:-1}" != 0 ]; then
  scripts/fetch-thirdparty.sh "$BUILD_DIR/thirdparty" || echo "setup: going on without the third-party test suites"
fi

GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-}
elif [ -f "$ROOT/.pyrace-root" ] && [ "$ROOT/.pyrace-root" -nt "$BUILD_DIR/CMakeCache.txt" ]; then
  # The root came after the build tree was configured: find its interpreters now.
  cmake -S . -B "$BUILD_DIR"
fi
cmake --build "$BUILD_DIR" -j"$(nproc)"
