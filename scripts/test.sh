#!/usr/bin/env bash
# Runs every test (unit and end-to-end) against the build made by setup.sh, then,
# when given no ctest arguments, the runtime's sanitizer sample (docs/semantics.md):
# the asan preset's build of the runtime alone, in its own directory.
#   BUILD_DIR (default: build)   SANITIZE (0: skip the sanitizer sample, 1: run it always)
#   CMAKE_ARGS (extra cmake arguments for the sanitizer build, e.g. a compiler launcher)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
sanitize=${SANITIZE:-$([ $# -eq 0 ] && echo 1 || echo 0)}
# The suite covers the interpreters the build found a runtime for (cmake/Pythons.cmake),
# said first: one that is missing (no Debian-testing root: no 3.14, 3.15) would shrink
# the suite unnoticed.
runtimes=$(cd "$BUILD_DIR/lib/pyrace" 2>/dev/null && ls _pyrace.cpython-3*.so 2>/dev/null |
           sed -E 's/_pyrace\.cpython-3([0-9]+).*/3.\1/' | tr '\n' ' ')
echo "pyrace runtime built for Python: ${runtimes:-none}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" "$@"
if [ "$sanitize" = 1 ]; then
  python=$(python3 -c 'import sys; print(sys.executable)')
  tool=$(cd "$BUILD_DIR" && pwd)/bin/pyrace
  cmake --preset asan -DPYRACE_PYTHONS="$python" -DPYRACE_SANITIZE_TOOL="$tool" ${CMAKE_ARGS:-} > /dev/null
  cmake --build --preset asan
  ctest --preset asan
fi
