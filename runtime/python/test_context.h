// Under `pyrace run -m pytest`: the test each recorded stack belongs to. pytest sets
// PYTEST_CURRENT_TEST ("tests/test_a.py::test_x (call)") around each test's setup,
// call and teardown in the thread that runs tests; a thread a test starts belongs to
// that test for its whole life (ThreadRec::test), even when it outlives the test.
#pragma once

#include "runtime/model/event.h"

namespace pyrace::py {

class Recorder;
struct ThreadRec;

// The calling thread's test as an interned string, or 0 (not pytest, no test running,
// a thread started outside any test).
StrId CurrentTest(Recorder& rec);
// The same for thread t (null: none).
StrId TestOf(Recorder& rec, const ThreadRec* t);

}  // namespace pyrace::py
