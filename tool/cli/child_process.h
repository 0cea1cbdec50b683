// The program under test as a child process: spawned with the write end of the trace
// pipe, sent the signals the tool receives, waited for.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace pyrace {

struct ChildSpec {
  std::string exe;                 // absolute or relative path, not searched on PATH
  std::vector<std::string> argv;   // argv[0] included
  std::vector<std::string> env;    // NAME=VALUE entries replacing or adding to ours
  int keep_fd = -1;                // this fd stays open across exec (the trace pipe)
};

// fork + exec. False with *error when fork fails; an exec failure shows up as exit
// code 127 after a message on the child's stderr. On success the forwarded signals
// stay blocked in the tool until ForwardSignalsTo().
bool SpawnChild(const ChildSpec& spec, pid_t* pid, std::string* error);

// Until RestoreSignals(): SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the tool (kill,
// a process manager) go to the child instead; a Ctrl-C from the terminal reaches the
// child by itself (same process group) and is not sent twice.
void ForwardSignalsTo(pid_t child);
void RestoreSignals();

// waitpid, retried on EINTR. The raw wait status.
int WaitChild(pid_t child);

struct ExitInfo {
  bool signaled = false;
  int code = 0;    // exit code, or the signal number when signaled
};
ExitInfo DecodeStatus(int status);

// "SIGKILL", or "signal 42" for one without a name.
std::string SignalName(int sig);

}  // namespace pyrace
