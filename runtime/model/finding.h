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
  FindingProcess process;
};

// The test a finding belongs to: that of its first section recorded in one; empty
// when none was.
const std::string& FindingTest(const Finding& f);

}  // namespace pyrace
