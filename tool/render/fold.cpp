#include "tool/render/fold.h"

#include <algorithm>

#include "runtime/model/machinery.h"

namespace pyrace {

bool FoldableFrame(const SourceLocation& fr) { return IsSyncMachinery(fr.file) || IsPyraceFrame(fr.file); }

std::vector<FrameRun> FoldFrames(const std::vector<SourceLocation>& frames, bool full) {
  std::vector<FrameRun> runs;
  const bool has_own = std::any_of(frames.begin(), frames.end(), [](const auto& f) { return !FoldableFrame(f); });
  size_t i = 0;
  while (i < frames.size()) {
    if (full || !has_own || !FoldableFrame(frames[i])) {
      runs.push_back({i, i + 1, false});
      ++i;
      continue;
    }
    size_t end = i;
    while (end < frames.size() && FoldableFrame(frames[end])) ++end;
    const bool keep_entry = end < frames.size() && IsSyncMachinery(frames[end - 1].file);
    const size_t fold_end = keep_entry ? end - 1 : end;
    if (fold_end - i >= 2) {
      runs.push_back({i, fold_end, true});
    } else if (fold_end > i) {
      runs.push_back({i, i + 1, false});
    }
    if (keep_entry) runs.push_back({end - 1, end, false});
    i = end;
  }
  return runs;
}

}  // namespace pyrace
