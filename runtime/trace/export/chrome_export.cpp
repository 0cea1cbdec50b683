#include <algorithm>

#include "runtime/trace/export/export.h"
#include "runtime/trace/export/json_text.h"

namespace pyrace {

namespace {

using json_text::Quote;

const char* KindName(LockKind k) {
  switch (k) {
    case LockKind::kLock: return "Lock";
    case LockKind::kRLock: return "RLock";
    case LockKind::kCMutex: return "C mutex";
    case LockKind::kGil: return "GIL";
    case LockKind::kJoinSentinel: return "thread exit";
  }
  return "lock";
}

std::string LockName(uint64_t lock, const Symbols& syms) {
  const char* kind = lock < syms.locks.size() ? KindName(syms.locks[lock].kind) : "lock";
  std::string out = std::string(kind) + " " + std::to_string(lock);
  std::string_view name = syms.lock_name(lock);
  return name.empty() ? out : std::string(name) + " (" + out + ")";
}

// "file:line in function" of the innermost frame, or "" when unknown.
std::string Where(StackId stack, const Symbols& syms) {
  const auto& frames = syms.stack(stack);
  if (frames.empty()) return "";
  const Frame& f = frames.front();
  return std::string(syms.str(f.file)) + ":" + std::to_string(f.line) + " in " +
         std::string(syms.str(f.function));
}

}  // namespace

ChromeTraceExporter::ChromeTraceExporter(std::ostream& out) : out_(out) {}

void ChromeTraceExporter::Begin() {
  if (begun_) return;
  begun_ = true;
  out_ << "{\"traceEvents\":[";
}

void ChromeTraceExporter::OnHeader(const TraceHeader& header) {
  pid_ = header.pid;
  Begin();
  std::string name = "pyrace";
  for (const std::string& a : header.argv) name += " " + a;
  out_ << "\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" << pid_
       << ",\"tid\":0,\"args\":{\"name\":" << Quote(name) << "}}";
  first_ = false;
}

void ChromeTraceExporter::Slice(Tid tid, uint64_t lock, const Hold& hold, uint64_t end_us,
                                StackId release_stack, bool still_held, const Symbols& syms) {
  Begin();
  out_ << (first_ ? "\n" : ",\n");
  first_ = false;
  uint64_t dur = end_us >= hold.since_us ? end_us - hold.since_us : 0;
  out_ << "{\"name\":" << Quote(LockName(lock, syms)) << ",\"cat\":\"lock\",\"ph\":\"X\",\"ts\":"
       << hold.since_us << ",\"dur\":" << dur << ",\"pid\":" << pid_ << ",\"tid\":" << tid
       << ",\"args\":{\"lock\":" << lock << ",\"acquired_at\":" << Quote(Where(hold.stack, syms));
  if (still_held) {
    out_ << ",\"still_held\":true";
  } else {
    out_ << ",\"released_at\":" << Quote(Where(release_stack, syms));
  }
  if (lock < syms.locks.size()) {
    out_ << ",\"created_at\":" << Quote(Where(syms.locks[lock].create_stack, syms));
  }
  out_ << "}}";
}

void ChromeTraceExporter::Instant(const Event& e, const char* name, const Symbols& syms) {
  Begin();
  out_ << (first_ ? "\n" : ",\n");
  first_ = false;
  bool global = e.kind == EventKind::kDeadlockBegin;
  out_ << "{\"name\":" << Quote(name) << ",\"cat\":\"pyrace\",\"ph\":\"i\",\"s\":\""
       << (global ? 'g' : 't') << "\",\"ts\":" << e.time_us << ",\"pid\":" << pid_
       << ",\"tid\":" << e.tid << ",\"args\":{\"obj\":" << e.obj
       << ",\"at\":" << Quote(Where(e.stack, syms)) << "}}";
}

void ChromeTraceExporter::OnAcquired(const Event& e, const Symbols& /*syms*/) {
  if (e.flags & kFlagReentrant) return;  // only the outermost level is a hold
  held_[e.tid][e.obj] = Hold{e.time_us, e.stack};
}

void ChromeTraceExporter::OnRelease(const Event& e, const Symbols& syms) {
  if (e.flags & kFlagError) {
    Instant(e, "bad release", syms);
    return;
  }
  if (e.flags & kFlagReentrant) return;
  auto own = held_.find(e.tid);
  if (own != held_.end() && own->second.count(e.obj)) {
    Slice(e.tid, e.obj, own->second[e.obj], e.time_us, e.stack, false, syms);
    own->second.erase(e.obj);
    return;
  }
  // A plain Lock released by another thread: the hold ends on the holder's track.
  for (auto& [tid, locks] : held_) {
    auto it = locks.find(e.obj);
    if (it == locks.end()) continue;
    Slice(tid, e.obj, it->second, e.time_us, e.stack, false, syms);
    locks.erase(it);
    return;
  }
}

void ChromeTraceExporter::OnEvent(const Event& e, const Symbols& syms) {
  last_us_ = std::max(last_us_, e.time_us);
  seen_threads_[e.tid] = true;
  switch (e.kind) {
    case EventKind::kLockAcquired: return OnAcquired(e, syms);
    case EventKind::kLockRelease: return OnRelease(e, syms);
    case EventKind::kLockTryFailed: return Instant(e, "try-acquire failed", syms);
    case EventKind::kLockHeldAtFrameEnd: return Instant(e, "lock held at frame end", syms);
    case EventKind::kThreadStart:
      seen_threads_[static_cast<Tid>(e.obj)] = true;
      return Instant(e, "start thread", syms);
    case EventKind::kThreadExit: return Instant(e, "thread exit", syms);
    case EventKind::kThreadJoin: return Instant(e, "joined thread", syms);
    case EventKind::kHandoffSend: return Instant(e, "hand-off send", syms);
    case EventKind::kHandoffRecv: return Instant(e, "hand-off receive", syms);
    case EventKind::kDeadlockBegin: return Instant(e, "deadlock", syms);
    case EventKind::kDeadlockWait: return Instant(e, "stuck (deadlock)", syms);
    case EventKind::kGilNotHeld: return Instant(e, "GIL not held", syms);
    default: return;  // accesses are too many for a timeline; the rest is bookkeeping
  }
}

void ChromeTraceExporter::Finish(const Symbols& syms) {
  for (auto& [tid, locks] : held_) {
    for (auto& [lock, hold] : locks) Slice(tid, lock, hold, last_us_, kNoStack, true, syms);
  }
  held_.clear();
  for (const auto& [tid, seen] : seen_threads_) {
    (void)seen;
    std::string name(syms.thread_name(tid));
    if (name.empty()) name = "thread " + std::to_string(tid);
    Begin();
    out_ << (first_ ? "\n" : ",\n");
    first_ = false;
    out_ << "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" << pid_ << ",\"tid\":" << tid
         << ",\"args\":{\"name\":" << Quote(name) << "}}";
  }
  Begin();
  out_ << "\n],\"displayTimeUnit\":\"ms\"}\n";
  out_.flush();
}

void ExportChrome(std::span<const Event> events, const Symbols& syms, std::ostream& out,
                  const TraceHeader& header) {
  ChromeTraceExporter exporter(out);
  exporter.OnHeader(header);
  for (const Event& e : events) exporter.OnEvent(e, syms);
  exporter.Finish(syms);
}

}  // namespace pyrace
