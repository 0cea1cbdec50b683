#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "tests/tool/sample_findings.h"
#include "tool/render/graph_layout.h"
#include "tool/render/html.h"

namespace pyrace {
namespace {

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

std::string Render(const std::vector<Finding>& findings, ReportInfo info = {}) {
  SourceLines sources;
  std::ostringstream out;
  RenderHtml(findings, info, sources, out);
  return out.str();
}

// A three-lock cycle shaped like LockOrderDetector's.
Finding Cycle() {
  Finding f;
  f.kind = FindingKind::kLockOrderInversion;
  f.message = "lock-order inversion: the locks A (L1) -> B (L2) -> C (L3) -> A (L1) form a cycle";
  f.primary = test::Loc("bank.py", 12, "move");
  for (int i = 0; i < 3; ++i) {
    f.sections.push_back({"Lock acquired here:", {test::Loc("bank.py", 12 + i, "move")}});
    f.sections.push_back({"was acquired here:", {test::Loc("bank.py", 11 + i, "move")}});
    f.graph.nodes.push_back({GraphNodeKind::kLock, "L" + std::to_string(i + 1), std::string(1, char('A' + i)), ""});
  }
  for (uint32_t i = 0; i < 3; ++i) {
    f.graph.edges.push_back({i, (i + 1) % 3, "Thread-" + std::to_string(i + 1) + " at bank.py:" + std::to_string(12 + i),
                             test::Loc("bank.py", 12 + i, "move"), true, static_cast<int>(2 * i)});
  }
  f.holds.push_back({"T1", "T1 (Thread-1)", "L1", "A (L1)", 100, 900, false, test::Loc("bank.py", 11, "move")});
  f.holds.push_back({"T2", "T2 (Thread-2)", "L2", "B (L2)", 300, 1200, true, test::Loc("bank.py", 12, "move")});
  return f;
}

TEST(GraphLayout, CircleStartsOnTopAndGoesClockwise) {
  const std::vector<Point> p = CircleLayout(4, 100, 100, 50);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_NEAR(p[0].x, 100, 1e-9);
  EXPECT_NEAR(p[0].y, 50, 1e-9);
  EXPECT_NEAR(p[1].x, 150, 1e-9);  // clockwise on screen (y down): right comes next
  EXPECT_NEAR(p[1].y, 100, 1e-9);
  EXPECT_NEAR(p[2].y, 150, 1e-9);
  EXPECT_NEAR(p[3].x, 50, 1e-9);
  for (const Point& q : CircleLayout(7, 0, 0, 30)) EXPECT_NEAR(std::hypot(q.x, q.y), 30, 1e-9);
  const std::vector<Point> one = CircleLayout(1, 10, 20, 30);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].x, 10);
  EXPECT_EQ(one[0].y, 20);
}

TEST(GraphLayout, CurvesStartOnTheRimsAndOppositeEdgesBendApart) {
  const Point a{0, 0};
  const Point b{100, 0};
  const EdgeCurve ab = CurveBetween(a, b, 10, 20);
  const EdgeCurve ba = CurveBetween(b, a, 10, 20);
  EXPECT_NEAR(std::hypot(ab.start.x - a.x, ab.start.y - a.y), 10, 1e-9);
  EXPECT_NEAR(std::hypot(ab.end.x - b.x, ab.end.y - b.y), 10, 1e-9);
  EXPECT_LT(ab.control.y, 0);  // left of rightwards on screen is up
  EXPECT_GT(ba.control.y, 0);
  EXPECT_NEAR(ab.label.x, 50, 1e-9);
  const EdgeCurve loop = CurveBetween(a, a, 10, 20);
  EXPECT_LT(loop.control.y, -10);
  EXPECT_NE(loop.start.x, loop.end.x);
}

TEST(RenderHtml, EscapesEverythingThatCouldOpenMarkup) {
  EXPECT_EQ(HtmlEscape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(HtmlEscape(std::string("a\x01z", 3)), "a&#xFFFD;z");
}

TEST(RenderHtml, ProgramStringsCannotInjectMarkup) {
  const std::string evil = "<img src=x onerror=alert(1)>\"'&";
  Finding f = Cycle();
  f.message += evil;
  f.primary.file = "/tmp/" + evil + ".py";
  f.primary.function = evil;
  f.sections[0].title = evil;
  f.sections[0].frames[0].function = evil;
  f.sections[0].frames[0].file = "/tmp/</pre><script>x()</script>.py";
  f.sections[0].test = "tests/test_x.py::test[" + evil + "]";
  f.notes.push_back(evil);
  f.graph.nodes[0].name = evil;
  f.graph.nodes[1].id = evil;
  f.graph.edges[0].label = evil;
  f.holds[0].thread = evil;
  f.holds[0].lock = evil;
  f.holds[0].lock_id = evil;
  ReportInfo info;
  info.unused_suppressions.push_back("race:" + evil);
  const std::string html = Render({f}, info);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("onerror=alert(1)>"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;"), std::string::npos);
  // Every quote in the page is one the renderer wrote: attribute values stay closed.
  EXPECT_EQ(Count(html, "onerror"), Count(html, "&lt;img src=x onerror"));
}

TEST(RenderHtml, SelfContainedPageForbidsEveryLoad) {
  const std::string html = Render({Cycle()});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\""),
            std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(RenderHtml, GraphHasEveryLockAndHighlightsTheCycleEdgesLinkedToTheirStacks) {
  const std::string html = Render({Cycle()});
  EXPECT_EQ(Count(html, "<svg "), 2u);  // the graph and the timeline
  EXPECT_EQ(Count(html, "<g class=\"node lock\""), 3u);
  for (const char* name : {">A</text>", ">B</text>", ">C</text>"}) EXPECT_NE(html.find(name), std::string::npos);
  EXPECT_EQ(Count(html, "<g class=\"edge cycle\""), 3u);
  EXPECT_NE(html.find("data-from=\"L3\" data-to=\"L1\""), std::string::npos);
  EXPECT_NE(html.find(">Thread-2 at bank.py:13</text>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#f1-s2\">"), std::string::npos);
  EXPECT_NE(html.find("id=\"f1-s2\""), std::string::npos);
  EXPECT_NE(html.find("Lock-order graph"), std::string::npos);
}

TEST(RenderHtml, TimelineHasOneRowPerThreadAndMarksOpenHolds) {
  const std::string html = Render({Cycle()});
  EXPECT_NE(html.find(">T1 (Thread-1)</text>"), std::string::npos);
  EXPECT_NE(html.find(">T2 (Thread-2)</text>"), std::string::npos);
  EXPECT_EQ(Count(html, "<rect class=\"hold "), 2u);
  EXPECT_EQ(Count(html, " open\" data-lock=\"L2\""), 1u);
  EXPECT_NE(html.find("(still held)"), std::string::npos);
  // The first hold starts the axis, after the thread labels' column (its least width, 120).
  EXPECT_NE(html.find("data-lock=\"L1\" data-thread=\"T1\" x=\"120.0\""), std::string::npos);
  // L2's hold begins 200 us into the 1100 us span: 120 + 200 / 1100 * 680.
  EXPECT_NE(html.find("data-lock=\"L2\" data-thread=\"T2\" x=\"243.6\""), std::string::npos);
}

TEST(RenderHtml, FoldsMachineryFramesAndGroupsByTest) {
  Finding a = test::MissedRelease("seed.py");
  a.sections[0].frames.push_back(test::Loc("/usr/lib/python3.11/threading.py", 1038, "Thread._bootstrap_inner"));
  a.sections[0].frames.push_back(test::Loc("/usr/lib/python3.11/threading.py", 995, "Thread._bootstrap"));
  a.sections[0].test = "tests/test_a.py::test_one";
  Finding b = test::Race("r.py");
  b.sections[0].test = "tests/test_a.py::test_two";
  const std::string html = Render({a, b});
  EXPECT_NE(html.find("<details class=\"folded\"><summary>#1-#3 folded: 3 frames in threading.py</summary>"),
            std::string::npos);
  const size_t one = html.find("<h2 class=\"test\">in test <code>tests/test_a.py::test_one</code></h2>");
  const size_t two = html.find("<h2 class=\"test\">in test <code>tests/test_a.py::test_two</code></h2>");
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(two, std::string::npos);
  EXPECT_LT(one, html.find("id=\"f1\""));
  EXPECT_LT(html.find("id=\"f1\""), two);
  EXPECT_LT(two, html.find("id=\"f2\""));
}

TEST(RenderHtml, SourceExcerptMarksTheFramesLine) {
  const std::string path = std::string(PYRACE_TEST_TMP) + "/excerpt_<b>.py";
  {
    std::ofstream src(path);
    src << "a = 1\nb = 2\nif x < y and z > 0:\n    pass\ne = 5\nf = 6\n";
  }
  Finding f = test::Race(path);
  f.sections[0].frames = {test::Loc(path, 3, "main")};
  const std::string html = Render({f});
  EXPECT_NE(html.find("<span class=\"ln\">1</span>  a = 1\n"), std::string::npos);
  EXPECT_NE(html.find("<mark><span class=\"ln\">3</span>  if x &lt; y and z &gt; 0:</mark>\n"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"ln\">5</span>  e = 5\n</pre>"), std::string::npos);
  EXPECT_NE(html.find("excerpt_&lt;b&gt;.py:3"), std::string::npos);
}

TEST(RenderHtml, EmptyReportSaysSo) {
  const std::string html = Render({});
  EXPECT_NE(html.find("<title>pyrace report: 0 warnings</title>"), std::string::npos);
  EXPECT_NE(html.find("<p>No warnings.</p>"), std::string::npos);
}

}  // namespace
}  // namespace pyrace
