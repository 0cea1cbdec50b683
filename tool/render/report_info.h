// What a report says besides its findings: the run it came from and what the
// suppressions did. Shared by every renderer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pyrace {

struct ReportInfo {
  uint32_t pid = 0;    // the analysed program's pid; 0 = unknown
  bool color = false;  // ANSI colours in the text report
  // Text: every frame, instead of folding the standard library's thread and lock
  // machinery and pyrace's own frames (machinery.h) into one line per run of them.
  bool full_stacks = false;
  // A clean `run` prints nothing on the program's stderr, as TSan does; replay says
  // "reported 0 warnings".
  bool quiet_when_clean = false;
  uint32_t suppressed = 0;  // findings dropped by suppressions or ignore comments
  uint32_t reported_earlier = 0;  // text: findings already printed while the program ran
  // Suppression lines that matched nothing ("race:worker_* (supp.txt:3)").
  std::vector<std::string> unused_suppressions;
};

}  // namespace pyrace
