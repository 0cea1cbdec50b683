// Findings shaped like the analyses' output, for renderer and suppression tests.
#pragma once

#include <string>

#include "runtime/model/finding.h"

namespace pyrace::test {

inline SourceLocation Loc(std::string file, uint32_t line, std::string function) {
  SourceLocation l;
  l.file = std::move(file);
  l.line = line;
  l.function = std::move(function);
  return l;
}

inline Finding MissedRelease(const std::string& file) {
  Finding f;
  f.kind = FindingKind::kMissedRelease;
  f.message = "lock L1 acquired in get_value at " + file + ":7 is still held: get_value returned at " + file +
              ":12 without releasing it";
  f.primary = Loc(file, 7, "get_value");
  f.sections.push_back({"Lock L1 acquired here by thread T5 (Thread-5 (get_value)):",
                        {Loc(file, 7, "get_value"), Loc("/usr/lib/python3.11/threading.py", 975, "Thread.run")}});
  f.sections.push_back({"get_value returned here:", {Loc(file, 12, "get_value")}});
  f.sections.push_back({"Thread T5 (Thread-5 (get_value)) created at:", {Loc(file, 20, "start_workers")}});
  f.notes.push_back("release the lock in a finally: block, or use `with lock:`");
  f.count = 3;
  f.fingerprint = "abc123";
  return f;
}

inline Finding Race(const std::string& file) {
  Finding f;
  f.kind = FindingKind::kDataRace;
  f.message = "data race on counter.g_num";
  f.primary = Loc(file, 9, "Worker.bump");
  f.sections.push_back({"Write by thread T1:", {Loc(file, 9, "Worker.bump"), Loc(file, 30, "run_all")}});
  f.sections.push_back({"Previous read by thread T2:", {Loc("lib/pkg/helpers.py", 4, "peek")}});
  return f;
}

}  // namespace pyrace::test
