// `pyrace lint [options] PATH...`: static checks of Python and C/C++ extension sources. Returns the exit code: 0 clean, 1 findings, 2 usage or
// input error. The pyrace tool dispatches `pyrace lint ...` here with argv[0] = "lint".
// The process is to exit with that code: what the run built is left for the exit to free.
#pragma once

namespace pyrace {

int LintMain(int argc, char** argv);

}  // namespace pyrace
