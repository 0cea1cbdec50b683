#!/usr/bin/env bash
# The bar of issue 6: linting CPython's Modules/ takes at most 2x `clang -fsyntax-only`
# on the same files with the same flags. Runs each side RUNS times (default 3), prints
# the medians and the ratio. The source comes from Debian (scripts/fetch-cpython-src.sh).
#   usage: modules_vs_syntax_only.sh LINTER WORK_DIR [RUNS]
set -euo pipefail
LINT=${1:?usage: modules_vs_syntax_only.sh LINTER WORK_DIR [RUNS]}
WORK=${2:?}
RUNS=${3:-3}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CLANG=$(command -v clang-14 || command -v clang)

SRC=$("$REPO/scripts/fetch-cpython-src.sh" "$WORK" python3.11 | tail -n 1)
"$REPO/tests/unit/clang/cpython_compile_db.sh" "$SRC" "$WORK/db"
mapfile -t FILES < "$WORK/db/files.txt"

now() { date +%s.%N; }
syntax_only() {
  while read -r file flags; do
    # shellcheck disable=SC2086
    "$CLANG" -fsyntax-only -w $flags "$file"
  done < "$WORK/db/commands.txt"
}
lint() { "$LINT" -p "$WORK/db" "${FILES[@]}" > /dev/null 2>&1 || [ $? -eq 1 ]; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

s_times=(); l_times=()
for ((i = 0; i < RUNS; i++)); do
  t0=$(now); syntax_only; t1=$(now); lint; t2=$(now)
  s_times+=("$(echo "$t1 - $t0" | bc)"); l_times+=("$(echo "$t2 - $t1" | bc)")
done
s=$(printf '%s\n' "${s_times[@]}" | median)
l=$(printf '%s\n' "${l_times[@]}" | median)
echo "files: ${#FILES[@]}   runs: $RUNS"
echo "clang -fsyntax-only: median ${s}s  (runs: ${s_times[*]})"
echo "pyrace C lint:       median ${l}s  (runs: ${l_times[*]})"
echo "ratio lint/syntax-only: $(echo "scale=2; $l / $s" | bc)  (bar: <= 2.00)"
