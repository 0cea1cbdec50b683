#include "runtime/python/lifecycle.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "runtime/python/child_follow.h"
#include "runtime/python/fork_events.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stand_in.h"
#include "runtime/python/watchdog.h"
#include "runtime/python/wrappers.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {

namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};
struct sigaction g_old_actions[sizeof(kFatalSignals) / sizeof(kFatalSignals[0])];

// The process ends by its own doing: the trace says so (kProcessEnd), and a trace that
// stops without it was cut off (a signal, a crash).
void NoteProcessEnd() {
  Recorder& rec = Recorder::Get();
  if (rec.recording()) rec.Emit(EventKind::kProcessEnd, 0);
}

PyObject* AtExit(PyObject*, PyObject*) {
  StopWatchdog();
  EndMainThread();
  NoteProcessEnd();
  Recorder::Get().Stop();
  Py_RETURN_NONE;
}

// os._exit and the exec family end the interpreter without atexit: write what was
// recorded first, then call the wrapped os function I.
constexpr const char* kExitNames[] = {"_exit", "execv", "execve"};  // execv/execve: what os.exec* call
PyObject* g_exit_originals[3] = {nullptr, nullptr, nullptr};

// An exec that fails leaves a kProcessEnd in a process that goes on: harmless, it only
// says that what is held at the trace's end was not cut off by a kill.
template <int I>
PyObject* FlushThenCall(PyObject*, PyObject* args, PyObject* kwargs) {
  NoteProcessEnd();
  Recorder::Get().Flush();
  return PyObject_Call(g_exit_originals[I], args, kwargs);
}

void OnFatalSignal(int sig) {
  Recorder::Get().FlushFromSignal();
  for (size_t i = 0; i < sizeof(kFatalSignals) / sizeof(kFatalSignals[0]); ++i) {
    if (kFatalSignals[i] == sig) sigaction(sig, &g_old_actions[i], nullptr);
  }
  raise(sig);
}

// Set by Python's before-fork hook in the thread that forks, which is the child's
// only thread: a fork the pthread_atfork handler sees without it came from C (a C
// extension, ctypes) and runs no after_in_child hook, so no trace of the child's own.
thread_local bool t_python_fork = false;

// The argv part of a fork note (NUL-terminated fields), made before any fork: the
// pthread_atfork child handler may only use async-signal-safe calls.
std::string g_fork_note_argv;

char* PutNumber(char* p, unsigned long v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *p++ = digits[--n];
  *p++ = '\0';
  return p;
}

// Tells the tool that this process was forked from C, so the report names it as not
// analysed (docs/children.md). Only socket calls and writes.
void SendForkNote() {
  const Options& opts = Recorder::Get().options();
  if (!opts.follow_children || opts.trace_socket.empty()) return;
  const int fd = ConnectTraceSocket(opts);
  if (fd < 0) return;
  char head[64] = "PYRACEFK";
  char* p = PutNumber(head + 8, static_cast<unsigned long>(getpid()));
  p = PutNumber(p, static_cast<unsigned long>(getppid()));
  const struct {
    const char* data;
    size_t size;
  } parts[] = {{head, static_cast<size_t>(p - head)}, {g_fork_note_argv.data(), g_fork_note_argv.size()}};
  for (const auto& part : parts) {
    size_t off = 0;
    while (off < part.size) {
      const ssize_t n = write(fd, part.data + off, part.size - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
  close(fd);
}

void AfterForkInChild() {
  Recorder::Get().AbandonAfterFork();
  ForgetWatchdogAfterFork();
  if (!t_python_fork) SendForkNote();
  t_python_fork = false;
}

void MakeForkNoteArgv() {
  for (const std::string& a : Recorder::Get().header().argv) {
    g_fork_note_argv += a;
    g_fork_note_argv.push_back('\0');
  }
}

void KillBySigint() {
  signal(SIGINT, SIG_DFL);
  kill(getpid(), SIGINT);
}

// The watchdog is an OS thread: os.fork() on 3.12+ counts the process's threads and
// warns that it is multi-threaded (3.13 after the after_in_parent hooks). So it is
// paused before any fork (register_at_fork) and resumed once os.fork() has returned in
// the parent; forks that bypass the os.fork wrapper resume it from the after_in_parent
// hook. Per thread: threads fork at once, and the watchdog runs again after the last.
thread_local bool t_paused_watchdog = false;
thread_local bool t_in_fork_wrapper = false;
PyObject* g_orig_os_fork = nullptr;

PyObject* BeforeFork(PyObject*, PyObject*) {
  t_python_fork = true;
  if (!t_paused_watchdog) {
    t_paused_watchdog = true;
    PauseWatchdogForFork();
  }
  Py_RETURN_NONE;
}

void RestartAfterFork() {
  if (!t_paused_watchdog) return;
  t_paused_watchdog = false;
  ResumeWatchdogAfterFork();
}

PyObject* AfterForkInParent(PyObject*, PyObject*) {
  t_python_fork = false;
  if (!t_in_fork_wrapper) RestartAfterFork();
  Py_RETURN_NONE;
}

// A child of os.fork() (or multiprocessing's fork and forkserver methods) that the tool
// follows sends a trace of its own from here on (docs/children.md); the pthread_atfork
// handler already dropped the parent's writer.
PyObject* AfterForkInChildPy(PyObject*, PyObject*) {
  t_paused_watchdog = false;  // the child's own watchdog starts below, if it is followed
  Recorder& rec = Recorder::Get();
  const Options& opts = rec.options();
  if (!opts.follow_children || opts.trace_socket.empty()) Py_RETURN_NONE;
  if (rec.ContinueInForkedChild(ConnectTraceSocket(opts), static_cast<uint32_t>(getppid()))) StartWatchdog();
  Py_RETURN_NONE;
}

PyObject* OsFork(PyObject*, PyObject*) {
  t_in_fork_wrapper = true;
  PyObject* pid = PyObject_CallNoArgs(g_orig_os_fork);
  t_in_fork_wrapper = false;
  // In the child (pid 0) the after_in_child hook started what the child needs.
  if (pid == nullptr || PyLong_AsLong(pid) != 0) RestartAfterFork();
  return pid;
}

PyMethodDef g_atexit_def = {"_pyrace_atexit", AtExit, METH_NOARGS, nullptr};
PyMethodDef g_before_fork_def = {"_pyrace_before_fork", BeforeFork, METH_NOARGS, nullptr};
PyMethodDef g_after_fork_parent_def = {"_pyrace_after_fork_in_parent", AfterForkInParent,
                                       METH_NOARGS, nullptr};
PyMethodDef g_after_fork_child_def = {"_pyrace_after_fork_in_child", AfterForkInChildPy, METH_NOARGS,
                                      nullptr};
PyMethodDef g_os_fork_def = {"fork", OsFork, METH_NOARGS, nullptr};
template <int I>
PyMethodDef FlushThenCallDef() {
  return {kExitNames[I], AsPyCFunction(FlushThenCall<I>),
          METH_VARARGS | METH_KEYWORDS, nullptr};
}
const PyMethodDef g_flush_then_call_defs[] = {FlushThenCallDef<0>(), FlushThenCallDef<1>(), FlushThenCallDef<2>()};

bool RegisterAtExit() {
  PyObject* atexit = PyImport_ImportModule("atexit");
  if (atexit == nullptr) return false;
  PyObject* fn = PyCFunction_NewEx(&g_atexit_def, nullptr, nullptr);
  PyObject* res = fn != nullptr ? PyObject_CallMethod(atexit, "register", "O", fn) : nullptr;
  Py_XDECREF(fn);
  Py_DECREF(atexit);
  Py_XDECREF(res);
  return res != nullptr;
}

bool WrapOsExit(PyObject* originals) {
  PyObject* os = PyImport_ImportModule("os");
  if (os == nullptr) return false;
  bool ok = true;
  for (int i = 0; i < 3 && ok; ++i) {
    const std::string key = std::string("os.") + kExitNames[i];
    ok = ReplaceWithStandIn(g_flush_then_call_defs[i],
                            {.owner = os, .keep = &g_exit_originals[i], .originals = originals, .key = key.c_str()});
  }
  Py_DECREF(os);
  return ok;
}

bool RegisterForkHooks(PyObject* originals) {
  return ReplaceInModule("os", {{g_os_fork_def, {.keep = &g_orig_os_fork, .originals = originals, .key = "os.fork"}}}) &&
         RegisterAtFork(&g_before_fork_def, &g_after_fork_parent_def, &g_after_fork_child_def);
}

// SIGTERM ends a process that kept the default action (multiprocessing's
// Pool.terminate() ends its workers so): the trace still gets what was recorded.
// A handler the program installed stays untouched. A SIGTERM that comes while a chunk
// is being written (a worker flushing in os._exit as terminate() ends it, the watchdog's
// periodic flush) lets that write finish first: dying at once would cut the chunk, and
// the tool would lose everything in it.
struct sigaction g_old_term;
volatile sig_atomic_t g_term_after_write = 0;

void DieOfTerm(int sig) {
  sigaction(sig, &g_old_term, nullptr);
  raise(sig);
}

void OnTerm(int sig) {
  if (Recorder::Get().FlushFromSignal()) {
    DieOfTerm(sig);
  } else {
    g_term_after_write = sig;
  }
}

void AfterChunkWritten() {
  if (int sig = g_term_after_write; sig != 0) DieOfTerm(sig);
}

void InstallTermFlush() {
  struct sigaction cur {};
  if (sigaction(SIGTERM, nullptr, &cur) != 0 || (cur.sa_flags & SA_SIGINFO) != 0 || cur.sa_handler != SIG_DFL) return;
  TraceWriter::SetChunkWrittenHook(AfterChunkWritten);
  struct sigaction sa {};
  sa.sa_handler = OnTerm;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGTERM, &sa, &g_old_term);
}

void InstallFatalSignalHandlers() {
  InstallTermFlush();
  for (size_t i = 0; i < sizeof(kFatalSignals) / sizeof(kFatalSignals[0]); ++i) {
    struct sigaction sa {};
    sa.sa_handler = OnFatalSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_ONSTACK | SA_NODEFER;
    sigaction(kFatalSignals[i], &sa, &g_old_actions[i]);
  }
}

}  // namespace

bool InstallLifecycle(PyObject* /*module*/, PyObject* originals) {
  if (!RegisterAtExit() || !WrapOsExit(originals) || !RegisterForkHooks(originals)) return false;
  InstallFatalSignalHandlers();
  static bool atfork_done = false;
  if (!atfork_done) {
    MakeForkNoteArgv();
    pthread_atfork(nullptr, nullptr, AfterForkInChild);
    atfork_done = true;
  }
  return true;
}

void ExitBySigintAtEnd() { Py_AtExit(KillBySigint); }

}  // namespace pyrace::py
