// The tool's own exit codes (docs/usage.md): run passes the program's code through when
// clean and uses options.exitcode (66) with findings.
#pragma once

#include <cstdio>
#include <string>

namespace pyrace {

inline constexpr int kExitClean = 0;     // replay/lint: no findings
inline constexpr int kExitFindings = 1;  // replay/lint: findings reported
inline constexpr int kExitUsage = 2;     // bad command line, missing input, unreadable trace

// Prints "pyrace: msg" on stderr and returns kExitUsage.
inline int Fail(const std::string& msg) {
  std::fprintf(stderr, "pyrace: %s\n", msg.c_str());
  return kExitUsage;
}

}  // namespace pyrace
