// `pyrace cflags`: the compiler flags that build a C extension with pyrace's LLVM pass
// plugin, for CFLAGS (`CFLAGS="$(pyrace cflags)" pip install -e .` with CC=clang-14).
#pragma once

namespace pyrace {

int CflagsMain(int argc, char** argv);

}  // namespace pyrace
