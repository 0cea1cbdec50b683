#!/usr/bin/env bash
# Issue 6's bar under `pyrace run`: 1,000,000 calls of an extension function that
# creates and drops objects (callheavy.c). The instrumented module under `pyrace run`
# against the uninstrumented module under a plain python3 (bar: <= 2x), and against
# the instrumented module under a plain python3 (the runtime's own share).
# `pyrace run` also rewrites the driver for race detection; the `detect=deadlocks`
# rows leave that out, so they show what the capi bridge itself costs.
# CPU time (user+sys, the tool and the program) and wall time, median of RUNS (default 5).
#   usage: plugin_overhead_run.sh PYRACE PLUGIN WORK_DIR [RUNS] [PYTHON]
set -euo pipefail
PYRACE=${1:?usage: plugin_overhead_run.sh PYRACE PLUGIN WORK_DIR [RUNS] [PYTHON]}
PLUGIN=${2:?}
WORK=${3:?}
RUNS=${4:-5}
PY=${5:-python3}
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
rows=(plain instrumented run run_deadlocks)
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
echo "1,000,000 calls of callheavy.churn, medians of $RUNS (cpu = user+sys)"
for row in "${rows[@]}"; do
  printf '%-34s cpu %6.3fs  wall %6.3fs   (cpu: %s)\n' "$row" "$(med "${cpu[$row]}")" "$(med "${wall[$row]}")" "${cpu[$row]}"
done
base_cpu=$(med "${cpu[plain]}"); base_wall=$(med "${wall[plain]}")
inst_cpu=$(med "${cpu[instrumented]}")
for row in run run_deadlocks; do
  echo "$row / plain uninstrumented: cpu $(echo "scale=2; $(med "${cpu[$row]}") / $base_cpu" | bc)x" \
       " wall $(echo "scale=2; $(med "${wall[$row]}") / $base_wall" | bc)x" \
       " (vs instrumented under plain python3: cpu $(echo "scale=2; $(med "${cpu[$row]}") / $inst_cpu" | bc)x)  bar: <= 2x"
done
