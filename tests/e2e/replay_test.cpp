// record -> replay: the same findings offline as live; damaged traces still replay up
// to their last whole chunk; files that are not traces are input errors.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "runtime/trace/trace.h"
#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

struct Recorded {
  TempDir dir;
  std::string trace = dir.File("run.pyrt");
  nlohmann::json live;
};

void Record(const std::string& program, Recorded* rec, const std::vector<std::string>& args = {}) {
  const std::string report = rec->dir.File("live.json");
  std::vector<std::string> argv = {"record", "-o", rec->trace, "--format", "json", "--output", report,
                                   Testdata(program)};
  argv.insert(argv.end(), args.begin(), args.end());
  const ToolResult r = RunPyrace(argv);
  ASSERT_EQ(r.exit_code, 66) << r.err;
  rec->live = ReadJson(report);
}

TEST(Replay, GivesTheSameFindingsAsTheLiveRun) {
  Recorded rec;
  Record("seed_early_return_deadlock.py", &rec);
  const std::string report = rec.dir.File("replay.json");
  const ToolResult r = RunPyrace({"replay", rec.trace, "--format", "json", "--output", report});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json offline = ReadJson(report);
  EXPECT_EQ(FindingsOf(offline), Annotations(Testdata("seed_early_return_deadlock.py")));
  EXPECT_EQ(offline["findings"], rec.live["findings"]);
}

TEST(Replay, WritesTheReportToStandardOutput) {
  Recorded rec;
  Record("lockdep_abba.py", &rec);
  const ToolResult r = RunPyrace({"replay", rec.trace, "--format=json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(FindingsOf(j), Annotations(Testdata("lockdep_abba.py")));
}

TEST(Replay, ReadsStandardInputForDash) {
  Recorded rec;
  Record("lockdep_abba.py", &rec);
  const ToolResult r = RunPyrace({"replay", "-", "--format", "json"}, {}, "", rec.trace);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(FindingsOf(nlohmann::json::parse(r.out)), Annotations(Testdata("lockdep_abba.py"))) << r.out;
}

TEST(Replay, OtherOptionsApplyOffline) {
  Recorded rec;
  Record("lockdep_abba.py", &rec);
  // The same trace, analysed for races only: no lock-order finding, exit 0.
  const ToolResult r = RunPyrace({"replay", rec.trace, "--detect", "races", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(FindingsOf(nlohmann::json::parse(r.out)).empty()) << r.out;
}

TEST(Replay, TruncatedTraceReplaysWithANote) {
  Recorded rec;
  Record("lockdep_abcdbcda.py", &rec);
  const std::string bytes = ReadText(rec.trace);
  ASSERT_GT(bytes.size(), 64u);
  const std::string cut = rec.dir.File("cut.pyrt");
  WriteText(cut, bytes.substr(0, bytes.size() - 7));
  const ToolResult r = RunPyrace({"replay", cut, "--format", "json"});
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << r.err;
  EXPECT_NE(r.err.find("pyrace: trace truncated at byte "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(crashed or killed run?); analysed "), std::string::npos) << r.err;
  EXPECT_FALSE(nlohmann::json::parse(r.out, nullptr, false).is_discarded()) << r.out;
}

TEST(Replay, ExportsAChromeTimelineInsteadOfAReport) {
  Recorded rec;
  Record("lockdep_abba.py", &rec);
  const std::string out = rec.dir.File("timeline.json");
  const ToolResult r = RunPyrace({"replay", rec.trace, "--export", "chrome", "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = ReadJson(out);
  int slices = 0, thread_names = 0;
  for (const auto& e : doc.at("traceEvents")) {
    if (e.at("ph") == "X") ++slices;
    if (e.at("ph") == "M" && e.at("name") == "thread_name") ++thread_names;
  }
  EXPECT_GE(slices, 4) << out;  // both threads hold both locks at least once
  EXPECT_GE(thread_names, 3);   // MainThread and the two workers
}

TEST(Replay, ExportsRapidStdLines) {
  Recorded rec;
  Record("lockdep_abba.py", &rec);
  const ToolResult r = RunPyrace({"replay", rec.trace, "--export", "std"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("|acq(L"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("|rel(L"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("|fork(T"), std::string::npos) << r.out;
}

TEST(Replay, ExportOfAnUnknownFormatIsAUsageError) {
  Recorded rec;
  Record("lockdep_abba.py", &rec);
  EXPECT_EQ(RunPyrace({"replay", rec.trace, "--export", "xml"}).exit_code, 2);
}

TEST(Replay, GarbageIsAnInputError) {
  TempDir tmp;
  const std::string garbage = tmp.File("garbage.pyrt");
  WriteText(garbage, std::string(4096, 'x'));
  const ToolResult r = RunPyrace({"replay", garbage});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pyrace: cannot replay '" + garbage + "'"), std::string::npos) << r.err;
}

TEST(Replay, MissingFileIsAnInputError) {
  TempDir tmp;
  const ToolResult r = RunPyrace({"replay", tmp.File("nothing.pyrt")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nothing.pyrt"), std::string::npos) << r.err;
}

// The first 12 bytes (magic, major, minor) keep their layout across major versions
// (docs/trace-format.md), so a newer trace is one with a larger major there.
TEST(Replay, TraceFromANewerMajorVersionIsAnInputError) {
  TempDir tmp;
  const std::string path = tmp.File("future.pyrt");
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  {
    TraceWriter writer(fd, TraceHeader{});
    Event e;
    e.kind = EventKind::kThreadExit;
    writer.Emit(e);
  }
  close(fd);
  std::string bytes = ReadText(path);
  ASSERT_GT(bytes.size(), 12u);
  bytes[8] = static_cast<char>(kTraceVersionMajor + 1);
  bytes[9] = 0;
  WriteText(path, bytes);
  const ToolResult r = RunPyrace({"replay", path});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("pyrace: cannot replay '" + path + "': trace format version " +
                       std::to_string(kTraceVersionMajor + 1) + "." + std::to_string(kTraceVersionMinor) + " is newer"),
            std::string::npos)
      << r.err;
}

TEST(Replay, EmptyFileIsAnInputError) {
  TempDir tmp;
  const std::string path = tmp.File("empty.pyrt");
  WriteText(path, "");
  const ToolResult r = RunPyrace({"replay", path});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("pyrace: cannot replay '" + path + "'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pyrace::e2e
