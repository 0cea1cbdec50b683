#!/usr/bin/env bash
# Fetches, once, the third-party libraries whose own test suites the differential
# harness runs (bench/programs/thirdparty_tests.py, docs/semantics.md): each library's
# Debian source package through fetch-cpython-src.sh, and the Debian binary packages
# its tests import that the host lacks, unpacked (dpkg -x, nothing installed) into
# DEST/site. The host's packages and apt state are left alone.
#   usage: scripts/fetch-thirdparty.sh DEST
#   PYRACE_THIRDPARTY_SUITE  the Debian suite of the sources (default: trixie, whose
#                            upstream tarballs this machine's mirror serves; bookworm's
#                            it does not)
# Exit 0 when every library is there (DEST/.pyrace-thirdparty is the stamp), 1 when
# something could not be fetched (what was fetched is kept; running again retries).
set -euo pipefail

DEST=${1:?usage: fetch-thirdparty.sh DEST}
SUITE=${PYRACE_THIRDPARTY_SUITE:-trixie}
HERE=$(cd "$(dirname "$0")" && pwd)

# Debian source packages (their test suites are in the upstream tarball) ...
SOURCES=(python-tornado python-dateutil python-cachetools python-async-timeout cloudpickle)
# ... and the binary packages (the host's suite) their tests need besides python3-pytest:
# dateutil's tests import freezegun, hypothesis (which needs sortedcontainers and
# exceptiongroup) and six; async-timeout's use pytest-asyncio; cloudpickle's psutil.
DEBS=(python3-freezegun python3-hypothesis python3-sortedcontainers python3-exceptiongroup
      python3-six python3-pytest-asyncio python3-psutil)

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
want=$(printf '%s\n' "$SUITE" "${SOURCES[@]}" "${DEBS[@]}")
if [ -f "$DEST/.pyrace-thirdparty" ] && [ "$(cat "$DEST/.pyrace-thirdparty")" = "$want" ]; then
  echo "fetch-thirdparty: $DEST is up to date"
  exit 0
fi
rm -f "$DEST/.pyrace-thirdparty"

ok=1
for pkg in "${SOURCES[@]}"; do
  if ! PYRACE_DEBIAN_SUITE=$SUITE "$HERE/fetch-cpython-src.sh" "$DEST/src" "$pkg" >/dev/null; then
    echo "fetch-thirdparty: the source of $pkg ($SUITE) could not be fetched" >&2
    ok=0
  fi
done

mkdir -p "$DEST/debs"
missing=()
for deb in "${DEBS[@]}"; do
  compgen -G "$DEST/debs/${deb}_*.deb" >/dev/null || missing+=("$deb")
done
if [ ${#missing[@]} -gt 0 ] &&
   ! (cd "$DEST/debs" && apt-get -qq -o APT::Sandbox::User=root download "${missing[@]}" >&2); then
  echo "fetch-thirdparty: apt-get download ${missing[*]} failed" >&2
  ok=0
fi
rm -rf "$DEST/site"
mkdir -p "$DEST/site"
for deb in "$DEST"/debs/*.deb; do
  [ -f "$deb" ] && dpkg -x "$deb" "$DEST/site"
done

if [ $ok = 1 ]; then
  echo "$want" > "$DEST/.pyrace-thirdparty"
  echo "fetch-thirdparty: $DEST ready"
  exit 0
fi
exit 1
