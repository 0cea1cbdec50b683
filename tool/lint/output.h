// The lint report formats: text (compiler style with the source line and a caret),
// json (the shared {"findings": [...]} contract), github (workflow annotations) and sarif.
#pragma once

#include <ostream>
#include <string>

#include "tool/lint/driver.h"

namespace pyrace::lint {

// The kind id of a finding ("syntax-error" for PYR000).
std::string KindIdOf(const Finding& f);

void RenderLintText(const LintOutcome& o, bool color, std::ostream& out);
void RenderLintJson(const LintOutcome& o, std::ostream& out);
void RenderLintGithub(const LintOutcome& o, std::ostream& out);
void RenderLintSarif(const LintOutcome& o, std::ostream& out);

}  // namespace pyrace::lint
