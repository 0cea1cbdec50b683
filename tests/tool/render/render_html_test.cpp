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
  // The first hold starts the axis, after the thread labels' column (its least width,
  // 120) and half of one of the 4 steps over 30% of 680.
  EXPECT_NE(html.find("data-lock=\"L1\" data-thread=\"T1\" x=\"145.5\""), std::string::npos);
  // L2's hold begins a step and 200 us later, the 1100 us span taking 70% of 680.
  EXPECT_NE(html.find("data-lock=\"L2\" data-thread=\"T2\" x=\"283.0\""), std::string::npos);
}

TEST(TimeAxis, LongIdleStretchesBecomeBreaksAndBusyPiecesShareTheWidth) {
  // Three threads one after another: 100 us, 9.9 ms of nothing, 100 us, 9.9 ms, 50 us.
  const TimeAxis axis({{{10000, 3}, {10100, 4}}, {{0, 1}, {100, 2}}, {{20000, 5}, {20050, 6}}}, 100, 680, 14);
  const auto& p = axis.pieces();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].begin, 0u);
  EXPECT_EQ(p[0].end, 100u);
  EXPECT_EQ(p[1].begin, 10000u);
  EXPECT_EQ(p[2].end, 20050u);
  EXPECT_NEAR(p[0].x0, 100, 1e-9);
  EXPECT_NEAR(p[2].x1, 780, 1e-9);
  EXPECT_NEAR(p[1].x0 - p[0].x1, 14, 1e-9);
  // 680 less two 14-wide breaks: 30% in 6 even steps (3 within pieces, 2 across breaks,
  // half a step at either end), 70% by the 250 us held.
  const double step = 0.3 * 652 / 6;
  EXPECT_NEAR(axis.X({0, 1}), 100 + step / 2, 1e-9);
  EXPECT_NEAR(axis.X({100, 2}) - axis.X({0, 1}), step + 0.7 * 652 * 100 / 250, 1e-9);
  EXPECT_NEAR(axis.X({20050, 6}) - axis.X({20000, 5}), step + 0.7 * 652 * 50 / 250, 1e-9);
  EXPECT_NEAR(axis.X({10000, 3}) - axis.X({100, 2}), step + 14, 1e-9);
}

TEST(TimeAxis, HoldsTheClockCannotTellApartShowInEventOrder) {
  // A coarse clock: both holds at 500 us, the second nested in the first by event order.
  const TimeAxis axis({{{500, 1}, {500, 4}}, {{500, 2}, {500, 3}}}, 0, 1000, 14);
  ASSERT_EQ(axis.pieces().size(), 1u);
  EXPECT_NEAR(axis.X({500, 1}), 125, 1e-9);
  EXPECT_NEAR(axis.X({500, 2}), 375, 1e-9);
  EXPECT_NEAR(axis.X({500, 3}), 625, 1e-9);
  EXPECT_NEAR(axis.X({500, 4}), 875, 1e-9);
}

TEST(TimeAxis, OverlappingOrCloseHoldsStayOnOnePiece) {
  // The 30 us gap is under 5% of the 1000 us span: no break.
  const TimeAxis axis({{{0, 1}, {500, 4}}, {{400, 2}, {600, 5}}, {{630, 6}, {1000, 7}}}, 0, 1000, 14);
  ASSERT_EQ(axis.pieces().size(), 1u);
  EXPECT_NEAR(axis.X({0, 1}), 25, 1e-9);
  EXPECT_NEAR(axis.X({400, 2}), 25 + 50 + 0.7 * 400, 1e-9);
  EXPECT_NEAR(axis.X({1000, 7}), 975, 1e-9);
}

TEST(RenderHtml, TimelineOfThreadsRunningOneAfterAnotherMarksItsBreaks) {
  Finding f = Cycle();
  f.holds.clear();
  f.holds.push_back({"T1", "T1 (Thread-1)", "L1", "A (L1)", 0, 100, false, test::Loc("bank.py", 11, "move")});
  f.holds.push_back({"T2", "T2 (Thread-2)", "L2", "B (L2)", 10000, 10100, false, test::Loc("bank.py", 12, "move")});
  f.holds.push_back({"T3", "T3 (Thread-3)", "L3", "C (L3)", 20000, 20050, false, test::Loc("bank.py", 13, "move")});
  const std::string html = Render({f});
  EXPECT_EQ(Count(html, "<g class=\"break\">"), 2u);
  EXPECT_EQ(Count(html, "nothing held for 9.9 ms (left out)"), 2u);
  // T1's 100 us take a third of the plot (as in TimeAxis's test above), not 0.5% of it.
  EXPECT_NE(html.find("data-lock=\"L1\" data-thread=\"T1\" x=\"136.3\" y=\"15.0\" width=\"215.2\""),
            std::string::npos);
  // Ticks at the start, where each piece starts, and the end.
  EXPECT_NE(html.find(">+0 ms</text>"), std::string::npos);
  EXPECT_NE(html.find(">+10.0 ms</text>"), std::string::npos);
  EXPECT_NE(html.find(">+20.0 ms</text>"), std::string::npos);
  EXPECT_NE(html.find(">+20.1 ms</text>"), std::string::npos);
  EXPECT_EQ(Count(html, "class=\"tick\""), 4u);
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
