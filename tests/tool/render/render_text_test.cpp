#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/tool/sample_findings.h"
#include "tool/render/text.h"

namespace pyrace {
namespace {

std::string WriteSource() {
  const std::string path = std::string(PYRACE_TEST_TMP) + "/render_source.py";
  std::ofstream out(path);
  for (int i = 1; i <= 12; ++i) {
    if (i == 7) {
      out << "    lock.acquire()\n";
    } else if (i == 12) {
      out << "        return\n";
    } else {
      out << "# line " << i << "\n";
    }
  }
  return path;
}

std::string Render(const std::vector<Finding>& findings, ReportInfo info = {}) {
  SourceLines sources;
  std::ostringstream out;
  RenderText(findings, info, sources, out);
  return out.str();
}

TEST(RenderText, HeaderSummaryAndCountFollowTsanLayout) {
  const std::string file = WriteSource();
  ReportInfo info;
  info.pid = 4242;
  const std::string text = Render({test::MissedRelease(file)}, info);
  EXPECT_NE(text.find("==================\n==4242==WARNING: pyrace: missed-release (pid=4242)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("SUMMARY: pyrace: missed-release " + file + ":7 in get_value\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pyrace: reported 1 warning\n"), std::string::npos) << text;
  EXPECT_NE(text.find("(seen 3 times; the first is shown)"), std::string::npos) << text;
}

TEST(RenderText, FramesCarrySourceLinesWhenTheFileExists) {
  const std::string file = WriteSource();
  const std::string text = Render({test::MissedRelease(file)});
  EXPECT_NE(text.find("  Lock L1 acquired here by thread T5 (Thread-5 (get_value)):\n"
                      "    #0 get_value " + file + ":7\n"
                      "        lock.acquire()\n"
                      "    #1 Thread.run /usr/lib/python3.11/threading.py:975\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    #0 get_value " + file + ":12\n        return\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  hint: release the lock in a finally: block, or use `with lock:`\n"), std::string::npos);
}

TEST(RenderText, MissingSourceFileOnlyDropsTheSourceLine) {
  const std::string text = Render({test::Race("/nonexistent/app.py")});
  EXPECT_NE(text.find("    #0 Worker.bump /nonexistent/app.py:9\n    #1 run_all /nonexistent/app.py:30\n"),
            std::string::npos)
      << text;
}

TEST(RenderText, TrailerCountsSuppressedAndListsUnusedSuppressions) {
  ReportInfo info;
  info.suppressed = 2;
  info.unused_suppressions = {"race:nothing (supp.txt:1)"};
  const std::string text = Render({test::Race("a.py"), test::Race("b.py")}, info);
  EXPECT_NE(text.find("pyrace: reported 2 warnings (2 suppressed)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pyrace: unused suppression: race:nothing (supp.txt:1)\n"), std::string::npos) << text;
}

TEST(RenderText, NoFindingsIsJustTheCountLineOrNothing) {
  EXPECT_EQ(Render({}), "pyrace: reported 0 warnings\n");
  ReportInfo quiet;
  quiet.quiet_when_clean = true;
  EXPECT_EQ(Render({}, quiet), "");
  quiet.suppressed = 1;
  EXPECT_EQ(Render({}, quiet), "pyrace: reported 0 warnings (1 suppressed)\n");
}

TEST(RenderText, ColourOnlyWhenAsked) {
  ReportInfo info;
  EXPECT_EQ(Render({test::Race("a.py")}, info).find('\033'), std::string::npos);
  info.color = true;
  EXPECT_NE(Render({test::Race("a.py")}, info).find("\033[1m\033[31m"), std::string::npos);
}

}  // namespace
}  // namespace pyrace
