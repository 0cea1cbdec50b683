// _pyrace.bootstrap(): turns `python -c "import _pyrace; _pyrace.bootstrap()" ARGS`
// into `python ARGS` under the runtime. ARGS is `script.py args...` or
// `-m module args...`; sys.argv, sys.path[0], __main__ and the way errors print and
// exit are those of the plain interpreter.
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/python/access_hooks.h"
#include "runtime/python/import_hook.h"
#include "runtime/python/bootstrap.h"
#include "runtime/python/asyncio_hooks.h"
#include "runtime/python/child_follow.h"
#include "runtime/python/fork_events.h"
#include "runtime/python/lifecycle.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stack_depot.h"
#include "runtime/python/subinterpreters.h"
#include "runtime/python/threads.h"
#include "runtime/python/utf8.h"
#include "runtime/python/watchdog.h"
#include "runtime/python/wrappers.h"

namespace pyrace::py {

namespace {

bool g_bootstrapped = false;

PyObject* SysAttr(const char* name) { return PySys_GetObject(name); }  // borrowed

// Raises SystemExit(code), which the -c runner turns into the exit status after the
// interpreter's normal finalization (threads joined, atexit run).
PyObject* ExitWith(int code) {
  PyObject* c = PyLong_FromLong(code);
  if (c != nullptr) {
    PyErr_SetObject(PyExc_SystemExit, c);
    Py_DECREF(c);
  }
  return nullptr;
}

std::string ProgramName() {
  PyObject* orig = SysAttr("orig_argv");
  if (orig != nullptr && PyList_Check(orig) && PyList_GET_SIZE(orig) > 0) {
    return Utf8(PyList_GET_ITEM(orig, 0));
  }
  return Utf8(SysAttr("executable"));
}

// What python does with an uncaught exception, then exit status 1: PyErr_Print, as
// python's own runner calls it, sets sys.last_exc (last_type, last_value,
// last_traceback), raises the sys.excepthook audit event, calls the hook and, when the
// hook fails, prints both errors. SystemExit passes through untouched; KeyboardInterrupt
// ends the process by SIGINT like python does.
PyObject* ReportUncaught() {
  if (PyErr_ExceptionMatches(PyExc_SystemExit)) return nullptr;
  const bool sigint = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
  PyErr_Print();
  if (sigint) ExitBySigintAtEnd();
  return ExitWith(1);
}

bool SetArgv(const std::vector<PyObject*>& items) {
  PyObject* argv = PyList_New(0);
  if (argv == nullptr) return false;
  for (PyObject* o : items) {
    if (PyList_Append(argv, o) < 0) {
      Py_DECREF(argv);
      return false;
    }
  }
  int rc = PySys_SetObject("argv", argv);
  Py_DECREF(argv);
  return rc == 0;
}

bool SafePath() {
  PyObject* flags = SysAttr("flags");
  PyObject* v = flags != nullptr ? PyObject_GetAttrString(flags, "safe_path") : nullptr;
  if (v == nullptr) {
    PyErr_Clear();
    return false;
  }
  bool safe = PyObject_IsTrue(v) > 0;
  Py_DECREF(v);
  return safe;
}

// -c put '' first on sys.path; python would have put the script's directory or,
// for -m, the working directory.
bool SetPath0(PyObject* dir) {
  if (SafePath()) return true;
  PyObject* path = SysAttr("path");
  if (path == nullptr || !PyList_Check(path)) return true;
  if (PyList_GET_SIZE(path) > 0) return PyList_SetItem(path, 0, Py_NewRef(dir)) == 0;
  return PyList_Insert(path, 0, dir) == 0;
}

PyObject* CallOsPath(const char* fn, PyObject* arg) {
  PyObject* osp = PyImport_ImportModule("os.path");
  if (osp == nullptr) return nullptr;
  PyObject* r = PyObject_CallMethod(osp, fn, "O", arg);
  Py_DECREF(osp);
  return r;
}

// Drops the path_importer_cache entries for dir and the directories below it.
bool ForgetFindersUnder(PyObject* cache, const std::string& dir) {
  PyObject* keys = PyDict_Keys(cache);
  if (keys == nullptr) return false;
  bool ok = true;
  for (Py_ssize_t i = 0; ok && i < PyList_GET_SIZE(keys); ++i) {
    PyObject* k = PyList_GET_ITEM(keys, i);
    if (!PyUnicode_Check(k)) continue;
    const std::string key = Utf8(k);
    if (key == dir || key.rfind(dir + "/", 0) == 0) ok = PyDict_DelItem(cache, k) == 0;
  }
  Py_DECREF(keys);
  return ok;
}

// The runtime's directory is on sys.path only because PYTHONPATH brought it there to
// load this module and the sitecustomize; once both are loaded (the runtime's own
// imports are in sys.modules), the program sees the sys.path of a plain run. The
// first entry naming it is PYTHONPATH's: an entry the program's own PYTHONPATH adds
// for the same directory stays.
bool HideRuntimeDirectory(PyObject* module) {
  PyObject* file = PyModule_GetFilenameObject(module);
  if (file == nullptr) {
    PyErr_Clear();
    return true;
  }
  PyObject* dir = CallOsPath("dirname", file);
  Py_DECREF(file);
  if (dir == nullptr) return false;
  PyObject* path = SysAttr("path");
  const Py_ssize_t at = path != nullptr && PyList_Check(path) ? PySequence_Index(path, dir) : -1;
  bool ok = true;
  if (at < 0) {
    PyErr_Clear();  // not there (ValueError): nothing to hide
  } else if (PySequence_DelItem(path, at) != 0) {
    ok = false;
  } else if (const int still = PySequence_Contains(path, dir); still != 0) {
    ok = still > 0;  // the program's own PYTHONPATH names it too: its finders stay
  } else {
    // The finders cached for it and for its packages' directories go too.
    PyObject* cache = SysAttr("path_importer_cache");
    if (cache != nullptr && PyDict_Check(cache)) ok = ForgetFindersUnder(cache, Utf8(dir));
  }
  Py_DECREF(dir);
  return ok;
}

// __main__ as python starts it: only its dunder names. The -c runner bound its own
// (sys, _pyrace...) there, and the program must not see them.
PyObject* CleanMain() {
  PyObject* main = PyImport_AddModule("__main__");  // borrowed
  if (main == nullptr) return nullptr;
  PyObject* d = PyModule_GetDict(main);
  PyObject* keys = PyDict_Keys(d);
  if (keys == nullptr) return nullptr;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); ++i) {
    PyObject* k = PyList_GET_ITEM(keys, i);
    std::string name = Utf8(k);
    bool dunder = name.size() > 4 && name.rfind("__", 0) == 0 &&
                  name.compare(name.size() - 2, 2, "__") == 0;
    if (!dunder && PyDict_DelItem(d, k) < 0) PyErr_Clear();
  }
  Py_DECREF(keys);
  return d;
}

// The __main__ namespace python gives a script: __file__, __cached__ (before 3.15),
// __loader__.
PyObject* PrepareMain(PyObject* abspath) {
  PyObject* d = CleanMain();
  if (d == nullptr) return nullptr;
  // importlib.machinery's SourceFileLoader is this one; importing it would add
  // importlib.machinery to the program's sys.modules.
  PyObject* machinery = PyImport_ImportModule("_frozen_importlib_external");
  PyObject* loader = machinery != nullptr
                         ? PyObject_CallMethod(machinery, "SourceFileLoader", "sO", "__main__", abspath)
                         : nullptr;
  Py_XDECREF(machinery);
  if (loader == nullptr || PyDict_SetItemString(d, "__file__", abspath) < 0 ||
#if PY_VERSION_HEX < 0x030F0000  // 3.15 no longer sets __cached__
      PyDict_SetItemString(d, "__cached__", Py_None) < 0 ||
#endif
      PyDict_SetItemString(d, "__loader__", loader) < 0) {
    Py_XDECREF(loader);
    return nullptr;
  }
  Py_DECREF(loader);
  return d;
}

PyObject* ReadSource(PyObject* abspath) {
  // io.open_code without importing io (3.14 no longer imports it at start-up): the C
  // API opens through _io, honouring an open_code hook the same way.
  PyObject* f = PyFile_OpenCodeObject(abspath);
  if (f == nullptr) return nullptr;
  PyObject* data = PyObject_CallMethod(f, "read", nullptr);
  PyObject* closed = PyObject_CallMethod(f, "close", nullptr);
  Py_XDECREF(closed);
  Py_DECREF(f);
  return data;
}

// `python DIR` and `python app.pyz`: a directory or zip archive holding __main__.py is
// put first on sys.path and its __main__ module run, argv[0] as given.
bool IsMainPackage(PyObject* abspath) {
  PyObject* isdir = CallOsPath("isdir", abspath);
  if (isdir == nullptr) return false;
  bool dir = isdir == Py_True;
  Py_DECREF(isdir);
  if (dir) return true;
  // What python asks too (its path hooks): an archive zipimport opens. zipimport is
  // imported at start-up; zipfile would add two dozen modules to sys.modules.
  PyObject* zipimport = PyImport_ImportModule("zipimport");
  PyObject* importer =
      zipimport != nullptr ? PyObject_CallMethod(zipimport, "zipimporter", "O", abspath) : nullptr;
  Py_XDECREF(zipimport);
  bool zip = importer != nullptr;
  Py_XDECREF(importer);
  PyErr_Clear();
  return zip;
}

PyObject* RunMainPackage(PyObject* script, PyObject* abspath, PyObject* rest) {
  std::vector<PyObject*> argv{script};
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(rest); ++i) argv.push_back(PyList_GET_ITEM(rest, i));
  if (!SetPath0(abspath) || !SetArgv(argv) || CleanMain() == nullptr) return nullptr;
  PyObject* runpy = PyImport_ImportModule("runpy");
  if (runpy == nullptr) return ReportUncaught();
  PyObject* res = PyObject_CallMethod(runpy, "_run_module_as_main", "sO", "__main__", Py_False);
  Py_DECREF(runpy);
  if (res == nullptr) return ReportUncaught();
  Py_DECREF(res);
  Py_RETURN_NONE;
}

PyObject* RunScript(PyObject* script, PyObject* rest) {
  PyObject* abspath = CallOsPath("abspath", script);
  if (abspath == nullptr) return nullptr;
  if (IsMainPackage(abspath)) {
    PyObject* res = RunMainPackage(script, abspath, rest);
    Py_DECREF(abspath);
    return res;
  }
  PyObject* source = ReadSource(abspath);
  if (source == nullptr) {
    if (!PyErr_ExceptionMatches(PyExc_OSError)) {
      Py_DECREF(abspath);
      return nullptr;
    }
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject* err = value != nullptr ? PyObject_GetAttrString(value, "errno") : nullptr;
    PyObject* msg = value != nullptr ? PyObject_GetAttrString(value, "strerror") : nullptr;
    PyErr_Clear();
    PyObject* line = PyUnicode_FromFormat("%s: can't open file %R: [Errno %S] %S\n",
                                          ProgramName().c_str(), abspath,
                                          err != nullptr ? err : Py_None,
                                          msg != nullptr ? msg : Py_None);
    if (line != nullptr) PySys_FormatStderr("%U", line);
    Py_XDECREF(line);
    Py_XDECREF(err);
    Py_XDECREF(msg);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    Py_DECREF(abspath);
    return ExitWith(2);
  }
  PyObject* real = CallOsPath("realpath", abspath);
  PyObject* dir = real != nullptr ? CallOsPath("dirname", real) : nullptr;
  Py_XDECREF(real);
  PyObject* globals = nullptr;
  PyObject* code = nullptr;
  std::vector<PyObject*> argv{script};
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(rest); ++i) argv.push_back(PyList_GET_ITEM(rest, i));
  if (dir != nullptr && SetPath0(dir) && SetArgv(argv)) globals = PrepareMain(abspath);
  Py_XDECREF(dir);
  if (globals != nullptr) {
    // Race mode: the script's accesses to shared state call the access hooks.
    code = pyrace_access_compile_main(source, abspath);
    if (code == nullptr && !PyErr_Occurred()) {
      PyObject* builtins = PyEval_GetBuiltins();
      PyObject* compile = PyDict_GetItemString(builtins, "compile");
      code = PyObject_CallFunction(compile, "OOsii", source, abspath, "exec", 0, 1);
    }
  }
  Py_DECREF(source);
  Py_DECREF(abspath);
  if (code == nullptr) {
    if (globals != nullptr && PyErr_ExceptionMatches(PyExc_SyntaxError)) {
      // python prints a SyntaxError in the script without a traceback.
      PyObject *type, *value, *tb;
      PyErr_Fetch(&type, &value, &tb);
      PyErr_NormalizeException(&type, &value, &tb);
      Py_XDECREF(tb);
      // 3.12+ keep the traceback on the exception itself (a rewriter frame, when the
      // access hooks compiled the script), not only in the fetched triple.
      if (value != nullptr) PyException_SetTraceback(value, Py_None);
      PyErr_Restore(type, value, nullptr);
      return ReportUncaught();
    }
    return nullptr;
  }
  PyObject* res = PyEval_EvalCode(code, globals, globals);
  Py_DECREF(code);
  if (res == nullptr) return ReportUncaught();
  Py_DECREF(res);
  Py_RETURN_NONE;
}

PyObject* RunModule(PyObject* name, PyObject* rest) {
  PyObject* cwd = PyImport_ImportModule("os");
  PyObject* dir = cwd != nullptr ? PyObject_CallMethod(cwd, "getcwd", nullptr) : nullptr;
  Py_XDECREF(cwd);
  if (dir == nullptr) return nullptr;
  PyObject* dash_m = PyUnicode_FromString("-m");
  std::vector<PyObject*> argv{dash_m};
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(rest); ++i) argv.push_back(PyList_GET_ITEM(rest, i));
  bool ok = dash_m != nullptr && SetPath0(dir) && SetArgv(argv) && CleanMain() != nullptr;
  Py_DECREF(dir);
  Py_XDECREF(dash_m);
  if (!ok) return nullptr;
  PyObject* runpy = PyImport_ImportModule("runpy");
  if (runpy == nullptr) return ReportUncaught();
  PyObject* res = PyObject_CallMethod(runpy, "_run_module_as_main", "OO", name, Py_True);
  Py_DECREF(runpy);
  if (res == nullptr) return ReportUncaught();
  Py_DECREF(res);
  Py_RETURN_NONE;
}

bool ReadOptions(Options* opts) {
  const char* env = getenv("PYRACE_RUNTIME_OPTIONS");
  std::string error;
  if (env != nullptr && !ParseOptionString(env, opts, &error)) {
    PyErr_Format(PyExc_ValueError, "pyrace: bad PYRACE_RUNTIME_OPTIONS: %s", error.c_str());
    return false;
  }
  return true;
}

TraceHeader MakeHeader(const std::vector<std::string>& argv) {
  TraceHeader h;
  h.pid = static_cast<uint32_t>(getpid());
  h.ppid = static_cast<uint32_t>(getppid());
  timeval tv{};
  gettimeofday(&tv, nullptr);
  h.start_unix_us = static_cast<uint64_t>(tv.tv_sec) * 1000000ull + static_cast<uint64_t>(tv.tv_usec);
  h.python_version = std::to_string(PY_MAJOR_VERSION) + "." + std::to_string(PY_MINOR_VERSION) +
                     "." + std::to_string(PY_MICRO_VERSION);
  h.argv = argv;
  return h;
}

bool StartRecording(const Options& opts, PyObject* args) {
  std::vector<std::string> argv;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(args); ++i) argv.push_back(Utf8(PyList_GET_ITEM(args, i)));
  Recorder& rec = Recorder::Get();
  if (!rec.Start(opts, MakeHeader(argv))) return false;
  ThreadRec* main = rec.threads().Current();
  if (rec.recording()) {
    ThreadInfo info;
    info.name = rec.InternString(main->name);
    rec.writer()->DefineThread(main->tid, info);
  }
  return true;
}

bool InitAccessHooks(PyObject* module) {
  return pyrace_access_init(module, &Recorder::Get()) == 0;
}

// A followed child started as `python script.py`: the interpreter compiles the script
// itself, so the access hooks would never see its accesses. Its "cpython.run_file"
// audit event (raised just before) runs the script here instead, rewritten, in the
// __main__ the interpreter prepared (sys.argv and sys.path[0] are already its own);
// the SystemExit it ends with makes the interpreter skip its own run and exit with
// the script's status through its usual finalization.
bool g_run_file_pending = false;

bool IsPlainSource(const std::string& path) {
  return path.size() < 4 || path.compare(path.size() - 4, 4, ".pyc") != 0;
}

int OnAudit(const char* event, PyObject* args, void*) {
  if (!g_run_file_pending || std::strcmp(event, "cpython.run_file") != 0) return 0;
  g_run_file_pending = false;
  PyObject* file = PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 1 ? PyTuple_GET_ITEM(args, 0) : nullptr;
  PyObject* abspath = file != nullptr ? CallOsPath("abspath", file) : nullptr;
  if (abspath == nullptr) {
    PyErr_Clear();
    return 0;
  }
  if (!IsPlainSource(Utf8(abspath)) || IsMainPackage(abspath)) {
    Py_DECREF(abspath);
    return 0;
  }
  PyObject* source = ReadSource(abspath);
  PyObject* code = nullptr;
  if (source != nullptr) {
    code = pyrace_access_compile_main(source, abspath);
    Py_DECREF(source);
  }
  if (code == nullptr) {
    // Not readable, not rewritable (a syntax error): the interpreter's own run says so
    // in its words.
    PyErr_Clear();
    Py_DECREF(abspath);
    return 0;
  }
  PyObject* globals = PrepareMain(abspath);
  Py_DECREF(abspath);
  if (globals == nullptr) {
    Py_DECREF(code);
    return -1;
  }
  PyObject* res = PyEval_EvalCode(code, globals, globals);
  Py_DECREF(code);
  if (res == nullptr) {
    ReportUncaught();
    return -1;
  }
  Py_DECREF(res);
  PyErr_SetObject(PyExc_SystemExit, Py_None);
  return -1;
}

std::vector<std::string> OrigArgv() {
  std::vector<std::string> argv;
  PyObject* orig = SysAttr("orig_argv");
  if (orig != nullptr && PyList_Check(orig)) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(orig); ++i) argv.push_back(Utf8(PyList_GET_ITEM(orig, i)));
  }
  return argv;
}

// What the top process and every followed child install once recording has started:
// one list, so a child is analysed as the top process is.
bool InstallRuntime(PyObject* module, const Options& opts) {
  return InstallWrappers(module) && InstallLifecycle(module, Originals()) && InstallForkEvents() &&
         InitAccessHooks(module) && InstallAsyncioHooks(module) && InstallChildFollow(opts) &&
         InstallSubinterpreterStandIns();
}

}  // namespace

PyObject* BootstrapChild(PyObject* module, PyObject*) {
  if (g_bootstrapped) Py_RETURN_NONE;
  g_bootstrapped = true;
  Options opts;
  if (!ReadOptions(&opts)) return nullptr;
  // trace_fd is the top process's pipe; a child has its own stream on the socket.
  opts.trace_fd = ConnectTraceSocket(opts);
  if (opts.trace_fd < 0) {  // the tool is gone: run untraced
    if (!HideRuntimeDirectory(module)) return nullptr;
    Py_RETURN_NONE;
  }
  Recorder& rec = Recorder::Get();
  if (!rec.Start(opts, MakeHeader(OrigArgv()))) return nullptr;
  if (rec.recording()) {
    ThreadRec* main = rec.threads().Current();
    ThreadInfo info;
    info.name = rec.InternString(main->name);
    rec.writer()->DefineThread(main->tid, info);
  }
  if (!InstallRuntime(module, opts)) return nullptr;
  PyObject* argv = SysAttr("argv");
  const std::string first = argv != nullptr && PyList_Check(argv) && PyList_GET_SIZE(argv) > 0
                                ? Utf8(PyList_GET_ITEM(argv, 0))
                                : std::string();
  if (RacesEnabled(opts) && !first.empty() && first != "-c" && first != "-m" && first != "-") {
    static bool hooked = false;
    if (!hooked && PySys_AddAuditHook(OnAudit, nullptr) == 0) hooked = true;
    g_run_file_pending = hooked;
    PyErr_Clear();
  }
  if (!HideRuntimeDirectory(module)) return nullptr;
  StartWatchdog();
  Py_RETURN_NONE;
}

PyObject* Bootstrap(PyObject* module, PyObject*) {
  if (g_bootstrapped) {
    PyErr_SetString(PyExc_RuntimeError, "_pyrace.bootstrap() was already called");
    return nullptr;
  }
  g_bootstrapped = true;
  PyObject* sys_argv = SysAttr("argv");
  if (sys_argv == nullptr || !PyList_Check(sys_argv) || PyList_GET_SIZE(sys_argv) < 2) {
    PySys_WriteStderr("usage: python -c \"import _pyrace; _pyrace.bootstrap()\" script.py|-m module [args...]\n");
    return ExitWith(2);
  }
  PyObject* args = PyList_GetSlice(sys_argv, 1, PyList_GET_SIZE(sys_argv));
  if (args == nullptr) return nullptr;
  bool is_module = Utf8(PyList_GET_ITEM(args, 0)) == "-m";
  if (is_module && PyList_GET_SIZE(args) < 2) {
    Py_DECREF(args);
    PySys_WriteStderr("Argument expected for the -m option\n");
    return ExitWith(2);
  }
  Options opts;
  if (!ReadOptions(&opts) || !StartRecording(opts, args) || !InstallRuntime(module, opts) ||
      !HideRuntimeDirectory(module)) {
    Py_DECREF(args);
    return nullptr;
  }
  StartWatchdog();
  Recorder::Get().depot().SetFloorHere();
  PyObject* target = PyList_GET_ITEM(args, is_module ? 1 : 0);
  PyObject* rest = PyList_GetSlice(args, is_module ? 2 : 1, PyList_GET_SIZE(args));
  PyObject* res = rest == nullptr ? nullptr
                  : is_module    ? RunModule(target, rest)
                                 : RunScript(target, rest);
  Recorder::Get().depot().ClearFloor();
  Py_XDECREF(rest);
  Py_DECREF(args);
  return res;
}

}  // namespace pyrace::py
