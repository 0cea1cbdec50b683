#!/usr/bin/env bash
# unit.clang.thirdparty_cffi: a third-party extension from Debian's sources
# (python-cffi's _cffi_backend.c, which #includes the rest of c/): it must parse and
# give exactly the triaged findings (none: see docs/cext.md). psycopg2 and pyzmq are
# the issue's suggestions, but this machine's Debian mirror does not serve their
# sources. Exit 77 (skipped) when the source cannot be fetched.
#   usage: thirdparty_cffi.sh LINTER WORK_DIR
set -uo pipefail
LINT=${1:?usage: thirdparty_cffi.sh LINTER WORK_DIR}
WORK=${2:?}
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
if ! SRC=$("$REPO/scripts/fetch-cpython-src.sh" "$WORK" python-cffi | tail -n 1) || [ ! -f "$SRC/c/_cffi_backend.c" ]; then
  echo "SKIP: Debian's python-cffi source could not be fetched"
  exit 77
fi
out=$("$LINT" --functions "$SRC/c/_cffi_backend.c" -- -DFFI_BUILDING 2>&1)
rc=$?
echo "$out"
if [ $rc -ne 0 ]; then echo "FAIL: expected no findings and no errors (exit $rc)"; exit 1; fi
echo "python-cffi: parsed, no findings (as triaged)"
