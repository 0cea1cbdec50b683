// Code that leaves the process or the interpreter leaves as the plain program compiled
// it. Rewritten code holds its access hooks as constants (access_hooks.h), which
// marshal cannot write and another interpreter could not call: `marshal.dumps(f.__code__)`
// would raise ValueError, and _interpreters.exec, run_func and call (3.13+), which
// marshal a function's code for the interpreter they run it in, would fail where the
// plain program runs. So marshal.dump and dumps and those three are stand-ins
// (stand_in.h) that hand the original the plain twin of each rewritten code object
// (import_hook.h, PlainCode). What runs elsewhere is then unrecorded, as all code of
// another interpreter is.
#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {

// Replaces marshal.dump and marshal.dumps now, and _interpreters' functions when the
// program imports it. Race mode only. false = exception set.
bool InstallCodeExport();

}  // namespace pyrace::py
