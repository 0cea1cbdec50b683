#!/usr/bin/env bash
# The bar: linting CPython's Modules/ takes at most 2x `clang -fsyntax-only`
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
"$REPO/tests/instrument/clang/cpython_compile_db.sh" "$SRC" "$WORK/db"
mapfile -t FILES < "$WORK/db/files.txt"

syntax_only() {
  while read -r file flags; do
    # shellcheck disable=SC2086
    "$CLANG" -fsyntax-only -w $flags "$file"
  done < "$WORK/db/commands.txt"
}
lint() { "$LINT" -p "$WORK/db" "${FILES[@]}" > /dev/null 2>&1 || [ $? -eq 1 ]; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# Wall time and CPU time (user+sys of the children): on a shared machine the CPU time
# is the figure that does not depend on what else runs.
measure() {  # function -> "wall cpu"
  local out
  out=$( { TIMEFORMAT='%R %U %S'; time "$1"; } 2>&1 >/dev/null | tail -n 1)
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' <<< "$out"
}

sw=(); sc=(); lw=(); lc=()
for ((i = 0; i < RUNS; i++)); do
  read -r w c < <(measure syntax_only); sw+=("$w"); sc+=("$c")
  read -r w c < <(measure lint); lw+=("$w"); lc+=("$c")
done
m() { printf '%s\n' "$@" | median; }
echo "files: ${#FILES[@]}   runs: $RUNS   (medians)"
echo "clang -fsyntax-only: wall $(m "${sw[@]}")s  cpu $(m "${sc[@]}")s   (cpu runs: ${sc[*]})"
echo "pyrace C lint:       wall $(m "${lw[@]}")s  cpu $(m "${lc[@]}")s   (cpu runs: ${lc[*]})"
echo "ratio lint/syntax-only: cpu $(echo "scale=2; $(m "${lc[@]}") / $(m "${sc[@]}")" | bc)" \
     " wall $(echo "scale=2; $(m "${lw[@]}") / $(m "${sw[@]}")" | bc)   (bar: <= 2.00)"
