// Hand-offs through file descriptors between threads of one process: bytes written to
// an os.pipe() or socket.socketpair() end and read from the other are happens-before
// edges (write -> read), like a queue's put -> get.
#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {

// Wraps os.pipe, os.write, os.read, os.close (also in posix), socket.socketpair and
// the send/recv methods of socket.socket. Race mode only. false = exception set.
bool InstallFdHandoffs(PyObject* originals);

}  // namespace pyrace::py
