// PYR000: a file that does not parse. Reported with its position; the other files are
// still linted (exit code 1 like any finding, 2 only for unreadable inputs).
#include "tool/lint/rule.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR000", "syntax-error", "syntax-error", FindingKind::kSyntaxError, Severity::kError,
    "The file does not parse as Python 3",
    "pyrace lint parses every file with tree-sitter's Python grammar (Python 3 up to 3.13). A file that "
    "does not parse cannot be checked for lock misuse, so the error is reported at its position and the "
    "rest of the project is still linted.",
    true};

class SyntaxErrorRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    for (const auto& file : project.files()) {
      for (const auto& e : file.syntax_errors) out.push_back(MakeFinding(kInfo, file, nullptr, e.pos, e.message));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> MakeSyntaxErrorRule() { return std::make_unique<SyntaxErrorRule>(); }

}  // namespace pyrace::lint
