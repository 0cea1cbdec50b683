#include "runtime/python/fd_handoff.h"

#include <unordered_map>

#include "runtime/python/holders.h"
#include "runtime/python/import_hook.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stand_in.h"

namespace pyrace::py {
namespace {

// Both ends of one pipe or socket pair name its channel. An end closed with os.close
// leaves the table; one closed another way (a file object's close) stays until its
// number is reused by a new pipe or pair, which replaces it.
std::unordered_map<long, uint64_t> g_channel_of_fd;

PyObject* g_os_pipe = nullptr;
PyObject* g_os_write = nullptr;
PyObject* g_os_read = nullptr;
PyObject* g_os_close = nullptr;
PyObject* g_socketpair = nullptr;
PyObject* g_sock_send = nullptr;
PyObject* g_sock_sendall = nullptr;
PyObject* g_sock_recv = nullptr;
PyObject* g_sock_recv_into = nullptr;

uint64_t ChannelOf(long fd) {
  auto it = g_channel_of_fd.find(fd);
  return it == g_channel_of_fd.end() ? 0 : it->second;
}

long FdArg(PyObject* o) {
  long fd = PyLong_Check(o) ? PyLong_AsLong(o) : -1;
  if (fd == -1 && PyErr_Occurred()) PyErr_Clear();
  return fd;
}

long SocketFd(PyObject* sock) {
  if (g_channel_of_fd.empty()) return -1;
  PyObject* r = PyObject_CallMethod(sock, "fileno", nullptr);
  if (r == nullptr) {
    PyErr_Clear();
    return -1;
  }
  long fd = FdArg(r);
  Py_DECREF(r);
  return fd;
}

void Pair(long a, long b) {
  if (a < 0 || b < 0) return;
  uint64_t channel = Recorder::Get().NextSyncId();
  g_channel_of_fd[a] = channel;
  g_channel_of_fd[b] = channel;
}

void Emit(EventKind kind, uint64_t channel) {
  if (channel != 0) Recorder::Get().Emit(kind, channel, 0, 0, CallSiteStack());
}

PyObject* Forward(PyObject* orig, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return PyObject_Vectorcall(orig, args, static_cast<size_t>(nargs), kwnames);
}

// os.pipe() -> (r, w)
PyObject* OsPipe(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* r = Forward(g_os_pipe, args, nargs, kwnames);
  if (r != nullptr && PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 2) {
    Pair(FdArg(PyTuple_GET_ITEM(r, 0)), FdArg(PyTuple_GET_ITEM(r, 1)));
  }
  return r;
}

// os.write(fd, data): the send comes first, so the reader that gets the bytes is after it.
PyObject* OsWrite(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  if (nargs >= 1 && !g_channel_of_fd.empty()) Emit(EventKind::kHandoffSend, ChannelOf(FdArg(args[0])));
  return Forward(g_os_write, args, nargs, kwnames);
}

// os.read(fd, n): received once the bytes are there.
PyObject* OsRead(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* r = Forward(g_os_read, args, nargs, kwnames);
  if (r != nullptr && nargs >= 1 && !g_channel_of_fd.empty()) {
    Emit(EventKind::kHandoffRecv, ChannelOf(FdArg(args[0])));
  }
  return r;
}

PyObject* OsClose(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  if (nargs >= 1 && !g_channel_of_fd.empty()) g_channel_of_fd.erase(FdArg(args[0]));
  return Forward(g_os_close, args, nargs, kwnames);
}

PyObject* SocketPair(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* r = Forward(g_socketpair, args, nargs, kwnames);
  if (r != nullptr && PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 2) {
    PyObject* a = PyTuple_GET_ITEM(r, 0);
    PyObject* b = PyTuple_GET_ITEM(r, 1);
    // Registered one after the other: SocketFd asks nothing while the table is empty.
    long fa = -1, fb = -1;
    PyObject* ra = PyObject_CallMethod(a, "fileno", nullptr);
    PyObject* rb = ra != nullptr ? PyObject_CallMethod(b, "fileno", nullptr) : nullptr;
    if (ra != nullptr && rb != nullptr) {
      fa = FdArg(ra);
      fb = FdArg(rb);
    } else {
      PyErr_Clear();
    }
    Py_XDECREF(ra);
    Py_XDECREF(rb);
    Pair(fa, fb);
  }
  return r;
}

// socket.socket methods: self first, as the method descriptors of _socket.socket want.
PyObject* SockSendVia(PyObject* orig, PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                      PyObject* kwnames, bool send) {
  Py_ssize_t nkw = kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0;
  PyObject* small[8];
  if (nargs + nkw + 1 > 8) {
    PyErr_SetString(PyExc_TypeError, "too many arguments");
    return nullptr;
  }
  small[0] = self;
  for (Py_ssize_t i = 0; i < nargs + nkw; ++i) small[i + 1] = args[i];
  long fd = SocketFd(self);
  uint64_t channel = fd >= 0 ? ChannelOf(fd) : 0;
  if (send) Emit(EventKind::kHandoffSend, channel);
  PyObject* r = PyObject_Vectorcall(orig, small, static_cast<size_t>(nargs + 1), kwnames);
  if (!send && r != nullptr) Emit(EventKind::kHandoffRecv, channel);
  return r;
}

PyObject* SockSend(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return SockSendVia(g_sock_send, self, a, n, kw, true);
}
PyObject* SockSendall(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return SockSendVia(g_sock_sendall, self, a, n, kw, true);
}
PyObject* SockRecv(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return SockSendVia(g_sock_recv, self, a, n, kw, false);
}
PyObject* SockRecvInto(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return SockSendVia(g_sock_recv_into, self, a, n, kw, false);
}

#define FASTCALL_KW(f) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(f))
PyMethodDef g_pipe_def = {"pipe", FASTCALL_KW(OsPipe), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_write_def = {"write", FASTCALL_KW(OsWrite), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_read_def = {"read", FASTCALL_KW(OsRead), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_close_def = {"close", FASTCALL_KW(OsClose), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_socketpair_def = {"socketpair", FASTCALL_KW(SocketPair), METH_FASTCALL | METH_KEYWORDS,
                                nullptr};
PyMethodDef g_send_def = {"send", FASTCALL_KW(SockSend), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_sendall_def = {"sendall", FASTCALL_KW(SockSendall), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_recv_def = {"recv", FASTCALL_KW(SockRecv), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_recv_into_def = {"recv_into", FASTCALL_KW(SockRecvInto), METH_FASTCALL | METH_KEYWORDS,
                               nullptr};
#undef FASTCALL_KW

// module.name = a function of def, the original kept in *orig (and in originals).
bool WrapFunction(PyObject* module, PyMethodDef* def, PyObject** orig, PyObject* originals,
                  const char* key) {
  PyObject* old = PyObject_GetAttrString(module, def->ml_name);
  if (old == nullptr) {
    PyErr_Clear();
    return true;  // not on this platform
  }
  if (*orig == nullptr) *orig = old;  // kept for the process
  else Py_DECREF(old);
  if (originals != nullptr && PyDict_GetItemString(originals, key) == nullptr &&
      PyDict_SetItemString(originals, key, *orig) < 0) {
    return false;
  }
  PyObject* self = PyCFunction_Check(*orig) ? PyCFunction_GET_SELF(*orig) : module;
  PyObject* fn = NewStandIn(*def, self != nullptr ? self : module, nullptr, *orig);
  if (fn == nullptr || !TakeOverOsIdentity(*orig, fn)) {
    Py_XDECREF(fn);
    return false;
  }
  int rc = PyObject_SetAttrString(module, def->ml_name, fn);
  Py_DECREF(fn);
  return rc == 0;
}

// cls.name = a method of def; the original is the base's (C) method.
bool WrapMethod(PyObject* cls, PyMethodDef* def, PyObject** orig) {
  PyObject* old = PyObject_GetAttrString(cls, def->ml_name);
  if (old == nullptr) {
    PyErr_Clear();
    return true;
  }
  *orig = old;  // kept for the process
  def->ml_doc = BuiltinDoc(old);
  PyObject* descr = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls), def);
  if (descr == nullptr) return false;
  int rc = PyObject_SetAttrString(cls, def->ml_name, descr);
  Py_DECREF(descr);
  return rc == 0;
}

PyObject* g_originals = nullptr;  // _pyrace._originals, kept for the process

PyObject* InstallSocketHandoffs(PyObject* /*self*/, PyObject* /*unused*/) {
  if (g_socketpair != nullptr) Py_RETURN_NONE;
  PyObject* modules = PyImport_GetModuleDict();  // borrowed
  PyObject* socket = PyDict_GetItemString(modules, "socket");  // borrowed: just imported
  if (socket == nullptr) {
    return PyErr_Format(PyExc_RuntimeError, "pyrace: socket is not in sys.modules after its import");
  }
  // A module of the program's own named socket has nothing to wrap.
  PyObject* cls = PyObject_GetAttrString(socket, "socket");
  if (cls == nullptr || !PyType_Check(cls)) {
    PyErr_Clear();
    Py_XDECREF(cls);
    Py_RETURN_NONE;
  }
  bool ok = WrapFunction(socket, &g_socketpair_def, &g_socketpair, g_originals, "socket.socketpair") &&
            WrapMethod(cls, &g_send_def, &g_sock_send) && WrapMethod(cls, &g_sendall_def, &g_sock_sendall) &&
            WrapMethod(cls, &g_recv_def, &g_sock_recv) && WrapMethod(cls, &g_recv_into_def, &g_sock_recv_into);
  Py_DECREF(cls);
  if (!ok) return nullptr;
  Py_RETURN_NONE;
}

PyMethodDef g_install_socket_def = {"_install_socket_handoffs", InstallSocketHandoffs, METH_NOARGS, nullptr};

}  // namespace

bool InstallFdHandoffs(PyObject* originals) {
  if (g_os_pipe != nullptr) return true;
  bool ok = true;
  for (const char* mod_name : {"posix", "os"}) {
    PyObject* mod = PyImport_ImportModule(mod_name);
    if (mod == nullptr) {
      PyErr_Clear();
      continue;  // no posix module on this platform
    }
    ok = ok && WrapFunction(mod, &g_pipe_def, &g_os_pipe, originals, "os.pipe") &&
         WrapFunction(mod, &g_write_def, &g_os_write, originals, "os.write") &&
         WrapFunction(mod, &g_read_def, &g_os_read, originals, "os.read") &&
         WrapFunction(mod, &g_close_def, &g_os_close, originals, "os.close");
    Py_DECREF(mod);
  }
  if (!ok) return false;
  g_originals = Py_NewRef(originals);
  // socket is wrapped when the program imports it: importing it here would put socket,
  // selectors, select and array into every program's sys.modules.
  return WhenImported("socket", &g_install_socket_def);
}

}  // namespace pyrace::py
