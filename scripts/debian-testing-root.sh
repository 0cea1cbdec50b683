#!/usr/bin/env bash
# Creates, once, a Debian-testing root holding the Python versions the host's Debian
# does not ship (3.14, 3.15), their headers and CPython's own regression tests.
# The host's packages are never touched: debootstrap unpacks testing's packages into
# ROOT only. Run from setup.sh; safe to run again (a complete root is kept).
#   usage: scripts/debian-testing-root.sh ROOT
#   PYRACE_DEBIAN_MIRROR   the Debian mirror (default: the one fetch-cpython-src.sh uses)
#   PYRACE_TESTING_PYTHONS versions to install (default: "3.14 3.15")
# Exit 0 when the root is usable, 1 when it could not be made (setup goes on without it).
#
# The root's interpreters cannot run directly on the host: they are linked against
# testing's glibc. For each version, ROOT/usr/bin/pyrace-host-pythonX.Y runs the root's
# interpreter through the root's own dynamic loader and libraries, so it sees the host's
# file system (build tree, /tmp) as any other interpreter does; sys.executable is that
# launcher, so subprocesses started with sys.executable run the same way.
set -euo pipefail

ROOT=${1:?usage: debian-testing-root.sh ROOT}
MIRROR=${PYRACE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
VERSIONS=${PYRACE_TESTING_PYTHONS:-3.14 3.15}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

pkgs=()
for v in $VERSIONS; do
  pkgs+=("python$v" "python$v-dev" "libpython$v-testsuite")
done
want=$(printf '%s\n' "$MIRROR" "${pkgs[@]}")

if [ -f "$ROOT/.pyrace-root" ] && [ "$(cat "$ROOT/.pyrace-root")" = "$want" ]; then
  echo "debian-testing-root: $ROOT is up to date"
else
  rm -rf "$ROOT" "$ROOT.partial"
  mkdir -p "$(dirname "$ROOT")"
  include=$(IFS=,; echo "${pkgs[*]}")
  keyring=()
  [ -f "$KEYRING" ] && keyring=(--keyring="$KEYRING")
  start=$(date +%s)
  # minbase: dpkg, apt and the essential set only; the --include'd packages bring
  # their own dependencies. The partial root is renamed only when complete, so an
  # interrupted run is started over rather than half trusted.
  if ! debootstrap --variant=minbase "${keyring[@]}" --include="$include" \
         testing "$ROOT.partial" "$MIRROR" > "$(dirname "$ROOT")/debian-testing.log" 2>&1; then
    echo "debian-testing-root: debootstrap failed, see $(dirname "$ROOT")/debian-testing.log" >&2
    tail -5 "$(dirname "$ROOT")/debian-testing.log" >&2 || true
    exit 1
  fi
  # The downloaded .debs are not needed once unpacked.
  rm -rf "$ROOT.partial/var/cache/apt/archives/"*.deb
  mv "$ROOT.partial" "$ROOT"
  echo "debian-testing-root: made $ROOT in $(( $(date +%s) - start ))s ($(du -sh "$ROOT" | cut -f1))"
  printf '%s\n' "$want" > "$ROOT/.pyrace-root"
fi

# The launchers (written every run: cheap). Each finds the root from its own place, so
# a moved build tree keeps working. --argv0 makes sys.executable the launcher, and the
# launcher sits in the root's usr/bin so the interpreter finds its prefix
# (usr/lib/pythonX.Y) next to it.
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
loader=$(find "$ROOT/lib64/" "$ROOT/lib/" -maxdepth 2 -name 'ld-linux*.so.*' -print -quit 2>/dev/null || true)
[ -n "$loader" ] || { echo "debian-testing-root: no dynamic loader in $ROOT" >&2; exit 1; }
loader=${loader#"$ROOT"/}
for v in $VERSIONS; do
  [ -x "$ROOT/usr/bin/python$v" ] || { echo "debian-testing-root: no python$v in $ROOT" >&2; exit 1; }
  cat > "$ROOT/usr/bin/pyrace-host-python$v" <<EOF
#!/bin/sh
# Runs the Debian-testing root's python$v on the host (scripts/debian-testing-root.sh).
root=\$(cd "\$(dirname "\$0")/../.." && pwd -P)
exec "\$root/$loader" --library-path "\$root/lib/$triplet:\$root/usr/lib/$triplet" --argv0 "\$0" "\$root/usr/bin/python$v" "\$@"
EOF
  chmod +x "$ROOT/usr/bin/pyrace-host-python$v"
done
