// libFuzzer target for writer/reader agreement: the input drives a sequence of
// TraceWriter calls that respect the writer's contract (definitions before use, dense
// ids); the trace must read back kOk with exactly the events and symbols written.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/trace/trace.h"

namespace {

using namespace pyrace;

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return pos_ >= n_; }
  uint8_t Byte() { return pos_ < n_ ? d_[pos_++] : 0; }
  uint64_t Bits(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | Byte();
    return v;
  }
  // Mostly small values, sometimes anything: deltas of every size.
  uint64_t Value() {
    uint8_t sel = Byte();
    if (sel < 160) return sel % 8;
    if (sel < 220) return Bits(2);
    return Bits(8);
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t pos_ = 0;
};

constexpr EventKind kKinds[] = {
    EventKind::kThreadStart,   EventKind::kThreadExit,    EventKind::kThreadJoin,
    EventKind::kLockCreate,    EventKind::kLockAcquired,  EventKind::kLockTryFailed,
    EventKind::kLockRelease,   EventKind::kLockHeldAtFrameEnd, EventKind::kHandoffSend,
    EventKind::kHandoffRecv,   EventKind::kAccess,        EventKind::kObjectFree,
    EventKind::kDeadlockBegin, EventKind::kDeadlockWait,  EventKind::kThreadStack,
    EventKind::kDeadlockEnd,   EventKind::kGilNotHeld};

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "round trip mismatch: %s\n", what);
    std::abort();
  }
}

struct Collect : EventSink {
  std::vector<Event> events;
  void OnEvent(const Event& e, const Symbols&) override { events.push_back(e); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Symbols model;  // what the reader must end up with
  std::vector<Event> sent;
  int fd = memfd_create("roundtrip", 0);
  {
    TraceWriter w(fd, TraceHeader{}, 256 + in.Byte() * 16);
    uint64_t time = 0;
    while (!in.empty()) {
      switch (in.Byte() % 7) {
        case 0: {
          std::string s(in.Byte(), 'a');
          for (char& c : s) c = static_cast<char>(in.Byte());
          StrId id = static_cast<StrId>(model.strings.size());
          model.strings.push_back(s);
          w.DefineString(id, s);
          break;
        }
        case 1: {
          std::vector<Frame> frames(in.Byte() % 8);
          for (Frame& f : frames) {
            f.file = static_cast<StrId>(in.Value() % model.strings.size());
            f.function = static_cast<StrId>(in.Value() % model.strings.size());
            f.line = static_cast<uint32_t>(in.Value());
          }
          StackId id = static_cast<StackId>(model.stacks.size());
          model.stacks.push_back(frames);
          w.DefineStack(id, frames);
          break;
        }
        case 2: {
          ThreadInfo t{static_cast<StrId>(in.Value() % model.strings.size()),
                       static_cast<Tid>(in.Value()),
                       static_cast<StackId>(in.Value() % model.stacks.size())};
          Tid tid = static_cast<Tid>(model.threads.size());
          model.threads.push_back(t);
          w.DefineThread(tid, t);
          break;
        }
        case 3: {
          LocationInfo l{static_cast<StrId>(in.Value() % model.strings.size()), in.Value()};
          LocId id = model.locations.size();
          model.locations.push_back(l);
          w.DefineLocation(id, l);
          break;
        }
        case 4:
          w.Flush();
          break;
        default: {
          Event e;
          e.kind = kKinds[in.Byte() % std::size(kKinds)];
          e.flags = in.Byte();
          e.aux = static_cast<uint16_t>(in.Value());
          e.tid = static_cast<Tid>(in.Value());
          e.obj = in.Value();
          e.stack = static_cast<StackId>(in.Value() % model.stacks.size());
          time += in.Value();
          e.time_us = time;
          if (e.kind == EventKind::kLockCreate) {
            e.obj = model.locks.size() + in.Byte() % 4;  // dense, small holes
            model.locks.resize(e.obj + 1);
            model.locks[e.obj] = LockInfo{static_cast<LockKind>(e.aux), e.tid, e.stack};
          }
          sent.push_back(e);
          w.Emit(e);
        }
      }
    }
    Check(!w.failed(), "writer failed");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
  Check(pread(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()), "pread");
  close(fd);

  TraceReader r;
  Collect sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  Check(st.code == ReadStatus::kOk, st.message.c_str());
  Check(sink.events.size() == sent.size(), "event count");
  for (size_t i = 0; i < sent.size(); ++i) {
    const Event& a = sent[i];
    const Event& b = sink.events[i];
    Check(a.kind == b.kind && a.flags == b.flags && a.aux == b.aux && a.tid == b.tid &&
              a.obj == b.obj && a.stack == b.stack && a.time_us == b.time_us,
          "event fields");
  }
  const Symbols& s = r.symbols();
  Check(s.strings == model.strings, "strings");
  Check(s.stacks.size() == model.stacks.size(), "stack count");
  for (size_t i = 0; i < s.stacks.size(); ++i) {
    Check(s.stacks[i].size() == model.stacks[i].size(), "stack depth");
    for (size_t k = 0; k < s.stacks[i].size(); ++k) {
      const Frame& a = s.stacks[i][k];
      const Frame& b = model.stacks[i][k];
      Check(a.file == b.file && a.function == b.function && a.line == b.line, "frame");
    }
  }
  Check(s.threads.size() == model.threads.size(), "thread count");
  for (size_t i = 0; i < s.threads.size(); ++i) {
    Check(s.threads[i].name == model.threads[i].name &&
              s.threads[i].parent == model.threads[i].parent &&
              s.threads[i].start_stack == model.threads[i].start_stack,
          "thread");
  }
  Check(s.locations.size() == model.locations.size(), "location count");
  for (size_t i = 0; i < s.locations.size(); ++i) {
    Check(s.locations[i].description == model.locations[i].description &&
              s.locations[i].object == model.locations[i].object,
          "location");
  }
  Check(s.locks.size() == model.locks.size(), "lock count");
  for (size_t i = 0; i < s.locks.size(); ++i) {
    Check(s.locks[i].kind == model.locks[i].kind && s.locks[i].creator == model.locks[i].creator &&
              s.locks[i].create_stack == model.locks[i].create_stack,
          "lock");
  }
  return 0;
}
