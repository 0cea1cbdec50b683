#!/usr/bin/env bash
# Fetches a Debian source package (default: python3.11, the default interpreter's source)
# into DEST through a private apt configuration: the system's sources.list and apt lists
# are left untouched, and no source is committed to the repository.
#   usage: scripts/fetch-cpython-src.sh DEST [PACKAGE]
# Prints the extracted source directory on the last line of stdout. Exit 0 when the
# source is there (fetched now or before), 1 when it could not be fetched.
set -euo pipefail

DEST=${1:?usage: fetch-cpython-src.sh DEST [PACKAGE]}
PKG=${2:-python3.11}
SUITE=${PYRACE_DEBIAN_SUITE:-bookworm}
MIRROR=${PYRACE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
existing=$(find "$DEST" -mindepth 1 -maxdepth 1 -type d -name "${PKG}-*" -print -quit)
if [ -n "$existing" ] && [ -f "$existing/.pyrace-fetched" ]; then
  echo "$existing"
  exit 0
fi

APT="$DEST/apt"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources.list.d"
signed=""
[ -f "$KEYRING" ] && signed="[signed-by=$KEYRING] "
echo "deb-src ${signed}${MIRROR} ${SUITE} main" > "$APT/sources.list"

apt_opts=(
  -o "Dir::Etc::sourcelist=$APT/sources.list"
  -o "Dir::Etc::sourceparts=$APT/sources.list.d"
  -o "Dir::State::Lists=$APT/lists"
  -o "Dir::Cache=$APT/cache"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)

if ! apt-get "${apt_opts[@]}" -qq update >&2; then
  echo "fetch-cpython-src: apt-get update of ${MIRROR} ${SUITE} (deb-src) failed" >&2
  exit 1
fi
# Only the upstream tarball, untarred, without Debian's patches: into PKG-<version>.
untar_orig() {
  local orig ver
  orig=$(find "$DEST" -maxdepth 1 -name "${PKG}_*.orig.tar.*" -print -quit)
  [ -n "$orig" ] || return 1
  ver=${orig##*/"${PKG}"_}; ver=${ver%%.orig.tar.*}
  mkdir -p "$DEST/${PKG}-${ver}"
  tar -xf "$orig" -C "$DEST/${PKG}-${ver}" --strip-components=1
}
# dpkg-source (dpkg-dev) unpacks and patches; without it, only download and untar.
# Some mirrors serve a package's upstream tarball but not its .dsc or Debian
# tarball: apt keeps the files it fetched (each checked against the signed index),
# and the upstream tarball alone is the library's source with its tests.
if command -v dpkg-source >/dev/null 2>&1 &&
   (cd "$DEST" && apt-get "${apt_opts[@]}" -qq source "$PKG" >&2); then
  :
elif (cd "$DEST" && apt-get "${apt_opts[@]}" -qq source --download-only "$PKG" >&2) || true; untar_orig; then
  echo "fetch-cpython-src: $PKG: the upstream tarball only (without Debian's patches)" >&2
else
  echo "fetch-cpython-src: apt-get source $PKG failed (no upstream tarball either)" >&2; exit 1
fi

srcdir=$(find "$DEST" -mindepth 1 -maxdepth 1 -type d -name "${PKG}-*" -print -quit)
[ -n "$srcdir" ] || { echo "fetch-cpython-src: nothing extracted" >&2; exit 1; }
touch "$srcdir/.pyrace-fetched"
echo "$srcdir"
