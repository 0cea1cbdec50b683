#!/usr/bin/env bash
# Times `pyrace lint` over the default interpreter's whole standard library (lib/python3.X
# without site-packages, test/ included; C sources excluded) and reports the median wall
# time, user time and peak RSS of N runs, with -j2 (the default) and -j1, each beside the
# parse-only time (`--parse-only`: tree-sitter alone, the floor of any analysis), and
# with -j2 the facts cache (`--cache-dir`) cold (an empty cache each run: parse, extract
# and store) and warm (every file's facts read back). On a shared machine the wall times
# follow the load printed first; compare builds by CPU time or instruction counts instead
# (valgrind --tool=callgrind).
#   bench/lint/stdlib_bench.sh [LINT_BINARY] [RUNS]
set -euo pipefail
BIN=${1:-build/bin/pyrace-lint}
RUNS=${2:-5}
STDLIB=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
FILES=$(find "$STDLIB" -name '*.py' -not -path '*/site-packages/*' -not -path '*/__pycache__/*' | wc -l)
LINES=$(find "$STDLIB" -name '*.py' -not -path '*/site-packages/*' -not -path '*/__pycache__/*' -print0 | xargs -0 cat | wc -l)
echo "stdlib: $STDLIB ($FILES files, $LINES lines); load: $(cut -d' ' -f1-3 /proc/loadavg)"
CACHE=$(mktemp -d)
trap 'rm -rf "$CACHE"' EXIT
for jobs in 2 1; do
  modes=(analysis parse-only); [ "$jobs" = 2 ] && modes+=(cache-cold cache-warm)
  for mode in "${modes[@]}"; do
    extra=()
    case $mode in
      parse-only) extra=(--parse-only) ;;
      cache-*) extra=(--cache-dir "$CACHE/c") ;;
    esac
    walls=(); users=(); rss=()
    for _ in $(seq "$RUNS"); do
      [ "$mode" = cache-cold ] && rm -rf "$CACHE/c"  # warm runs follow with the last cold run's cache
      out=$( { /usr/bin/time -f '%e %U %S %M' "$BIN" "$STDLIB" --exclude '*.c' --exclude '*.cpp' -j "$jobs" "${extra[@]}" \
               --format json -o /dev/null; } 2>&1 >/dev/null | tail -1 || true)
      read -r w u sy m <<< "$out"
      walls+=("$w"); users+=("$(awk "BEGIN {print $u + $sy}")"); rss+=("$m")
    done
    med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    max_rss=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
    echo "-j$jobs $mode: median wall $(med "${walls[@]}") s, CPU (user+sys) $(med "${users[@]}") s over $RUNS runs" \
         "(walls: ${walls[*]}), peak RSS $((max_rss / 1024)) MiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
