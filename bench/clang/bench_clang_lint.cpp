// In-process comparison on CPython's Modules/: Clang's syntax-only action vs the GIL
// lint, same files, same compile_commands.json, same process (no exec overhead on
// either side). PYRACE_BENCH_CPYTHON_DB names the directory cpython_compile_db.sh wrote;
// without it the benchmarks report an error and do nothing.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "clang/Frontend/FrontendActions.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "clang/Tooling/Tooling.h"
#include "instrument/clang/c_lint.h"

namespace {

const char* DbDir() { return std::getenv("PYRACE_BENCH_CPYTHON_DB"); }

std::vector<std::string> Files() {
  std::vector<std::string> out;
  if (!DbDir()) return out;
  std::ifstream in(std::string(DbDir()) + "/files.txt");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

void BM_SyntaxOnly(benchmark::State& state) {
  std::vector<std::string> files = Files();
  std::string err;
  auto db = DbDir() ? clang::tooling::CompilationDatabase::loadFromDirectory(DbDir(), err) : nullptr;
  if (!db || files.empty()) {
    state.SkipWithError("set PYRACE_BENCH_CPYTHON_DB (see bench/clang/modules_vs_syntax_only.sh)");
    return;
  }
  for (auto _ : state) {
    clang::tooling::ClangTool tool(*db, files);
    tool.appendArgumentsAdjuster(clang::tooling::getInsertArgumentAdjuster(
        {"-resource-dir=/usr/lib/llvm-14/lib/clang/14.0.6", "-w"},
        clang::tooling::ArgumentInsertPosition::END));
    clang::IgnoringDiagConsumer quiet;
    tool.setDiagnosticConsumer(&quiet);
    benchmark::DoNotOptimize(
        tool.run(clang::tooling::newFrontendActionFactory<clang::SyntaxOnlyAction>().get()));
  }
  state.counters["files"] = static_cast<double>(files.size());
}

void BM_PyraceLint(benchmark::State& state) {
  std::vector<std::string> files = Files();
  if (files.empty()) {
    state.SkipWithError("set PYRACE_BENCH_CPYTHON_DB (see bench/clang/modules_vs_syntax_only.sh)");
    return;
  }
  pyrace::CLintOptions opts;
  opts.compile_commands_dir = DbDir();
  size_t findings = 0;
  for (auto _ : state) {
    std::vector<std::string> errors;
    findings = pyrace::LintCFiles(files, opts, &errors).size();
  }
  state.counters["files"] = static_cast<double>(files.size());
  state.counters["findings"] = static_cast<double>(findings);
}

BENCHMARK(BM_SyntaxOnly)->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(3);
BENCHMARK(BM_PyraceLint)->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(3);

}  // namespace

BENCHMARK_MAIN();
