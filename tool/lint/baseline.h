// Baselines: a file of known findings (by rule, file and fingerprint) that `--baseline`
// hides, so a team can adopt the linter on an old codebase and fail CI only on new
// findings. Fingerprints hash the rule, file, function and the source line's text (not
// its number), so unrelated edits that move code do not resurrect baselined findings.
#pragma once

#include <string>
#include <vector>

#include "runtime/model/finding.h"

namespace pyrace::lint {

// Sets Finding::fingerprint from the rule, file, function and the trimmed text of the
// primary line (`line_text`), numbering repeats of the same key.
void AssignFingerprints(std::vector<Finding>& findings, const std::vector<std::string>& line_texts);

bool WriteBaseline(const std::string& path, const std::vector<Finding>& findings, std::string* error);
// Removes findings present in the baseline (each baseline entry hides one finding).
// Returns the number hidden, or -1 with *error when the file cannot be read.
int ApplyBaseline(const std::string& path, std::vector<Finding>& findings, std::string* error);

}  // namespace pyrace::lint
