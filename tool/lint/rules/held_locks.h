// The locks a blocking-call rule counts as held: shared locks that guard a critical
// section, shared by PYR007 and PYR010.
#pragma once

#include <vector>

#include "tool/lint/project.h"

namespace pyrace::lint {

inline std::vector<LockId> CriticalSectionLocks(const Project& project, const FunctionFacts& fn,
                                                const std::vector<Ref>& held) {
  std::vector<LockId> out;
  for (const auto& h : held) {
    LockId l = project.Resolve(fn, h);
    // A Lock used as a signal between threads (released where it was not taken, or
    // taken and left for another to release) guards no critical section.
    if (l.IsSharedLock() && !project.IsHandedOff(l.key)) out.push_back(std::move(l));
  }
  return out;
}

}  // namespace pyrace::lint
