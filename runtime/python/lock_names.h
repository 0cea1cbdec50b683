// The name a new lock is kept under in the program, read from the bytecode of the
// code that creates it: the store right after the creating call says where the lock
// goes. `self._pool_lock = Lock()` in PooledDatabase.__init__ is
// "PooledDatabase._pool_lock", `LOCK = Lock()` in module downloader is
// "downloader.LOCK", `lock = Lock()` in a class body is "Account.lock". A lock the
// program only keeps in a local, a container or a call argument has no name (reports
// then say where it was created).
#pragma once

#include "runtime/python/py_compat.h"

#include <string_view>

#include "runtime/model/event.h"

namespace pyrace::py {

class Recorder;

// The calling thread is inside the creation of lock `id`: defines its name in the
// trace when the store after the creating call gives one. Frames of the standard library's synchronization machinery
// (a Condition's or a Queue's own lock) are skipped, so those locks take the name of
// the Condition or Queue the program keeps; a function that returns the new lock
// passes it on to its caller's store.
void NameNewLock(Recorder& rec, LockId id);

// A store the race-mode rewriter turned into a hook call (`self.x = Lock()` becomes
// sa(Lock(), self, site)), so the bytecode after the creating call is no store: the
// hook names the lock when it stores it, if it has no name yet. owner is how the
// object reads in the source ("PooledDatabase" for self in its method, "obj").
void NameStoredLock(PyObject* value, std::string_view owner, PyObject* attr);

}  // namespace pyrace::py
