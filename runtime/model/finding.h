// The neutral report model (TSan's ReportDesc): what a detector or a lint rule found,
// with every location needed to fix it. Renderers (tool/render) print it as text,
// JSON or SARIF and hold no logic of their own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pyrace {

enum class FindingKind : uint8_t {
  kDataRace,
  kLockOrderInversion,
  kDeadlock,
  kMissedRelease,
  kBadRelease,
  kGilNotHeld,
  kGilStateLeak,
  kBlockingInEventLoop,
  kForkWithHeldLock,
  kSyntaxError,  // a source file the linter cannot parse (Python) or compile (C/C++)
};

// The stable id used in every output format ("data-race", ...).
const char* FindingKindId(FindingKind k);

enum class Severity : uint8_t { kError, kWarning, kNote };
const char* SeverityId(Severity s);  // "error", "warning", "note"

struct SourceLocation {
  std::string file;
  uint32_t line = 0;        // 1-based; 0 = unknown
  uint32_t column = 0;      // 1-based; 0 = unknown (dynamic findings)
  uint32_t end_line = 0;
  uint32_t end_column = 0;
  std::string function;
};

// One titled block of a report: a call stack (innermost frame first) or, for static
// findings, a related location ("the reverse order is taken here").
struct Section {
  std::string title;  // "Write of size 1 by thread T1 (Thread-1):", "Lock L1 created at:"
  std::vector<SourceLocation> frames;
  // Under pytest: the test (node id) running in the thread when the stack was
  // recorded ("tests/test_pool.py::test_checkout"); empty otherwise.
  std::string test = {};
};

// The locks and threads a finding is about, as a graph for renderers that draw it
// (HTML): a lock-order inversion's cycle (lock nodes, one edge per "acquired while
// holding"), a deadlock's wait-for graph (threads -> the locks they wait for -> their
// holders).
enum class GraphNodeKind : uint8_t { kLock, kThread };

struct GraphNode {
  GraphNodeKind kind = GraphNodeKind::kLock;
  std::string id;    // "L24", "T1": unique within the graph
  std::string name;  // the program's name ("PooledDatabase._pool_lock", "Thread-1"); may be empty
  std::string note;  // "exited", "created at a.py:3"; may be empty
  SourceLocation created = {};  // a lock's creation site; line 0 = unknown or a thread
};

struct GraphEdge {
  uint32_t from = 0;  // indices into FindingGraph::nodes
  uint32_t to = 0;
  std::string label;    // "Thread-1 at bank.py:12", "waits at bank.py:20", "held since bank.py:9"
  SourceLocation site;  // where the edge was made (the acquire, the wait)
  bool on_cycle = false;  // part of the cycle that deadlocks (or did)
  int section = -1;       // index into Finding::sections of the stack showing the edge; -1 = none
  // A lock-order edge: the thread that took it ("T1 (Thread-1)") and where it had
  // acquired the outer lock (site is the inner acquire); empty otherwise.
  std::string thread = {};
  SourceLocation held_site = {};
};

struct FindingGraph {
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
};

// One hold of one of the finding's locks, for a per-thread timeline. Times are
// microseconds since the program started.
struct LockHold {
  std::string thread_id;  // "T1"
  std::string thread;     // "T1 (Thread-1)"
  std::string lock_id;    // "L24": the GraphNode id of the lock
  std::string lock;       // "PooledDatabase._pool_lock (L24)"
  uint64_t begin_us = 0;
  uint64_t end_us = 0;
  bool open = false;      // still held when the finding was decided (a deadlock's holds)
  SourceLocation site;    // the acquire
  // The acquire's and the release's places in the trace's event order, which tells
  // holds apart where the clock (a few milliseconds coarse) does not.
  uint64_t begin_seq = 0;
  uint64_t end_seq = 0;
};

// The process a run-time finding was seen in, named when the run had several
// (docs/children.md); pid 0 = not named.
struct FindingProcess {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string command;  // its command line
};

struct Finding {
  FindingKind kind{};
  Severity severity = Severity::kError;
  std::string rule;     // lint rule code ("PYR001"); empty for run-time findings
  std::string message;  // one line, says what and where in the user's words
  SourceLocation primary;  // where code scanning points; the top frame for run-time findings
  std::vector<Section> sections;
  std::vector<std::string> notes;  // how to fix it ("guard Account.balance with self.lock")
  uint32_t count = 1;              // how many times it was seen (deduplicated)
  std::string fingerprint;         // stable across runs, for baselines and SARIF
  FindingGraph graph = {};         // empty for findings without a lock graph
  // Holds of the graph's locks (AnalysisOptions::hold_timeline), by begin time; the
  // analysis keeps a bounded number per lock (runtime/analysis/hold_history.h).
  std::vector<LockHold> holds = {};
  FindingProcess process;
  // A finding across processes: the pids of the processes that took its orders, in
  // the order its sections show them (empty otherwise).
  std::vector<uint32_t> pids = {};
};

// The test a finding belongs to: that of its first section recorded in one; empty
// when none was.
const std::string& FindingTest(const Finding& f);

}  // namespace pyrace
