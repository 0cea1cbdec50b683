// pyrace-clang-lint: the C-extension checks on their own, for extension authors'
// scripts, the CPython Modules/ test and the benchmark. `pyrace lint` is the product
// entry point; this prints the same findings one per line.
//   pyrace-clang-lint [-p BUILD_DIR] [--python-include DIR] [--functions] FILE... [-- FLAGS...]
// Exit: 0 clean, 1 findings, 2 usage or parse errors with no findings.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "instrument/clang/c_lint.h"

namespace {

void Print(const pyrace::Finding& f, bool with_function) {
  std::printf("%s:%u:%u: %s: %s [%s]", f.primary.file.c_str(), f.primary.line, f.primary.column,
              pyrace::FindingKindId(f.kind), f.message.c_str(), f.rule.c_str());
  if (with_function) std::printf(" {%s}", f.primary.function.c_str());
  std::printf("\n");
  for (const pyrace::Section& s : f.sections) {
    for (const pyrace::SourceLocation& l : s.frames) {
      std::printf("    %s: %s:%u\n", s.title.c_str(), l.file.c_str(), l.line);
    }
  }
  for (const std::string& n : f.notes) std::printf("    note: %s\n", n.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  pyrace::CLintOptions opts;
  std::vector<std::string> files;
  bool with_function = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) opts.extra_args.push_back(argv[i]);
      break;
    }
    if (a == "-p" && i + 1 < argc) {
      opts.compile_commands_dir = argv[++i];
    } else if (a == "--python-include" && i + 1 < argc) {
      opts.python_include_dir = argv[++i];
    } else if (a == "--interpreter" && i + 1 < argc) {
      opts.interpreter = argv[++i];
    } else if (a == "--functions") {
      with_function = true;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "pyrace-clang-lint: unknown option %s\n", a.c_str());
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: pyrace-clang-lint [-p DIR] FILE... [-- FLAGS...]\n");
    return 2;
  }
  std::vector<std::string> errors;
  std::vector<pyrace::Finding> findings = pyrace::LintCFiles(files, opts, &errors);
  for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
  for (const pyrace::Finding& f : findings) Print(f, with_function);
  if (!findings.empty()) return 1;
  return errors.empty() ? 0 : 2;
}
