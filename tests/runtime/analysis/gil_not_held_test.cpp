// gil-not-held: kGilNotHeld events (C site on top of the Python stack) become one
// finding per C site and operation kind, with a count.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/analysis/analyzer.h"
#include "runtime/model/event.h"
#include "runtime/model/finding.h"
#include "runtime/model/symbols.h"

namespace pyrace {
namespace {

// Builds the symbols and events the recorder's C bridge would write.
class Trace {
 public:
  Trace() {
    syms_.threads.push_back(ThreadInfo{Intern("MainThread"), kNoTid, kNoStack});
    syms_.threads.push_back(ThreadInfo{Intern("Thread-1"), 0, kNoStack});
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
  // obj 0 = refcount, 1 = C-API call; what = the operation's name ("" = unknown).
  void GilNotHeld(Tid tid, uint64_t obj, const std::string& what, StackId stack) {
    Event e;
    e.kind = EventKind::kGilNotHeld;
    e.tid = tid;
    e.obj = obj;
    e.aux = what.empty() ? 0 : static_cast<uint16_t>(Intern(what));
    e.stack = stack;
    events_.push_back(e);
  }
  std::vector<Finding> Analyze() {
    Analyzer a{AnalysisOptions{}};
    for (const Event& e : events_) a.OnEvent(e, syms_);
    std::vector<Finding> out;
    for (Finding& f : a.Finish(syms_)) {
      if (f.kind == FindingKind::kGilNotHeld) out.push_back(std::move(f));
    }
    return out;
  }

 private:
  Symbols syms_;
  std::vector<Event> events_;
};

TEST(GilNotHeld, RefcountChangeReportsTheCLineWithThePythonStack) {
  Trace t;
  StackId s = t.Stack({t.F("/src/ext.c", 15, "checksum"), t.F("/app/main.py", 7, "work"),
                       t.F("/app/main.py", 12, "<module>")});
  t.GilNotHeld(0, 0, "Py_DECREF", s);
  t.GilNotHeld(0, 0, "Py_DECREF", s);
  auto found = t.Analyze();
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.primary.file, "/src/ext.c");
  EXPECT_EQ(f.primary.line, 15u);
  EXPECT_EQ(f.primary.function, "checksum");
  EXPECT_EQ(f.count, 2u);
  EXPECT_EQ(f.message, "Py_DECREF (reference count change) without the GIL in checksum at ext.c:15");
  ASSERT_EQ(f.sections.size(), 2u);
  EXPECT_EQ(f.sections[0].title, "Py_DECREF without the GIL by thread T0 (MainThread):");
  ASSERT_EQ(f.sections[0].frames.size(), 1u);
  EXPECT_EQ(f.sections[0].frames[0].line, 15u);
  EXPECT_EQ(f.sections[1].title, "Python stack of the thread:");
  ASSERT_EQ(f.sections[1].frames.size(), 2u);
  EXPECT_EQ(f.sections[1].frames[0].function, "work");
  EXPECT_EQ(f.sections[1].frames[1].line, 12u);
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_EQ(f.notes[0], "hold the GIL (Py_END_ALLOW_THREADS before this line, or PyGILState_Ensure)");
}

TEST(GilNotHeld, ApiCallWithoutOperationNameAndWithoutPythonStack) {
  // A thread started by C code has no Python stack: the C site alone.
  Trace t;
  t.GilNotHeld(1, 1, "", t.Stack({t.F("/src/ext.c", 30, "worker")}));
  auto found = t.Analyze();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, "C-API call without the GIL in worker at ext.c:30");
  ASSERT_EQ(found[0].sections.size(), 1u);
  EXPECT_EQ(found[0].sections[0].title, "C-API call without the GIL by thread T1 (Thread-1):");
}

TEST(GilNotHeld, OneFindingPerSiteAndKind) {
  Trace t;
  StackId a = t.Stack({t.F("/src/ext.c", 15, "f"), t.F("/app/main.py", 7, "work")});
  StackId a_other_caller = t.Stack({t.F("/src/ext.c", 15, "f"), t.F("/app/main.py", 9, "other")});
  StackId b = t.Stack({t.F("/src/ext.c", 16, "f")});
  t.GilNotHeld(0, 0, "Py_DECREF", a);
  t.GilNotHeld(1, 0, "Py_DECREF", a_other_caller);
  t.GilNotHeld(0, 1, "PyErr_SetString", b);
  t.GilNotHeld(0, 0, "Py_INCREF", b);
  auto found = t.Analyze();
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].count, 2u);
  EXPECT_EQ(found[0].primary.line, 15u);
  EXPECT_EQ(found[1].message, "PyErr_SetString (C-API call) without the GIL in f at ext.c:16");
  EXPECT_EQ(found[2].message, "Py_INCREF (reference count change) without the GIL in f at ext.c:16");
}

}  // namespace
}  // namespace pyrace
