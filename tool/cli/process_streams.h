// The traces of the program's child processes (docs/children.md).
//
// Every followed child connects to a Unix socket the tool listens on and sends its own
// self-delimiting trace stream (its header names it: pid, parent, command line). Each
// stream has its own TraceReader and Analyzer on its own thread: what is per address
// space (races, missed releases, deadlocks) is analysed per process. A connection that
// starts with "PYRACESP" instead of a trace is a spawn note: a process saying it
// started a child (pid, parent, argv), so that one that never sends a trace is named as
// not analysed.
//
// record keeps each child's stream as it was read, in the directory ChildrenDir(FILE)
// next to the top process's trace (child-<n>.pyrt) and each spawn note (spawn-<n>);
// replay reads them back (ReadChildrenDir) and gives the same findings.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/analysis/analyzer.h"
#include "runtime/model/finding.h"
#include "runtime/trace/trace.h"

namespace pyrace {

// A process some analysed process said it started.
struct SpawnNote {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::vector<std::string> argv;
  bool forked = false;  // a fork note (PYRACEFK): forked from C, argv is the parent's
};

// One connection to the socket: a child's trace or a spawn note.
struct ProcessStream {
  TraceReader reader;
  std::unique_ptr<Analyzer> analyzer;
  ReadStatus status;
  int fd = -1;
  bool is_note = false;  // the connection was a spawn note, not a trace
  SpawnNote note;
  std::atomic<bool> done{false};  // the reader reached the end
  std::thread thread;
};

// What every child stream and spawn note of a run (or a recorded run) came to.
struct ChildrenResult {
  std::vector<std::unique_ptr<ProcessStream>> streams;  // in the order they connected
  std::vector<SpawnNote> spawned;
};

// The record directory for the trace file `trace_file`.
std::string ChildrenDir(const std::string& trace_file);

class ChildStreams {
 public:
  // record_dir: where to keep the streams ("" = nowhere).
  ChildStreams(const AnalysisOptions& opts, std::string record_dir);
  ~ChildStreams();
  ChildStreams(const ChildStreams&) = delete;
  ChildStreams& operator=(const ChildStreams&) = delete;

  // Creates the socket and starts accepting. false with *error.
  bool Listen(std::string* error);
  const std::string& socket_path() const { return path_; }

  // The top process has exited and its trace is read: takes the connections still
  // pending, lets the open streams end for `grace` (a child the program left running
  // is then cut: what it sent is analysed), and returns them.
  ChildrenResult Finish(std::chrono::milliseconds grace);

 private:
  void AcceptLoop();
  void Serve(int fd);
  int OpenRecordFile(const std::string& name);
  void KeepFile(const std::string& name, const std::string& bytes);

  AnalysisOptions opts_;
  std::string record_dir_;
  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::thread acceptor_;
  std::mutex mu_;
  ChildrenResult result_;
  int record_seq_ = 0;
};

// Reads a record directory written by ChildStreams (replay). Missing dir: nothing.
ChildrenResult ReadChildrenDir(const std::string& dir, const AnalysisOptions& opts);

// Names the process h describes in each finding (pid, parent, command line).
void NameProcess(std::vector<Finding>& findings, const TraceHeader& h);

// The findings of a run of many processes: the top process's, then each child's, each
// naming its process, then the lock-order inversions no process shows alone (their
// orders taken in different processes: runtime/analysis/lock_class/merge.h); and a note
// on stderr for every started process that sent no trace. With no children the top
// process's findings are returned as they are. Every analyzer must have finished.
std::vector<Finding> CollectProcessFindings(std::vector<Finding> top, const Analyzer& top_analyzer,
                                            const TraceReader& top_reader, ChildrenResult& children,
                                            int max_findings);

}  // namespace pyrace
