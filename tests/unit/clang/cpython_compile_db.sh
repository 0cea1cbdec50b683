#!/usr/bin/env bash
# Writes DEST/compile_commands.json for CPython's Modules/ C files as CPython builds
# them: its Include/ and Include/internal, the installed interpreter's pyconfig.h,
# NDEBUG, and Py_BUILD_CORE_BUILTIN for the modules linked into the interpreter
# (Modules/Setup.bootstrap.in), Py_BUILD_CORE_MODULE for the others.
# Skips vendored libraries (expat, libmpdec, the blake2/sha3 reference code) and
# Windows/macOS-only files. Prints the list of files, one per line, to DEST/files.txt.
#   usage: cpython_compile_db.sh CPYTHON_SRC DEST [PYTHON]
set -euo pipefail
SRC=$(cd "${1:?usage: cpython_compile_db.sh SRC DEST [PYTHON]}" && pwd)
DEST=${2:?}
PY=${3:-python3}
mkdir -p "$DEST/pyconfig"
DEST=$(cd "$DEST" && pwd)
cp "$("$PY" -c 'import sysconfig; print(sysconfig.get_config_h_filename())')" "$DEST/pyconfig/"

builtin=" $(grep -v '^#' "$SRC/Modules/Setup.bootstrap.in" | tr ' ' '\n' | grep '\.c$' | tr '\n' ' ') "
(cd "$SRC" && find Modules -name '*.c' | LC_ALL=C sort |
  grep -v -E '/(expat|_decimal/libmpdec|_blake2/impl|_sha3/kcp|_ctypes/libffi_osx|_ctypes/darwin|_xxtestfuzz)/' |
  grep -v -E 'Modules/(_winapi|overlapped|_scproxy|getpath_noop)\.c$' |
  grep -v -E 'Modules/_ssl/') > "$DEST/files.txt"

{
  echo "["
  first=1
  while read -r f; do
    if [[ "$builtin" == *" ${f#Modules/} "* ]]; then
      core=-DPy_BUILD_CORE_BUILTIN
    else
      core=-DPy_BUILD_CORE_MODULE
    fi
    [ $first = 1 ] || echo ","
    first=0
    printf '{"directory": "%s", "file": "%s/%s", "arguments": ["cc", "-std=c11", "-DNDEBUG", "%s", "-I%s/Include", "-I%s/Include/internal", "-I%s/pyconfig", "-I%s/Modules", "-I%s/Modules/_decimal/libmpdec", "-I%s/Modules/expat", "-c", "%s/%s"]}' \
      "$SRC" "$SRC" "$f" "$core" "$SRC" "$SRC" "$DEST" "$SRC" "$SRC" "$SRC" "$SRC" "$f"
  done < "$DEST/files.txt"
  echo "]"
} > "$DEST/compile_commands.json"
sed -i "s|^|$SRC/|" "$DEST/files.txt"
