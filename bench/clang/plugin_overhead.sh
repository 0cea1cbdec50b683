#!/usr/bin/env bash
# The bars for the pass plugin: 1,000,000 calls of an extension function that
# creates and drops objects (callheavy.c).
#   - the instrumented module under a plain python3 vs the uninstrumented one (<= 1.3x);
#   - with PYRACE given, the instrumented module under `pyrace run` vs the uninstrumented
#     one under python3 (<= 2x). `pyrace run` also rewrites the driver for race detection;
#     the run_deadlocks row leaves that out, so it shows what the C bridge itself costs.
# CPU time (user+sys, the tool and the program) and wall time, median of RUNS (default 5).
#   usage: plugin_overhead.sh PLUGIN WORK_DIR [RUNS] [PYTHON] [PYRACE]
set -euo pipefail
PLUGIN=${1:?usage: plugin_overhead.sh PLUGIN WORK_DIR [RUNS] [PYTHON] [PYRACE]}
WORK=${2:?}
RUNS=${3:-5}
PY=${4:-python3}
PYRACE=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)
CLANG=$(command -v clang-14 || command -v clang)
INC=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
SUFFIX=$("$PY" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
mkdir -p "$WORK/plain" "$WORK/instrumented"
"$CLANG" -g -O2 -fPIC -shared -I"$INC" "$HERE/callheavy.c" -o "$WORK/plain/callheavy$SUFFIX"
"$CLANG" -g -O2 -fPIC -shared -fpass-plugin="$PLUGIN" -I"$INC" "$HERE/callheavy.c" \
  -o "$WORK/instrumented/callheavy$SUFFIX"
cat > "$WORK/driver.py" <<'PY'
import callheavy
f = callheavy.churn
for i in range(1000000): f(i)
PY
measure() {  # dir command... -> "cpu wall" in seconds
  local dir=$1 out
  shift
  out=$( { TIMEFORMAT='%U %S %R'; time PYTHONPATH="$dir" "$@" > /dev/null 2>&1; } 2>&1 | tail -n 1)
  awk '{printf "%.3f %.3f\n", $1 + $2, $3}' <<< "$out"
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
declare -A cpu wall
rows=(plain instrumented)
[ -n "$PYRACE" ] && rows+=(run run_deadlocks)
for ((i = 0; i < RUNS; i++)); do
  for row in "${rows[@]}"; do
    case $row in
      plain) m=$(measure "$WORK/plain" "$PY" "$WORK/driver.py") ;;
      instrumented) m=$(measure "$WORK/instrumented" "$PY" "$WORK/driver.py") ;;
      run) m=$(measure "$WORK/instrumented" "$PYRACE" run --python "$PY" "$WORK/driver.py") ;;
      run_deadlocks) m=$(measure "$WORK/instrumented" "$PYRACE" run --detect deadlocks --python "$PY" "$WORK/driver.py") ;;
    esac
    cpu[$row]+="${m% *} "
    wall[$row]+="${m#* } "
  done
done
med() { tr ' ' '\n' <<< "$1" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "1,000,000 calls of callheavy.churn, medians of $RUNS (cpu = user+sys)"
for row in "${rows[@]}"; do
  printf '%-14s cpu %6.3fs  wall %6.3fs   (cpu: %s)\n' "$row" "$(med "${cpu[$row]}")" "$(med "${wall[$row]}")" "${cpu[$row]}"
done
base_cpu=$(med "${cpu[plain]}"); base_wall=$(med "${wall[plain]}")
echo "instrumented / plain, both under python3: cpu $(ratio "$(med "${cpu[instrumented]}")" "$base_cpu")x  bar: <= 1.3x"
for row in "${rows[@]:2}"; do
  echo "$row / plain uninstrumented: cpu $(ratio "$(med "${cpu[$row]}")" "$base_cpu")x" \
       " wall $(ratio "$(med "${wall[$row]}")" "$base_wall")x  bar: <= 2x"
done
