#include "runtime/python/fd_handoff.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <string>
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
PyObject* g_sock_sendto = nullptr;
PyObject* g_sock_recvfrom = nullptr;
PyObject* g_sock_recvfrom_into = nullptr;
PyObject* g_sock_connect = nullptr;
PyObject* g_sock_connect_ex = nullptr;
PyObject* g_sock_accept = nullptr;
PyObject* g_ssl_write = nullptr;
PyObject* g_ssl_read = nullptr;

// Sockets of one process talking to each other (a server thread and a client thread)
// are named by their addresses, as the kernel pairs them: a connected stream by its two
// ends (local and peer, unordered, so both ends find it), datagrams by the address they
// are sent to (a receive joins every datagram sent to its socket's address before it,
// not only the one it got: hides races, never invents them). Addresses outlive a
// socket; a later connection between the same two addresses is the same channel.
std::unordered_map<std::string, uint64_t> g_channel_of_address;

uint64_t ChannelNamed(const std::string& key) {
  auto [it, inserted] = g_channel_of_address.try_emplace(key, 0);
  if (inserted) it->second = Recorder::Get().NextSyncId();
  return it->second;
}

// An address as a key: the family, the IP and the port (with_ip false: the port only,
// for datagrams, whose receiver is often bound to every interface), or a Unix path.
bool AddressText(const sockaddr_storage& ss, socklen_t len, bool with_ip, std::string* out) {
  const char* raw = reinterpret_cast<const char*>(&ss);
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    *out = "4:" + std::to_string(ntohs(in.sin_port));
    if (with_ip) out->append(reinterpret_cast<const char*>(&in.sin_addr), sizeof in.sin_addr);
    return true;
  }
  if (ss.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    *out = "6:" + std::to_string(ntohs(in6.sin6_port));
    if (with_ip) out->append(reinterpret_cast<const char*>(&in6.sin6_addr), sizeof in6.sin6_addr);
    return true;
  }
  if (ss.ss_family == AF_UNIX) {
    size_t off = offsetof(sockaddr_un, sun_path);
    *out = "u:";
    if (len > off) out->append(raw + off, len - off);
    while (out->size() > 2 && out->back() == '\0') out->pop_back();  // a path's NUL, if counted
    return true;
  }
  return false;
}

bool LocalAddress(int fd, bool with_ip, std::string* out) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  return getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && AddressText(ss, len, with_ip, out);
}

bool PeerAddress(int fd, bool with_ip, std::string* out) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  return getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && AddressText(ss, len, with_ip, out);
}

// The port (or path) of a Python address argument of sendto: (host, port[, ...]) or a
// Unix path. The host is not resolved: datagram channels go by port.
bool PythonAddressText(PyObject* addr, int family, std::string* out) {
  if (PyTuple_Check(addr) && PyTuple_GET_SIZE(addr) >= 2 && PyLong_Check(PyTuple_GET_ITEM(addr, 1))) {
    long port = PyLong_AsLong(PyTuple_GET_ITEM(addr, 1));
    if (port == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      return false;
    }
    if (family != AF_INET && family != AF_INET6) return false;
    *out = std::string(family == AF_INET ? "4:" : "6:") + std::to_string(port);
    return true;
  }
  if (family != AF_UNIX) return false;
  Py_buffer view;
  PyObject* bytes = PyUnicode_Check(addr) ? PyUnicode_EncodeFSDefault(addr) : Py_NewRef(addr);
  if (bytes == nullptr || PyObject_GetBuffer(bytes, &view, PyBUF_SIMPLE) < 0) {
    PyErr_Clear();
    Py_XDECREF(bytes);
    return false;
  }
  *out = "u:" + std::string(static_cast<const char*>(view.buf), static_cast<size_t>(view.len));
  while (out->size() > 2 && out->back() == '\0') out->pop_back();
  PyBuffer_Release(&view);
  Py_DECREF(bytes);
  return true;
}

int SocketOption(int fd, int option) {
  int value = 0;
  socklen_t len = sizeof value;
  return getsockopt(fd, SOL_SOCKET, option, &value, &len) == 0 ? value : -1;
}

// The channel of a send (to: sendto's address argument, or null) or a receive on a
// socket of this process that is not one of a socketpair: 0 when there is none.
uint64_t ChannelOf(long fd);

uint64_t AddressChannel(int fd, bool send, PyObject* to) {
  int type = SocketOption(fd, SO_TYPE);
  std::string local, peer;
  // Only a socketpair's ends (Unix, both unnamed) go by the descriptor table: an entry
  // of a pair closed with socket.close() stays there, and a TCP socket that reuses its
  // number must not take its channel.
  if (SocketOption(fd, SO_DOMAIN) == AF_UNIX && LocalAddress(fd, false, &local) && local == "u:" &&
      PeerAddress(fd, false, &peer) && peer == "u:") {
    return ChannelOf(fd);
  }
  if (type == SOCK_STREAM) {
    if (!LocalAddress(fd, true, &local) || !PeerAddress(fd, true, &peer)) return 0;
    if (peer < local) std::swap(local, peer);
    return ChannelNamed("s" + local + '\x1f' + peer);
  }
  if (type != SOCK_DGRAM) return 0;
  if (!send) return LocalAddress(fd, false, &local) ? ChannelNamed("d" + local) : 0;
  if (to == nullptr) return PeerAddress(fd, false, &peer) ? ChannelNamed("d" + peer) : 0;
  int family = SocketOption(fd, SO_DOMAIN);
  return PythonAddressText(to, family, &peer) ? ChannelNamed("d" + peer) : 0;
}

// A stream connection's start: connect() to an address -> the accept() of the socket
// listening there, named by that address (the port, or the Unix path: a listener bound
// to every interface is reached through any of them). An accept joins every connect to
// its address before it, not only its own connection's: hides races, never invents them.
uint64_t ConnectChannel(int fd, PyObject* to) {
  if (SocketOption(fd, SO_TYPE) != SOCK_STREAM) return 0;
  std::string address;
  if (to != nullptr) {
    if (!PythonAddressText(to, SocketOption(fd, SO_DOMAIN), &address)) return 0;
  } else if (!LocalAddress(fd, false, &address)) {
    return 0;
  }
  return ChannelNamed("c" + address);
}

uint64_t ChannelOf(long fd) {
  auto it = g_channel_of_fd.find(fd);
  return it == g_channel_of_fd.end() ? 0 : it->second;
}

long FdArg(PyObject* o) {
  long fd = PyLong_Check(o) ? PyLong_AsLong(o) : -1;
  if (fd == -1 && PyErr_Occurred()) PyErr_Clear();
  return fd;
}

PyObject* g_sock_fileno = nullptr;  // _socket.socket's own, never a subclass's override

long SocketFd(PyObject* sock) {
  if (g_sock_fileno == nullptr) return -1;
  PyObject* r = PyObject_CallOneArg(g_sock_fileno, sock);
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
    fa = SocketFd(a);
    fb = fa >= 0 ? SocketFd(b) : -1;
    Pair(fa, fb);
  }
  return r;
}

// A wrapped method's call of the original, with the channel's hand-off around it: the
// send before the write, the receive after a read that returned.
PyObject* CallAroundHandoff(PyObject* orig, PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                            PyObject* kwnames, bool send, uint64_t channel) {
  if (send) Emit(EventKind::kHandoffSend, channel);
  PyObject* r = CallWithSelf(orig, self, args, nargs, kwnames);
  if (!send && r != nullptr) Emit(EventKind::kHandoffRecv, channel);
  return r;
}

// socket.socket methods: self first, as the method descriptors of _socket.socket want.
// A socketpair's end has its pair's channel; another socket its addresses' (above).
PyObject* SockSendVia(PyObject* orig, PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                      PyObject* kwnames, bool send, bool to = false) {
  long fd = Recorder::Get().recording() ? SocketFd(self) : -1;
  // sendto(data[, flags], address): the address comes last.
  uint64_t channel =
      fd >= 0 ? AddressChannel(static_cast<int>(fd), send, to && nargs >= 2 ? args[nargs - 1] : nullptr) : 0;
  return CallAroundHandoff(orig, self, args, nargs, kwnames, send, channel);
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
PyObject* SockSendto(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return SockSendVia(g_sock_sendto, self, a, n, kw, true, true);
}
PyObject* SockRecvfrom(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return SockSendVia(g_sock_recvfrom, self, a, n, kw, false);
}
PyObject* SockRecvfromInto(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return SockSendVia(g_sock_recvfrom_into, self, a, n, kw, false);
}

// connect(address), connect_ex(address): the hand-off before the connection exists;
// _accept() (socket.accept's C half): the receive once it has one.
PyObject* SockConnectVia(PyObject* orig, PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                         PyObject* kwnames) {
  long fd = Recorder::Get().recording() && nargs >= 1 ? SocketFd(self) : -1;
  uint64_t channel = fd >= 0 ? ConnectChannel(static_cast<int>(fd), args[0]) : 0;
  return CallAroundHandoff(orig, self, args, nargs, kwnames, true, channel);
}
PyObject* SockConnect(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return SockConnectVia(g_sock_connect, self, a, n, kw);
}
PyObject* SockConnectEx(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return SockConnectVia(g_sock_connect_ex, self, a, n, kw);
}
PyObject* SockAccept(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  long fd = Recorder::Get().recording() ? SocketFd(self) : -1;
  uint64_t channel = fd >= 0 ? ConnectChannel(static_cast<int>(fd), nullptr) : 0;
  return CallAroundHandoff(g_sock_accept, self, a, n, kw, false, channel);
}

// An ssl socket's records go over its TCP connection: _ssl._SSLSocket's write and read,
// where SSLSocket's send, sendall, recv, recv_into, read and write all end, take the
// connection's channel (its two addresses, as a plain stream's). An SSLObject over
// memory BIOs (asyncio's transports) owns no socket and has no channel: the bytes its
// transport moves are the socket's own sends and receives.
uint64_t SslChannel(PyObject* sslobj) {
  if (!Recorder::Get().recording()) return 0;
  PyObject* owner = PyObject_GetAttrString(sslobj, "owner");  // a getter: no program code
  if (owner == nullptr) {
    PyErr_Clear();
    return 0;
  }
  long fd = owner != Py_None ? SocketFd(owner) : -1;
  Py_DECREF(owner);
  return fd >= 0 ? AddressChannel(static_cast<int>(fd), true, nullptr) : 0;
}
PyObject* SslWrite(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return CallAroundHandoff(g_ssl_write, self, a, n, kw, true, SslChannel(self));
}
PyObject* SslRead(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return CallAroundHandoff(g_ssl_read, self, a, n, kw, false, SslChannel(self));
}

PyMethodDef g_pipe_def = {"pipe", AsPyCFunction(OsPipe), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_write_def = {"write", AsPyCFunction(OsWrite), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_read_def = {"read", AsPyCFunction(OsRead), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_close_def = {"close", AsPyCFunction(OsClose), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_socketpair_def = {"socketpair", AsPyCFunction(SocketPair), METH_FASTCALL | METH_KEYWORDS,
                                nullptr};
PyMethodDef g_send_def = {"send", AsPyCFunction(SockSend), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_sendall_def = {"sendall", AsPyCFunction(SockSendall), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_recv_def = {"recv", AsPyCFunction(SockRecv), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_recv_into_def = {"recv_into", AsPyCFunction(SockRecvInto), METH_FASTCALL | METH_KEYWORDS,
                               nullptr};
PyMethodDef g_sendto_def = {"sendto", AsPyCFunction(SockSendto), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_recvfrom_def = {"recvfrom", AsPyCFunction(SockRecvfrom), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_connect_def = {"connect", AsPyCFunction(SockConnect), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_connect_ex_def = {"connect_ex", AsPyCFunction(SockConnectEx), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_ssl_write_def = {"write", AsPyCFunction(SslWrite), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_ssl_read_def = {"read", AsPyCFunction(SslRead), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_accept_def = {"_accept", AsPyCFunction(SockAccept), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_recvfrom_into_def = {"recvfrom_into", AsPyCFunction(SockRecvfromInto), METH_FASTCALL | METH_KEYWORDS,
                                   nullptr};


// cls.<def's name> = a method descriptor standing in for cls's own C method (self the
// instance, as for the original), the original kept in *keep.
bool CMethod(PyObject* cls, const PyMethodDef& def, PyObject** keep) {
  return ReplaceWithStandIn(def, {.owner = cls, .keep = keep, .descriptor = true});
}

// io.FileIO: a pipe end wrapped in a file object (os.fdopen(w, "wb"), open(r, "rb"))
// writes and reads in C, through the raw FileIO's write and readinto (the buffered and
// text layers call them by name), never through os.write / os.read.
PyObject* g_fileio_write = nullptr;
PyObject* g_fileio_readinto = nullptr;
PyObject* g_fileio_read = nullptr;
PyObject* g_fileio_readall = nullptr;
PyObject* g_fileio_close = nullptr;
PyObject* g_fileio_fileno = nullptr;  // FileIO's own, never a subclass's override
PyObject* g_fileio_closefd = nullptr;  // FileIO's getter, the same

// A FileIO's method: the hand-off of the pipe its descriptor is an end of, if any.
PyObject* FileIoVia(PyObject* orig, PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                    bool send) {
  uint64_t channel = 0;
  if (!g_channel_of_fd.empty() && g_fileio_fileno != nullptr) {
    PyObject* n = PyObject_CallOneArg(g_fileio_fileno, self);  // raises once closed
    long fd = n != nullptr ? FdArg(n) : -1;
    if (n == nullptr) PyErr_Clear();
    Py_XDECREF(n);
    channel = fd >= 0 ? ChannelOf(fd) : 0;
  }
  return CallAroundHandoff(orig, self, args, nargs, kwnames, send, channel);
}

PyObject* FileIoWrite(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return FileIoVia(g_fileio_write, self, a, n, kw, true);
}
PyObject* FileIoReadinto(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return FileIoVia(g_fileio_readinto, self, a, n, kw, false);
}
PyObject* FileIoRead(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return FileIoVia(g_fileio_read, self, a, n, kw, false);
}
PyObject* FileIoReadall(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  return FileIoVia(g_fileio_readall, self, a, n, kw, false);
}
// A file object that closes its descriptor (closefd, the default) ends the pipe end's
// entry as os.close does: the number's next owner (a file, another pipe) is not that
// pipe. Also on the object's finalization, which calls close().
PyObject* FileIoClose(PyObject* self, PyObject* const* a, Py_ssize_t n, PyObject* kw) {
  long fd = -1;
  if (!g_channel_of_fd.empty() && g_fileio_fileno != nullptr) {
    descrgetfunc get = g_fileio_closefd != nullptr ? Py_TYPE(g_fileio_closefd)->tp_descr_get : nullptr;
    PyObject* closefd = get != nullptr ? get(g_fileio_closefd, self, nullptr) : nullptr;
    PyObject* num = closefd == Py_True ? PyObject_CallOneArg(g_fileio_fileno, self) : nullptr;  // raises once closed
    fd = num != nullptr ? FdArg(num) : -1;
    Py_XDECREF(num);
    Py_XDECREF(closefd);
    if (fd < 0) PyErr_Clear();
  }
  PyObject* r = CallWithSelf(g_fileio_close, self, a, n, kw);
  if (r != nullptr && fd >= 0) g_channel_of_fd.erase(fd);
  return r;
}

PyMethodDef g_fileio_write_def = {"write", AsPyCFunction(FileIoWrite), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_fileio_readinto_def = {"readinto", AsPyCFunction(FileIoReadinto), METH_FASTCALL | METH_KEYWORDS,
                                     nullptr};
PyMethodDef g_fileio_read_def = {"read", AsPyCFunction(FileIoRead), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_fileio_readall_def = {"readall", AsPyCFunction(FileIoReadall), METH_FASTCALL | METH_KEYWORDS, nullptr};
PyMethodDef g_fileio_close_def = {"close", AsPyCFunction(FileIoClose), METH_FASTCALL | METH_KEYWORDS, nullptr};


bool InstallFileIoHandoffs() {
  PyObject* io = PyImport_ImportModule("_io");  // imported at start-up by every interpreter
  if (io == nullptr) return false;
  PyObject* cls = PyObject_GetAttrString(io, "FileIO");
  Py_DECREF(io);
  if (cls == nullptr) return false;
  if (PyType_Check(cls)) {
    PyObject* dict = reinterpret_cast<PyTypeObject*>(cls)->tp_dict;
    PyObject* fileno = dict != nullptr ? PyDict_GetItemString(dict, "fileno") : nullptr;  // borrowed
    if (fileno != nullptr && g_fileio_fileno == nullptr) g_fileio_fileno = Py_NewRef(fileno);
    PyObject* closefd = dict != nullptr ? PyDict_GetItemString(dict, "closefd") : nullptr;  // borrowed
    if (closefd != nullptr && g_fileio_closefd == nullptr) g_fileio_closefd = Py_NewRef(closefd);
  }
  bool ok = !PyType_Check(cls) ||
            (CMethod(cls, g_fileio_write_def, &g_fileio_write) &&
             CMethod(cls, g_fileio_readinto_def, &g_fileio_readinto) &&
             CMethod(cls, g_fileio_read_def, &g_fileio_read) &&
             CMethod(cls, g_fileio_readall_def, &g_fileio_readall) &&
             CMethod(cls, g_fileio_close_def, &g_fileio_close));
  Py_DECREF(cls);
  return ok;
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
  // socket.socket's fileno is _socket.socket's, found through its base: asking the
  // object would run a subclass's override the plain run never calls.
  PyTypeObject* raw = reinterpret_cast<PyTypeObject*>(cls)->tp_base;
  PyObject* fileno = raw != nullptr && raw->tp_dict != nullptr ? PyDict_GetItemString(raw->tp_dict, "fileno") : nullptr;
  if (fileno != nullptr && g_sock_fileno == nullptr) g_sock_fileno = Py_NewRef(fileno);
  bool ok = ReplaceWithStandIn(g_socketpair_def, {.owner = socket,
                                                  .keep = &g_socketpair,
                                                  .originals = g_originals,
                                                  .key = "socket.socketpair"}) &&
            CMethod(cls, g_send_def, &g_sock_send) &&
            CMethod(cls, g_sendall_def, &g_sock_sendall) &&
            CMethod(cls, g_recv_def, &g_sock_recv) &&
            CMethod(cls, g_recv_into_def, &g_sock_recv_into) &&
            CMethod(cls, g_sendto_def, &g_sock_sendto) &&
            CMethod(cls, g_recvfrom_def, &g_sock_recvfrom) &&
            CMethod(cls, g_recvfrom_into_def, &g_sock_recvfrom_into) &&
            CMethod(cls, g_connect_def, &g_sock_connect) &&
            CMethod(cls, g_connect_ex_def, &g_sock_connect_ex) &&
            CMethod(cls, g_accept_def, &g_sock_accept);
  Py_DECREF(cls);
  if (!ok) return nullptr;
  Py_RETURN_NONE;
}

PyMethodDef g_install_socket_def = {"_install_socket_handoffs", InstallSocketHandoffs, METH_NOARGS, nullptr};

PyObject* InstallSslHandoffs(PyObject* /*self*/, PyObject* /*unused*/) {
  if (g_ssl_write != nullptr) Py_RETURN_NONE;
  PyObject* modules = PyImport_GetModuleDict();                // borrowed
  PyObject* ssl = PyDict_GetItemString(modules, "_ssl");       // borrowed: just imported
  PyObject* cls = ssl != nullptr ? PyObject_GetAttrString(ssl, "_SSLSocket") : nullptr;
  if (cls == nullptr || !PyType_Check(cls)) {  // not the interpreter's own _ssl
    PyErr_Clear();
    Py_XDECREF(cls);
    Py_RETURN_NONE;
  }
  bool ok = CMethod(cls, g_ssl_write_def, &g_ssl_write) && CMethod(cls, g_ssl_read_def, &g_ssl_read);
  Py_DECREF(cls);
  if (!ok) return nullptr;
  Py_RETURN_NONE;
}

PyMethodDef g_install_ssl_def = {"_install_ssl_handoffs", InstallSslHandoffs, METH_NOARGS, nullptr};

}  // namespace

bool InstallFdHandoffs(PyObject* originals) {
  if (g_os_pipe != nullptr) return true;
  // posix.pipe and the rest get the same stand-ins.
  const bool ok = ReplaceInModule(
      "os", {{g_pipe_def, {.keep = &g_os_pipe, .originals = originals, .key = "os.pipe"}},
             {g_write_def, {.keep = &g_os_write, .originals = originals, .key = "os.write"}},
             {g_read_def, {.keep = &g_os_read, .originals = originals, .key = "os.read"}},
             {g_close_def, {.keep = &g_os_close, .originals = originals, .key = "os.close"}}});
  if (!ok || !InstallFileIoHandoffs()) return false;
  g_originals = Py_NewRef(originals);
  // socket and _ssl are wrapped when the program imports them: importing them here would
  // put socket, selectors, select and array (and OpenSSL) into every program's process.
  return WhenImported("socket", &g_install_socket_def) && WhenImported("_ssl", &g_install_ssl_def);
}

}  // namespace pyrace::py
