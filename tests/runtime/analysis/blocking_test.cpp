// blocking-in-event-loop: a sampled step (kLoopBlocked, then kLoopStepEnd) becomes one
// finding per blocking site, at the program's own innermost frame, with the step's
// duration; a step still blocked at the end of the stream is reported too.
#include <gtest/gtest.h>

#include <string>

#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

constexpr const char* kSocket = "/usr/lib/python3.11/socket.py";

std::vector<Finding> Blocking(Script& s) { return OfKind(s.Analyze(), FindingKind::kBlockingInEventLoop); }

TEST(Blocking, SampledStepIsReportedAtTheProgramsFrameWithItsDuration) {
  Script s;
  s.Name(1, "Task-2 (handler)");
  s.T(0)
      .LoopBlocked(1, 100)
      .At({{kSocket, 700, "SocketIO.readinto"}, {"/app/client.py", 22, "Client.fetch"}, {"/app/server.py", 9, "handle"}})
      .LoopStepEnd(302400);
  auto f = Blocking(s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Primary(f[0]), "/app/client.py:22");
  EXPECT_EQ(f[0].message,
            "task Task-2 (handler) blocked the event loop of thread MainThread for 302 ms in Client.fetch at "
            "client.py:22");
  ASSERT_FALSE(f[0].sections.empty());
  EXPECT_EQ(f[0].sections[0].frames.size(), 3u);  // every frame, the library's too
  EXPECT_EQ(f[0].severity, Severity::kWarning);
}

TEST(Blocking, RepeatsAtOneSiteAreCountedAndAPlainCallbackIsNamedSo) {
  Script s;
  for (int i = 0; i < 3; ++i) s.T(0).LoopBlocked(kNoTid, 150).At("/app/cb.py", 5, "on_tick").LoopStepEnd(150000);
  auto f = Blocking(s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].count, 3u);
  EXPECT_EQ(Primary(f[0]), "/app/cb.py:5");
  EXPECT_EQ(f[0].message.rfind("a callback blocked the event loop", 0), 0u) << f[0].message;
}

TEST(Blocking, StepStillBlockedWhenTheStreamEndsIsReported) {
  Script s;
  s.T(0).LoopBlocked(1, 100).At("/app/main.py", 3, "main");
  auto f = Blocking(s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Primary(f[0]), "/app/main.py:3");
  EXPECT_NE(f[0].message.find("for at least 100 ms (still blocked when the run ended)"), std::string::npos)
      << f[0].message;
}

TEST(Blocking, AStepEndWithoutASampleIsNothing) {
  Script s;
  s.T(0).LoopStepEnd(500000);
  EXPECT_TRUE(Blocking(s).empty());
}

}  // namespace
}  // namespace pyrace::testing
