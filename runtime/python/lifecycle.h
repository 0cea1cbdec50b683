// How the process ends, and forks: the trace must survive every way out.
//   normal exit   atexit: stop the watchdog, end the main thread, final flush
//   os._exit      flush, then the real os._exit
//   fatal signal  (SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE) flush, then the previous
//                 handler / default action
//   fork          the child stops recording and closes its copy of the trace fd
//   SIGKILL       the watchdog's periodic flush bounds the loss to ~100 ms
#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {

bool InstallLifecycle(PyObject* module, PyObject* originals);

// Makes the process end by SIGINT after finalization, as python does for an
// uncaught KeyboardInterrupt.
void ExitBySigintAtEnd();

}  // namespace pyrace::py
