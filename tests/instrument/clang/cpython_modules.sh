#!/usr/bin/env bash
# unit.clang.cpython_modules: lints CPython's Modules/ (Debian's python3.11 source) and
#  1. requires every file to parse,
#  2. compares the findings, as (kind, file, function), with the triaged list in
#     testdata/cext/cpython-3.11-modules.expected (docs/cext.md explains each one),
#  3. plants known bugs into copies of _bz2module.c and requires each to be found at
#     its line (so a checker that goes quiet fails here).
# Exit 77 (skipped) when the source cannot be fetched.
#   usage: cpython_modules.sh LINTER WORK_DIR EXPECTED
set -uo pipefail
LINT=${1:?usage: cpython_modules.sh LINTER WORK_DIR EXPECTED}
WORK=${2:?}
EXPECTED=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)

if ! SRC=$("$REPO/scripts/fetch-cpython-src.sh" "$WORK" python3.11 | tail -n 1) || [ ! -d "$SRC/Modules" ]; then
  echo "SKIP: Debian's python3.11 source could not be fetched (deb-src unreachable?)"
  exit 77
fi
"$HERE/cpython_compile_db.sh" "$SRC" "$WORK/db" || exit 1
mapfile -t FILES < "$WORK/db/files.txt"
echo "linting ${#FILES[@]} files of $SRC/Modules"

"$LINT" -p "$WORK/db" --functions "${FILES[@]}" > "$WORK/findings.txt" 2> "$WORK/errors.txt"
rc=$?
fail=0
if [ -s "$WORK/errors.txt" ]; then
  echo "FAIL: files that did not parse:"; cat "$WORK/errors.txt"; fail=1
fi
if [ $rc -gt 1 ]; then echo "FAIL: linter exit code $rc"; fail=1; fi

# "path:line:col: kind: message [rule] {function}" -> "kind Modules/... function"
actual=$(grep -v '^    ' "$WORK/findings.txt" |
  sed -E "s|^$SRC/([^:]*):[0-9]+:[0-9]+: ([a-z-]+): .* \{([^}]*)\}$|\2 \1 \3|" | LC_ALL=C sort)
expected=$(grep -v -E '^\s*(#|$)' "$EXPECTED" | sed -E 's/\s*#.*$//' | awk '{print $1, $2, $3}' | LC_ALL=C sort)
if [ "$actual" != "$expected" ]; then
  echo "FAIL: findings differ from $EXPECTED (< expected, > actual):"
  diff <(echo "$expected") <(echo "$actual")
  fail=1
else
  echo "findings: $(echo "$actual" | grep -c .) as triaged"
fi

# Planted bugs: each mutant must report KIND at the planted line.
plant() {  # name kind anchor-regex sed-script [line-regex]
  local name=$1 kind=$2 anchor=$3 script=$4 mark=${5:-PYRACE_PLANTED}
  local m="$SRC/Modules/_bz2module_${name}.c"
  sed -E "$script" "$SRC/Modules/_bz2module.c" > "$m"
  local line
  line=$(grep -n -E "$mark" "$m" | head -n 1 | cut -d: -f1)
  if [ -z "$line" ]; then echo "FAIL: mutant $name: anchor $anchor not found"; fail=1; return; fi
  local out
  out=$("$LINT" -p "$WORK/db" "$m" -- -DPy_BUILD_CORE_MODULE -I"$SRC/Include" -I"$SRC/Include/internal" \
        -I"$WORK/db/pyconfig" 2>&1)
  if ! grep -q -E "^$m:$line:[0-9]+: $kind:" <<< "$out"; then
    echo "FAIL: mutant $name: no $kind at line $line"; echo "$out"; fail=1
  else
    echo "mutant $name: $kind at line $line"
  fi
  rm -f "$m"
}
plant decref gil-not-held "BZ2_bzCompress" \
  's|^(\s*)bzerror = BZ2_bzCompress\(&c->bzs, action\);|&\n\1Py_DECREF(c); /* PYRACE_PLANTED */|'
plant return gil-state-leak "BZ2_bzCompress" \
  's|^(\s*)bzerror = BZ2_bzCompress\(&c->bzs, action\);|&\n\1if (bzerror < 0) return NULL; /* PYRACE_PLANTED */|'
plant unlock missed-release "compress_impl" \
  '/_bz2_BZ2Compressor_compress_impl\(BZ2Compressor \*self, Py_buffer \*data\)$/,/RELEASE_LOCK/ s|^(\s*)ACQUIRE_LOCK\(self\);|\1ACQUIRE_LOCK(self); /* PYRACE_PLANTED */\n\1if (data->len == 0) return NULL;|'
plant order lock-order-inversion "flush_impl" \
  '/_bz2_BZ2Compressor_flush_impl\(BZ2Compressor \*self\)$/,/RELEASE_LOCK/ s|^(\s*)ACQUIRE_LOCK\(self\);|\1PyThread_acquire_lock(self->lock, 1); /* PYRACE_PLANTED */|'

exit $fail
