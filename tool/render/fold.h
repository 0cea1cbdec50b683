// How a stack reads when the standard library's thread and lock machinery and pyrace's
// own frames (runtime/model/machinery.h) are folded: the text and HTML reports show the
// same frames and fold the same runs.
#pragma once

#include <cstddef>
#include <vector>

#include "runtime/model/finding.h"

namespace pyrace {

// Frames [from, to): one frame shown (to == from + 1, folded false) or a folded run.
struct FrameRun {
  size_t from = 0;
  size_t to = 0;
  bool folded = false;
};

// Each run of machinery frames shrinks to one folded run, keeping the frame the program
// called into, next to its own code ("Condition.wait"), so a stack reads as the
// program's frames and the API they used. A stack with no frame of the program's is
// shown whole: there would be nothing left to read. full: no folding.
std::vector<FrameRun> FoldFrames(const std::vector<SourceLocation>& frames, bool full);

bool FoldableFrame(const SourceLocation& fr);

}  // namespace pyrace
