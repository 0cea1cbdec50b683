// The Chrome timeline and RAPID STD exporters over a small, known event sequence.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/trace/export/export.h"
#include "tests/runtime/trace/trace_test_util.h"

namespace pyrace {
namespace {

Symbols MakeSymbols() {
  Symbols s;
  s.strings = {"", "app.py", "worker", "MainThread", "Thread-1 \"w\"\n", "bad\xff"};
  s.stacks = {{}, {{1, 2, 10}}, {{1, 2, 12}, {1, 0, 40}}, {{5, 5, 7}}};
  s.threads = {{3, kNoTid, kNoStack}, {4, 0, 1}};
  s.locks = {{}, {LockKind::kLock, 0, 1}, {LockKind::kRLock, 0, 2}};
  return s;
}

std::vector<Event> Events() {
  return {
      MakeEvent(EventKind::kThreadStart, 0, 1, 1, 5),
      MakeEvent(EventKind::kLockAcquired, 1, 2, 1, 10),                    // RLock 2
      MakeEvent(EventKind::kLockAcquired, 1, 2, 1, 11, kFlagReentrant),    // re-entry
      MakeEvent(EventKind::kLockRelease, 1, 2, 2, 12, kFlagReentrant),
      MakeEvent(EventKind::kLockRelease, 1, 2, 2, 20, kFlagSameFrame),     // hold 10..20
      MakeEvent(EventKind::kLockAcquired, 0, 1, 3, 30),                    // Lock 1 by main
      MakeEvent(EventKind::kLockRelease, 1, 1, 2, 45),                     // released by T1
      MakeEvent(EventKind::kLockTryFailed, 1, 2, 1, 46, kFlagTry),
      MakeEvent(EventKind::kLockRelease, 0, 1, 1, 47, kFlagError),         // bad release
      MakeEvent(EventKind::kAccess, 1, 9, 1, 48, kFlagWrite),
      MakeEvent(EventKind::kAccess, 0, 9, 2, 49, kFlagReadModifyWrite),
      MakeEvent(EventKind::kHandoffSend, 0, 77, 1, 50),
      MakeEvent(EventKind::kHandoffRecv, 1, 77, 1, 51),
      MakeEvent(EventKind::kLockAcquired, 1, 1, 1, 60),                    // never released
      MakeEvent(EventKind::kThreadJoin, 0, 1, 2, 70),
  };
}

TEST(TraceExport, ChromeTimeline) {
  Symbols syms = MakeSymbols();
  std::ostringstream out;
  TraceHeader h;
  h.pid = 99;
  h.argv = {"app.py"};
  ExportChrome(Events(), syms, out, h);
  nlohmann::json doc = nlohmann::json::parse(out.str());  // throws on invalid JSON
  std::vector<nlohmann::json> slices, instants, names;
  for (const auto& ev : doc["traceEvents"]) {
    if (ev["ph"] == "X") slices.push_back(ev);
    if (ev["ph"] == "i") instants.push_back(ev);
    if (ev["ph"] == "M" && ev["name"] == "thread_name") names.push_back(ev);
    EXPECT_EQ(ev["pid"], 99);
  }
  ASSERT_EQ(slices.size(), 3u);
  EXPECT_EQ(slices[0]["name"], "RLock 2");
  EXPECT_EQ(slices[0]["tid"], 1);
  EXPECT_EQ(slices[0]["ts"], 10);
  EXPECT_EQ(slices[0]["dur"], 10);
  EXPECT_EQ(slices[0]["args"]["acquired_at"], "app.py:10 in worker");
  EXPECT_EQ(slices[0]["args"]["released_at"], "app.py:12 in worker");
  EXPECT_EQ(slices[0]["args"]["created_at"], "app.py:12 in worker");
  // The hand-off release ends main's hold on main's track.
  EXPECT_EQ(slices[1]["name"], "Lock 1");
  EXPECT_EQ(slices[1]["tid"], 0);
  EXPECT_EQ(slices[1]["ts"], 30);
  EXPECT_EQ(slices[1]["dur"], 15);
  EXPECT_EQ(slices[1]["args"]["acquired_at"], "bad\xef\xbf\xbd:7 in bad\xef\xbf\xbd");
  // Still held at the end: up to the last timestamp.
  EXPECT_EQ(slices[2]["tid"], 1);
  EXPECT_EQ(slices[2]["ts"], 60);
  EXPECT_EQ(slices[2]["dur"], 10);
  EXPECT_EQ(slices[2]["args"]["still_held"], true);
  std::vector<std::string> instant_names;
  for (const auto& i : instants) instant_names.push_back(i["name"]);
  EXPECT_EQ(instant_names, (std::vector<std::string>{"start thread", "try-acquire failed",
                                                      "bad release", "hand-off send",
                                                      "hand-off receive", "joined thread"}));
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0]["args"]["name"], "MainThread");
  EXPECT_EQ(names[1]["args"]["name"], "Thread-1 \"w\"\n");
}

TEST(TraceExport, ChromeOfEmptyTraceIsValidJson) {
  std::ostringstream out;
  ExportChrome({}, Symbols{}, out);
  nlohmann::json doc = nlohmann::json::parse(out.str());
  EXPECT_TRUE(doc["traceEvents"].is_array());
}

TEST(TraceExport, RapidStd) {
  std::ostringstream out;
  ExportStd(Events(), MakeSymbols(), out);
  EXPECT_EQ(out.str(),
            "T0|fork(T1)|1\n"
            "T1|acq(L2)|1\n"
            "T1|rel(L2)|2\n"
            "T0|acq(L1)|3\n"
            "T1|rel(L1)|2\n"
            "T1|w(V9)|1\n"
            "T0|r(V9)|2\n"
            "T0|w(V9)|2\n"
            "T0|acq(Lh77)|1\n"
            "T0|rel(Lh77)|1\n"
            "T1|acq(Lh77)|1\n"
            "T1|rel(Lh77)|1\n"
            "T1|acq(L1)|1\n"
            "T0|join(T1)|2\n");
}

// The exporters stream behind a reader: the same output as from memory.
TEST(TraceExport, StreamsBehindTheReader) {
  Symbols syms = MakeSymbols();
  auto bytes = testing::WriteTrace([&](TraceWriter& w) {
    for (StrId i = 1; i < syms.strings.size(); ++i) w.DefineString(i, syms.strings[i]);
    for (StackId i = 1; i < syms.stacks.size(); ++i) w.DefineStack(i, syms.stacks[i]);
    for (const Event& e : Events()) w.Emit(e);
  });
  std::ostringstream live, offline;
  StdExporter exporter(live);
  TraceReader r;
  ASSERT_EQ(r.ReadBuffer(bytes, exporter).code, ReadStatus::kOk);
  exporter.Finish(r.symbols());
  ExportStd(Events(), syms, offline);
  EXPECT_EQ(live.str(), offline.str());
  EXPECT_EQ(exporter.lines(), 14u);
}

}  // namespace
}  // namespace pyrace
