#include "tool/cli/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace pyrace {
namespace {

volatile sig_atomic_t g_child = 0;
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
struct sigaction g_saved[sizeof(kForwarded) / sizeof(kForwarded[0])];

void Forward(int sig, siginfo_t* info, void*) {
  // si_code SI_KERNEL: typed at the terminal, the child's process group got it too.
  if (info != nullptr && info->si_code == SI_KERNEL) return;
  if (g_child > 0) kill(static_cast<pid_t>(g_child), sig);
}

std::vector<std::string> MergedEnv(const std::vector<std::string>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& o : overrides) {
      if (o.compare(0, name.size() + 1, name + "=") == 0) replaced = true;
    }
    if (!replaced) out.push_back(std::move(entry));
  }
  out.insert(out.end(), overrides.begin(), overrides.end());
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

sigset_t ForwardedSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwarded) sigaddset(&set, sig);
  return set;
}

[[noreturn]] void ExecChild(const ChildSpec& spec, char** argv, char** envp, const sigset_t& old_mask) {
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (spec.keep_fd >= 0) fcntl(spec.keep_fd, F_SETFD, 0);
  execve(spec.exe.c_str(), argv, envp);
  const std::string msg = "pyrace: cannot run '" + spec.exe + "': " + std::strerror(errno) + "\n";
  ssize_t ignored = write(STDERR_FILENO, msg.data(), msg.size());
  (void)ignored;
  _exit(127);
}

}  // namespace

bool SpawnChild(const ChildSpec& spec, pid_t* pid, std::string* error) {
  // Everything the child needs is built before fork: after it, only exec.
  std::vector<std::string> argv_s = spec.argv;
  std::vector<std::string> env_s = MergedEnv(spec.env);
  std::vector<char*> argv = CStrings(argv_s);
  std::vector<char*> envp = CStrings(env_s);
  // Signals for the child stay pending in the tool until ForwardSignalsTo() can send
  // them on, so none is lost or kills the tool in between.
  const sigset_t forwarded = ForwardedSet();
  sigset_t old_mask;
  sigprocmask(SIG_BLOCK, &forwarded, &old_mask);
  const pid_t p = fork();
  if (p == 0) ExecChild(spec, argv.data(), envp.data(), old_mask);
  if (p < 0) {
    *error = std::string("fork failed: ") + std::strerror(errno);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return false;
  }
  *pid = p;
  return true;
}

void ForwardSignalsTo(pid_t child) {
  g_child = child;
  for (size_t i = 0; i < sizeof(kForwarded) / sizeof(kForwarded[0]); ++i) {
    struct sigaction sa {};
    sa.sa_sigaction = Forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(kForwarded[i], &sa, &g_saved[i]);
  }
  const sigset_t forwarded = ForwardedSet();
  sigprocmask(SIG_UNBLOCK, &forwarded, nullptr);
}

void RestoreSignals() {
  for (size_t i = 0; i < sizeof(kForwarded) / sizeof(kForwarded[0]); ++i) {
    sigaction(kForwarded[i], &g_saved[i], nullptr);
  }
  g_child = 0;
}

int WaitChild(pid_t child) {
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return 0;
  }
  return status;
}

ExitInfo DecodeStatus(int status) {
  if (WIFSIGNALED(status)) return {true, WTERMSIG(status)};
  return {false, WIFEXITED(status) ? WEXITSTATUS(status) : 0};
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace pyrace
