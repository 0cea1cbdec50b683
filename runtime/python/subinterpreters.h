// What _xxsubinterpreters tells the program about the main interpreter leaves the
// runtime's own threads out (runtime_thread.h): they have thread states there, which a
// plain run does not.
//
// 3.10's and 3.11's is_running(id) raise RuntimeError("interpreter has more than one
// thread") for an interpreter with several thread states, so is_running(main) failed
// in every program under pyrace. Its stand-in answers as they do for the program's
// thread states alone: running when the one thread state is executing a frame. 3.12
// and later count differently, and need nothing.
#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {

// Replaces _xxsubinterpreters.is_running when the program imports the module (3.10 and
// 3.11; nothing elsewhere). false = exception set.
bool InstallSubinterpreterStandIns();

}  // namespace pyrace::py
