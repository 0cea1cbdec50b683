#!/usr/bin/env bash
# unit.clang.llvm_plugin: builds testdata/cext extensions with Debian's clang 14 and the
# pass plugin, then checks them under a plain interpreter and with a recording runtime.
#   usage: [OPT=-O2] llvm_plugin_test.sh PLUGIN WORK_DIR [PYTHON]   (default -O1)
set -euo pipefail
PLUGIN=${1:?usage: llvm_plugin_test.sh PLUGIN WORK_DIR [PYTHON]}
WORK=${2:?}
PY=${3:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CLANG=$(command -v clang-14 || command -v clang)
INC=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
SUFFIX=$("$PY" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
mkdir -p "$WORK"
for name in decref_nogil_bug decref_nogil_ok gil_mutex_order_bug gil_mutex_order_ok annotated_lock_ok; do
  "$CLANG" -g ${OPT:--O1} -fPIC -shared -w -fpass-plugin="$PLUGIN" -I"$INC" \
    "$REPO/testdata/cext/$name.c" -o "$WORK/$name$SUFFIX"
done
"$CLANG" -O1 -fPIC -shared -w -I"$INC" -I"$REPO" "$HERE/capi_recorder.c" -o "$WORK/capi_recorder$SUFFIX"
"$PY" "$HERE/llvm_plugin_test.py" "$WORK" plain
"$PY" "$HERE/llvm_plugin_test.py" "$WORK" recorded
