#!/usr/bin/env bash
# Issue 6's bar for the pass plugin: 1,000,000 calls of an extension function that
# creates and drops objects, instrumented vs not, under a plain python3 (bar: <= 1.3x).
# CPU time (user+sys), median of RUNS (default 5).
#   usage: plugin_overhead.sh PLUGIN WORK_DIR [RUNS] [PYTHON]
set -euo pipefail
PLUGIN=${1:?usage: plugin_overhead.sh PLUGIN WORK_DIR [RUNS] [PYTHON]}
WORK=${2:?}
RUNS=${3:-5}
PY=${4:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
CLANG=$(command -v clang-14 || command -v clang)
INC=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
SUFFIX=$("$PY" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
mkdir -p "$WORK/plain" "$WORK/instrumented"
"$CLANG" -g -O2 -fPIC -shared -I"$INC" "$HERE/callheavy.c" -o "$WORK/plain/callheavy$SUFFIX"
"$CLANG" -g -O2 -fPIC -shared -fpass-plugin="$PLUGIN" -I"$INC" "$HERE/callheavy.c" \
  -o "$WORK/instrumented/callheavy$SUFFIX"
prog='import callheavy
f = callheavy.churn
for i in range(1000000): f(i)'
cpu() {  # dir -> seconds of CPU
  local out
  out=$( { TIMEFORMAT='%U %S'; time PYTHONPATH="$1" "$PY" -c "$prog"; } 2>&1 | tail -n 1)
  awk '{printf "%.3f\n", $1 + $2}' <<< "$out"
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
p=(); n=()
for ((i = 0; i < RUNS; i++)); do p+=("$(cpu "$WORK/plain")"); n+=("$(cpu "$WORK/instrumented")"); done
mp=$(printf '%s\n' "${p[@]}" | median); mn=$(printf '%s\n' "${n[@]}" | median)
echo "1,000,000 calls, plain python3, cpu medians of $RUNS"
echo "uninstrumented: ${mp}s  (${p[*]})"
echo "instrumented:   ${mn}s  (${n[*]})"
echo "ratio: $(echo "scale=3; $mn / $mp" | bc)  (bar: <= 1.30)"
