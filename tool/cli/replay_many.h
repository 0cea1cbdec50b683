// `pyrace replay` over several inputs: traces (files, or every file of a directory) and
// lock-class summaries written by `--summary-out` (docs/fleets.md). Each trace is
// analysed on its own, as a single replay does; its lock-class summary joins the
// summaries given, and their merge adds the lock-order inversions whose orders were
// taken in different processes or different recorded runs.
#pragma once

#include <string>
#include <vector>

#include "runtime/options/options.h"

namespace pyrace {

// summary_out: where each trace's summary goes (a file for one trace, else a
// directory, made when missing); empty for none. Exit code as replay's.
// Whether path holds a lock-class summary rather than a trace (it starts with '{').
bool LooksLikeSummary(const std::string& path);

int ReplayMany(const std::vector<std::string>& inputs, const Options& opts, const std::string& summary_out);

}  // namespace pyrace
