#include "runtime/python/child_follow.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "runtime/python/import_hook.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stand_in.h"

extern char** environ;

namespace pyrace::py {

namespace {

constexpr const char* kOptionsVar = "PYRACE_RUNTIME_OPTIONS";
// The program's own PYTHONPATH, which the tool's one (the runtime directory first)
// replaced: "+value", or "-" when it had none.
constexpr const char* kPathVar = "PYRACE_PYTHONPATH";
constexpr const char* kFollowVar = "PYRACE_FOLLOW";
constexpr const char* kOurVars[] = {kOptionsVar, kPathVar, kFollowVar};
// The first bytes of a spawn note on the trace socket (a trace starts with PYRACETR).
constexpr char kSpawnMagic[] = "PYRACESP";
constexpr int kHighFd = 1000;

struct State {
  bool follow = false;
  std::string options_env;                      // PYRACE_RUNTIME_OPTIONS as we got it
  std::optional<std::string> started_path;      // PYTHONPATH in the C environment at start
  std::optional<std::string> program_path;      // the program's own PYTHONPATH
  bool program_path_known = false;              // kPathVar was set
  std::string runtime_dir;
  std::string socket;
  // What each wrapped function was before it was wrapped (kept for the process).
  PyObject* fork_exec = nullptr;
  PyObject* posix_spawn = nullptr;
  PyObject* posix_spawnp = nullptr;
  PyObject* execve = nullptr;
  PyObject* execv = nullptr;
};
State g;

std::optional<std::string> GetEnv(const char* name) {
  const char* v = getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string KeyOf(const std::string& entry) { return entry.substr(0, entry.find('=')); }

bool IsOurs(const std::string& key) {
  if (key == "PYTHONPATH") return true;
  for (const char* v : kOurVars) {
    if (key == v) return true;
  }
  return false;
}

// A child's environment: `entries` ("KEY=VALUE") with the runtime's variables put
// back, PYTHONPATH as the program gave it behind the runtime directory.
std::vector<std::string> ChildEnv(const std::vector<std::string>& entries) {
  std::vector<std::string> out;
  std::optional<std::string> path;
  for (const std::string& e : entries) {
    const std::string key = KeyOf(e);
    if (key == "PYTHONPATH") path = e.size() > key.size() ? e.substr(key.size() + 1) : std::string();
    if (!IsOurs(key)) out.push_back(e);
  }
  // The C environment still holds the PYTHONPATH the tool set: the program's own is
  // the one it replaced. Any other value is one the program chose.
  std::optional<std::string> own = path;
  if (g.program_path_known && path && g.started_path && *path == *g.started_path) own = g.program_path;
  out.push_back("PYTHONPATH=" + g.runtime_dir + (own && !own->empty() ? ":" + *own : std::string()));
  out.push_back(std::string(kPathVar) + "=" + (own ? "+" + *own : std::string("-")));
  out.push_back(std::string(kOptionsVar) + "=" + g.options_env);
  out.push_back(std::string(kFollowVar) + "=1");
  return out;
}

std::vector<std::string> CEnviron() {
  std::vector<std::string> v;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) v.emplace_back(*e);
  return v;
}

// bytes, str or os.PathLike -> the file-system encoding's bytes.
bool FsBytes(PyObject* o, std::string* out) {
  PyObject* b = nullptr;
  if (PyUnicode_FSConverter(o, &b) == 0) return false;
  out->assign(PyBytes_AS_STRING(b), static_cast<size_t>(PyBytes_GET_SIZE(b)));
  Py_DECREF(b);
  return true;
}

PyObject* BytesList(const std::vector<std::string>& v) {
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(v.size()));
  if (list == nullptr) return nullptr;
  for (size_t i = 0; i < v.size(); ++i) {
    PyObject* b = PyBytes_FromStringAndSize(v[i].data(), static_cast<Py_ssize_t>(v[i].size()));
    if (b == nullptr) {
      Py_DECREF(list);
      return nullptr;
    }
    PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), b);
  }
  return list;
}

// A sequence of b"KEY=VALUE" (fork_exec's env), None for the C environment.
bool EntriesFromSequence(PyObject* env, std::vector<std::string>* out) {
  if (env == Py_None) {
    *out = CEnviron();
    return true;
  }
  PyObject* seq = PySequence_Fast(env, "env must be a sequence");
  if (seq == nullptr) return false;
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); ++i) {
    std::string s;
    if (!FsBytes(PySequence_Fast_GET_ITEM(seq, i), &s)) {
      Py_DECREF(seq);
      return false;
    }
    out->push_back(std::move(s));
  }
  Py_DECREF(seq);
  return true;
}

// A mapping (os.execve's and posix_spawn's env).
bool EntriesFromMapping(PyObject* env, std::vector<std::string>* out) {
  PyObject* items = PyMapping_Items(env);
  if (items == nullptr) return false;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); ++i) {
    PyObject* kv = PyList_GET_ITEM(items, i);
    std::string k, v;
    if (!PyTuple_Check(kv) || PyTuple_GET_SIZE(kv) != 2 || !FsBytes(PyTuple_GET_ITEM(kv, 0), &k) ||
        !FsBytes(PyTuple_GET_ITEM(kv, 1), &v)) {
      Py_DECREF(items);
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "env items must be (key, value) pairs");
      return false;
    }
    // posix's own check (a name may start with '=' only): "NAME=x" = "y" would come
    // back from the entry as NAME = "x=y", and the exec would succeed.
    if (k.empty() || k.find('=', 1) != std::string::npos) {
      Py_DECREF(items);
      PyErr_SetString(PyExc_ValueError, "illegal environment variable name");
      return false;
    }
    out->push_back(k + "=" + v);
  }
  Py_DECREF(items);
  return true;
}

PyObject* BytesDict(const std::vector<std::string>& v) {
  PyObject* d = PyDict_New();
  if (d == nullptr) return nullptr;
  for (const std::string& e : v) {
    const size_t eq = e.find('=', 1);
    if (eq == std::string::npos) continue;
    PyObject* k = PyBytes_FromStringAndSize(e.data(), static_cast<Py_ssize_t>(eq));
    PyObject* val = PyBytes_FromStringAndSize(e.data() + eq + 1, static_cast<Py_ssize_t>(e.size() - eq - 1));
    const int rc = k != nullptr && val != nullptr ? PyDict_SetItem(d, k, val) : -1;
    Py_XDECREF(k);
    Py_XDECREF(val);
    if (rc < 0) {
      Py_DECREF(d);
      return nullptr;
    }
  }
  return d;
}

// Tells the tool that this process started `pid` with `argv`, so that a child that
// never sends a trace (not a Python with a runtime) is named in the report. Best
// effort: a note that cannot be sent only costs that name.
void SendSpawnNote(long pid, PyObject* argv) {
  Options opts;
  opts.trace_socket = g.socket;
  const int fd = ConnectTraceSocket(opts);
  if (fd < 0) return;
  std::string msg(kSpawnMagic, sizeof kSpawnMagic - 1);
  msg += std::to_string(pid) + '\0' + std::to_string(getpid()) + '\0';
  PyObject* seq = argv != nullptr ? PySequence_Fast(argv, "argv") : nullptr;
  if (seq != nullptr) {
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); ++i) {
      std::string a;
      if (FsBytes(PySequence_Fast_GET_ITEM(seq, i), &a)) msg += a + '\0';
    }
    Py_DECREF(seq);
  }
  PyErr_Clear();
  size_t off = 0;
  while (off < msg.size()) {
    const ssize_t n = write(fd, msg.data() + off, msg.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(fd);
}

// Calls `original` with args[env_index] replaced by replace(args[env_index]).
template <typename Replace>
PyObject* CallWithEnv(PyObject* original, PyObject* args, PyObject* kwargs, Py_ssize_t env_index,
                      Replace replace) {
  // env=None inherits the C environment, which kept the runtime's variables; passing a
  // copy of it instead would lose what a preexec_fn puts into the child's environment.
  if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) <= env_index || PyTuple_GET_ITEM(args, env_index) == Py_None) {
    return PyObject_Call(original, args, kwargs);
  }
  PyObject* env = replace(PyTuple_GET_ITEM(args, env_index));
  if (env == nullptr) {
    // An env the wrapper cannot read is the original's to reject with its own error.
    PyErr_Clear();
    return PyObject_Call(original, args, kwargs);
  }
  // A new tuple: a slice of a whole tuple is that tuple, which may be the caller's own
  // (fork_exec(*t)).
  const Py_ssize_t n = PyTuple_GET_SIZE(args);
  PyObject* copy = PyTuple_New(n);
  if (copy == nullptr) {
    Py_DECREF(env);
    return nullptr;
  }
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyTuple_SET_ITEM(copy, i, i == env_index ? env : Py_NewRef(PyTuple_GET_ITEM(args, i)));  // steals env
  }
  PyObject* res = PyObject_Call(original, copy, kwargs);
  Py_DECREF(copy);
  return res;
}

PyObject* SequenceEnv(PyObject* env) {
  std::vector<std::string> entries;
  if (!EntriesFromSequence(env, &entries)) return nullptr;
  return BytesList(ChildEnv(entries));
}

PyObject* MappingEnv(PyObject* env) {
  std::vector<std::string> entries;
  if (!EntriesFromMapping(env, &entries)) return nullptr;
  return BytesDict(ChildEnv(entries));
}

void NoteSpawned(PyObject* res, PyObject* args, Py_ssize_t argv_index) {
  if (res == nullptr || !PyLong_Check(res) || !PyTuple_Check(args) || PyTuple_GET_SIZE(args) <= argv_index) return;
  const long pid = PyLong_AsLong(res);
  if (pid > 0) SendSpawnNote(pid, PyTuple_GET_ITEM(args, argv_index));
  PyErr_Clear();
}

// The wrappers are stand-ins (stand_in.h) bound to their module, like the functions
// they replace; each calls the original kept in g.

// _posixsubprocess.fork_exec(args, executable_list, close_fds, pass_fds, cwd, env, ...)
PyObject* ForkExec(PyObject*, PyObject* args, PyObject* kwargs) {
  PyObject* res = CallWithEnv(g.fork_exec, args, kwargs, 5, SequenceEnv);
  NoteSpawned(res, args, 0);
  return res;
}

// os.posix_spawn(path, argv, env, ...), os.posix_spawnp
PyObject* PosixSpawn(PyObject*, PyObject* args, PyObject* kwargs) {
  PyObject* res = CallWithEnv(g.posix_spawn, args, kwargs, 2, MappingEnv);
  NoteSpawned(res, args, 1);
  return res;
}
PyObject* PosixSpawnp(PyObject*, PyObject* args, PyObject* kwargs) {
  PyObject* res = CallWithEnv(g.posix_spawnp, args, kwargs, 2, MappingEnv);
  NoteSpawned(res, args, 1);
  return res;
}

// os.execve(path, argv, env)
PyObject* Execve(PyObject*, PyObject* args, PyObject* kwargs) {
  return CallWithEnv(g.execve, args, kwargs, 2, MappingEnv);
}

// os.execv(path, argv): execve with the C environment, put right.
PyObject* Execv(PyObject*, PyObject* args, PyObject* kwargs) {
  if (g.execve == nullptr || kwargs != nullptr || !PyTuple_Check(args) || PyTuple_GET_SIZE(args) != 2) {
    return PyObject_Call(g.execv, args, kwargs);
  }
  PyObject* env = BytesDict(ChildEnv(CEnviron()));
  if (env == nullptr) return nullptr;
  PyObject* res = PyObject_CallFunctionObjArgs(g.execve, PyTuple_GET_ITEM(args, 0), PyTuple_GET_ITEM(args, 1), env,
                                               nullptr);
  Py_DECREF(env);
  return res;
}

PyMethodDef g_fork_exec_def = {"fork_exec", AsPyCFunction(ForkExec), METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_posix_spawn_def = {"posix_spawn", AsPyCFunction(PosixSpawn), METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_posix_spawnp_def = {"posix_spawnp", AsPyCFunction(PosixSpawnp), METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_execve_def = {"execve", AsPyCFunction(Execve), METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_execv_def = {"execv", AsPyCFunction(Execv), METH_VARARGS | METH_KEYWORDS, nullptr};

// _posixsubprocess is wrapped when the program imports it (subprocess does, and
// multiprocessing when it spawns): importing it here would add it to every program's
// sys.modules.
PyObject* WrapForkExec(PyObject*, PyObject*) {
  if (g.fork_exec == nullptr && !ReplaceInModule("_posixsubprocess", {{g_fork_exec_def, {.keep = &g.fork_exec}}})) {
    return nullptr;
  }
  Py_RETURN_NONE;
}
PyMethodDef g_wrap_fork_exec_def = {"_wrap_fork_exec", WrapForkExec, METH_NOARGS, nullptr};

bool WrapOs() {
  return ReplaceInModule("os", {{g_posix_spawn_def, {.keep = &g.posix_spawn}},
                                {g_posix_spawnp_def, {.keep = &g.posix_spawnp}},
                                {g_execve_def, {.keep = &g.execve}},
                                {g_execv_def, {.keep = &g.execv}}});
}

// os.environ as the program would see it without pyrace. Only the mapping's own dict
// changes (no unsetenv): the C environment keeps the variables for the children.
bool HideFromEnviron() {
  PyObject* os = PyImport_ImportModule("os");
  PyObject* environ_obj = os != nullptr ? PyObject_GetAttrString(os, "environ") : nullptr;
  PyObject* data = environ_obj != nullptr ? PyObject_GetAttrString(environ_obj, "_data") : nullptr;
  Py_XDECREF(environ_obj);
  Py_XDECREF(os);
  if (data == nullptr || !PyDict_Check(data)) {
    Py_XDECREF(data);
    PyErr_Clear();
    return true;  // not CPython's os._Environ: nothing we know how to hide
  }
  bool ok = true;
  auto drop = [&](const char* key) {
    PyObject* k = PyBytes_FromString(key);
    if (k == nullptr || (PyDict_Contains(data, k) == 1 && PyDict_DelItem(data, k) < 0)) ok = false;
    Py_XDECREF(k);
  };
  for (const char* v : kOurVars) drop(v);
  if (g.program_path_known) {
    if (g.program_path) {
      PyObject* k = PyBytes_FromString("PYTHONPATH");
      PyObject* v = PyBytes_FromStringAndSize(g.program_path->data(), static_cast<Py_ssize_t>(g.program_path->size()));
      if (k == nullptr || v == nullptr || PyDict_SetItem(data, k, v) < 0) ok = false;
      Py_XDECREF(k);
      Py_XDECREF(v);
    } else {
      drop("PYTHONPATH");
    }
  }
  Py_DECREF(data);
  return ok;
}

// Children that are not followed have no use for the runtime's variables: the C
// environment becomes the program's own (os.environ already shows it), so every child,
// Python or not, starts with the environment of a plain run. Only what the tool set is
// undone (a process it did not start, such as the runtime's own tests, keeps its own).
void RestoreProgramEnvironment() {
  if (!g.program_path_known) return;
  for (const char* v : kOurVars) unsetenv(v);
  if (g.program_path) setenv("PYTHONPATH", g.program_path->c_str(), 1);
  else unsetenv("PYTHONPATH");
}

std::string RuntimeDir() {
  PyObject* mod = PyImport_ImportModule("_pyrace");
  PyObject* file = mod != nullptr ? PyModule_GetFilenameObject(mod) : nullptr;
  Py_XDECREF(mod);
  std::string path;
  if (file != nullptr) FsBytes(file, &path);
  Py_XDECREF(file);
  PyErr_Clear();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

int ConnectTraceSocket(const Options& opts) {
  sockaddr_un addr{};
  if (opts.trace_socket.empty() || opts.trace_socket.size() >= sizeof addr.sun_path) return -1;
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, opts.trace_socket.data(), opts.trace_socket.size());
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    close(fd);
    return -1;
  }
  // Above the descriptors programs count on (as the tool does with the top process's
  // pipe): a child's lowest free descriptors stay the program's, and close_fds tests
  // that list a process's open descriptors see none of ours.
  const int high = fcntl(fd, F_DUPFD_CLOEXEC, kHighFd);
  if (high >= 0) {
    close(fd);
    return high;
  }
  return fd;
}

bool InstallChildFollow(const Options& opts) {
  g.options_env = GetEnv(kOptionsVar).value_or(std::string());
  g.started_path = GetEnv("PYTHONPATH");
  const std::optional<std::string> own = GetEnv(kPathVar);
  g.program_path_known = own.has_value() && !own->empty() && ((*own)[0] == '+' || *own == "-");
  if (g.program_path_known && (*own)[0] == '+') g.program_path = own->substr(1);
  g.socket = opts.trace_socket;
  g.follow = opts.follow_children && !opts.trace_socket.empty() && !g.options_env.empty();
  if (!HideFromEnviron()) return false;
  if (!g.follow) {
    RestoreProgramEnvironment();
    return true;
  }
  g.runtime_dir = RuntimeDir();
  // Children started by any means (os.system, a C library) inherit the C environment.
  setenv(kFollowVar, "1", 1);
  return WrapOs() && WhenImported("_posixsubprocess", &g_wrap_fork_exec_def);
}

}  // namespace pyrace::py
