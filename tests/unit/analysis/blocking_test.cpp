// blocking-in-event-loop: a sampled step (kLoopBlocked, then kLoopStepEnd) becomes one
// finding per blocking site, at the program's own innermost frame, with the step's
// duration; a step still blocked at the end of the stream is reported too.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/analysis/analyzer.h"
#include "runtime/model/event.h"
#include "runtime/model/finding.h"
#include "runtime/model/symbols.h"

namespace pyrace {
namespace {

class Trace {
 public:
  Trace() {
    syms_.threads.push_back(ThreadInfo{Intern("MainThread"), kNoTid, kNoStack});
    syms_.threads.push_back(ThreadInfo{Intern("Task-2 (handler)"), 0, kNoStack});
  }
  StrId Intern(const std::string& s) {
    syms_.strings.push_back(s);
    return static_cast<StrId>(syms_.strings.size() - 1);
  }
  StackId Stack(const std::vector<Frame>& frames) {
    syms_.stacks.push_back(frames);
    return static_cast<StackId>(syms_.stacks.size() - 1);
  }
  Frame F(const std::string& file, uint32_t line, const std::string& function) {
    return Frame{Intern(file), Intern(function), line};
  }
  void Add(EventKind k, Tid tid, uint64_t obj, uint16_t aux = 0, StackId stack = kNoStack) {
    events_.push_back(MakeEvent(k, tid, obj, stack, 0, 0, aux));
  }
  std::vector<Finding> Analyze() {
    Analyzer a{AnalysisOptions{}};
    for (const Event& e : events_) a.OnEvent(e, syms_);
    std::vector<Finding> out;
    for (Finding& f : a.Finish(syms_)) {
      if (f.kind == FindingKind::kBlockingInEventLoop) out.push_back(std::move(f));
    }
    return out;
  }

 private:
  Symbols syms_;
  std::vector<Event> events_;
};

constexpr const char* kSocket = "/usr/lib/python3.11/socket.py";

TEST(Blocking, SampledStepIsReportedAtTheProgramsFrameWithItsDuration) {
  Trace t;
  StackId s = t.Stack({t.F(kSocket, 700, "SocketIO.readinto"), t.F("/app/client.py", 22, "Client.fetch"),
                       t.F("/app/server.py", 9, "handle")});
  t.Add(EventKind::kLoopBlocked, 0, 1, 100, s);
  t.Add(EventKind::kLoopStepEnd, 0, 302400);
  auto f = t.Analyze();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].primary.file, "/app/client.py");
  EXPECT_EQ(f[0].primary.line, 22u);
  EXPECT_EQ(f[0].message,
            "task Task-2 (handler) blocked the event loop of thread MainThread for 302 ms in Client.fetch at "
            "client.py:22");
  ASSERT_FALSE(f[0].sections.empty());
  EXPECT_EQ(f[0].sections[0].frames.size(), 3u);  // every frame, the library's too
  EXPECT_EQ(f[0].severity, Severity::kWarning);
}

TEST(Blocking, RepeatsAtOneSiteAreCountedAndAPlainCallbackIsNamedSo) {
  Trace t;
  StackId s = t.Stack({t.F("/app/cb.py", 5, "on_tick")});
  for (int i = 0; i < 3; ++i) {
    t.Add(EventKind::kLoopBlocked, 0, kNoTid, 150, s);
    t.Add(EventKind::kLoopStepEnd, 0, 150000);
  }
  auto f = t.Analyze();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].count, 3u);
  EXPECT_EQ(f[0].message.rfind("a callback blocked the event loop", 0), 0u) << f[0].message;
}

TEST(Blocking, StepStillBlockedWhenTheStreamEndsIsReported) {
  Trace t;
  StackId s = t.Stack({t.F("/app/main.py", 3, "main")});
  t.Add(EventKind::kLoopBlocked, 0, 1, 100, s);
  auto f = t.Analyze();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("for at least 100 ms (still blocked when the run ended)"), std::string::npos)
      << f[0].message;
}

TEST(Blocking, AStepEndWithoutASampleIsNothing) {
  Trace t;
  t.Add(EventKind::kLoopStepEnd, 0, 500000);
  EXPECT_TRUE(t.Analyze().empty());
}

}  // namespace
}  // namespace pyrace
