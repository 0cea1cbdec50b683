// Drives the real pyrace binary: runs it in a private temp dir, captures its output and
// exit code, and turns JSON reports and `# expect:` annotations into comparable sets.
#pragma once

#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace pyrace::e2e {

// A directory under $TMPDIR removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct ToolResult {
  int exit_code = -1;  // 128+N when the tool itself died of signal N
  std::string out;     // standard output
  std::string err;     // standard error
};

// Runs `pyrace args...` with extra environment entries ("NAME=value"), in cwd when
// given, with stdin from stdin_file (default /dev/null).
ToolResult RunPyrace(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                     const std::string& cwd = "", const std::string& stdin_file = "/dev/null");

// Starts `pyrace args...` with its stdout on a pipe, waits until the program prints
// `line`, sends sig to pyrace and returns pyrace's exit code (128+N when killed by N).
// watch_fd: 1 (stdout) or 2 (stderr); with output, everything pyrace wrote there until
// it exited is kept.
int SignalPyraceWhenReady(const std::vector<std::string>& args, const std::string& line, int sig,
                          int watch_fd = 1, std::string* output = nullptr);

// (kind, canonical file, line)
using Expected = std::tuple<std::string, std::string, int>;
using FindingSet = std::set<Expected>;

// The `# expect: kind[, kind...]` annotations of a program (`// expect:` in C sources).
FindingSet Annotations(const std::string& program, const std::string& marker = "# expect:");

// The primary locations of a JSON report's findings.
FindingSet FindingsOf(const nlohmann::json& report);

// One run of a testdata program by a directory's annotation test. A program says how
// it is run in `# fixture:` comments (testdata/runtime/README.md):
//   `# fixture: args A B`       one run with these program arguments (one line per run;
//                               none: one run without arguments);
//   `# fixture: options --x N`  pyrace options of every run, before the program;
//   `# fixture: exit N`         the program's own exit code when pyrace finds nothing;
//   `# fixture: helper`         not a fixture: a test of its own runs it.
struct Fixture {
  std::string file;  // name in the directory
  std::vector<std::string> args;
  std::vector<std::string> options;
  int clean_exit = 0;
};

// The runs of dir/name as its comments say (none for a helper).
std::vector<Fixture> FixtureRuns(const std::string& dir, const std::string& name);
// Every *.py program of dir that is a fixture, one entry per run, sorted by name: a
// program added there is tested without being listed anywhere.
std::vector<Fixture> Fixtures(const std::string& dir);
// One fixture run under `pyrace run --format json`, extra options after the fixture's
// own: the tool's result, the program's annotations and the report's findings.
struct FixtureResult {
  ToolResult tool;
  FindingSet expected;
  FindingSet actual;
};
FixtureResult RunFixture(const std::string& dir, const Fixture& f, const std::vector<std::string>& extra = {});
// The test name of a run: the program's name and its arguments, `_`-joined.
std::string FixtureName(const Fixture& f);
void PrintTo(const Fixture& f, std::ostream* os);

nlohmann::json ReadJson(const std::string& path);
std::string ReadText(const std::string& path);
void WriteText(const std::string& path, const std::string& text);

std::string Testdata(const std::string& name);  // absolute path in testdata/runtime
std::string Canonical(const std::string& path);
std::string Describe(const FindingSet& s);

// An interpreter for python3.<minor> on this machine, or "" (/usr/bin, the build tree's
// Debian-testing root, pyenv).
std::string FindPython(int minor);

}  // namespace pyrace::e2e
