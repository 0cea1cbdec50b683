// pyrace-lint: the linter on its own (the same LintMain `pyrace lint` calls), for tests,
// benchmarks and pre-commit hooks that need no runtime.
#include "tool/lint/lint_main.h"

int main(int argc, char** argv) { return pyrace::LintMain(argc, argv); }
