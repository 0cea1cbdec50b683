#include "runtime/analysis/await_race_detector.h"

#include <algorithm>

#include "runtime/analysis/describe.h"
#include "runtime/analysis/race/race_record.h"

namespace pyrace {

namespace {

bool IsWrite(uint8_t flags) { return (flags & kFlagWrite) != 0; }
// A read with the RMW flag decides a write (`if k not in d`, `if len(pool) < n`).
bool IsCheck(uint8_t flags) { return (flags & kFlagReadModifyWrite) != 0 && !IsWrite(flags); }

std::string Where(const Symbols& syms, LocId loc) {
  std::string where = loc < syms.locations.size() ? std::string(syms.str(syms.locations[loc].description)) : "";
  return where.empty() ? "location #" + std::to_string(loc) : where;
}

std::string Site(const Symbols& syms, StackId stack) {
  if (syms.stack(stack).empty()) return "an unknown place";
  return ShortLocation(PrimaryLocation(syms, stack));
}

}  // namespace

void AwaitRaceDetector::OnEvent(const Event& e, const AnalysisContext& ctx) {
  if (e.kind == EventKind::kTaskStep) {
    OnTaskStep(e);
  } else {
    OnAccess(e, ctx);
  }
}

void AwaitRaceDetector::OnTaskStep(const Event& e) {
  auto number = static_cast<uint32_t>(e.obj);
  if (e.flags & kFlagTaskGone) {
    Forget(number);
    for (uint32_t& r : running_) {
      if (r == number) r = 0;
    }
    return;
  }
  if (e.tid >= kMaxDenseId) return;
  if (e.tid >= running_.size()) {
    running_.resize(static_cast<size_t>(e.tid) + 1, 0);
    loop_threads_.resize(running_.size(), false);
  }
  running_[e.tid] = number;
  loop_threads_[e.tid] = true;
  if (number == 0) return;
  Task& t = tasks_[number];
  t.name = static_cast<StrId>(e.obj >> 32);
  ++t.step;
}

void AwaitRaceDetector::Forget(uint32_t number) {
  auto it = tasks_.find(number);
  if (it == tasks_.end()) return;
  for (LocId loc : it->second.pending) {
    if (reads_.erase(ReadKey{number, loc}) == 0) continue;
    --pending_;
    auto l = locations_.find(loc);
    if (l != locations_.end() && --l->second.pending_reads == 0) locations_.erase(l);
  }
  tasks_.erase(it);
}

void AwaitRaceDetector::OnAccess(const Event& e, const AnalysisContext& ctx) {
  uint32_t number = e.tid < running_.size() ? running_[e.tid] : 0;
  Access cur;
  cur.actor = Actor{number, e.tid};
  cur.stack = e.stack;
  cur.flags = e.flags;
  cur.seq = ctx.seq + 1;
  Task* task = nullptr;
  if (number != 0) {
    auto t = tasks_.find(number);
    if (t != tasks_.end()) {
      task = &t->second;
      cur.step = task->step;
    }
  }
  LocId loc = e.obj;
  if (!IsWrite(e.flags)) {
    if (task == nullptr) return;  // reads outside tasks decide nothing here
    auto [it, inserted] = reads_.try_emplace(ReadKey{number, loc});
    if (inserted) {
      if (pending_ >= kMaxPendingReads) {
        reads_.erase(it);
        ++dropped_;
        return;
      }
      ++pending_;
      ++locations_[loc].pending_reads;
      task->pending.push_back(loc);
    }
    it->second = cur;
    return;
  }
  auto l = locations_.find(loc);
  if (l == locations_.end()) return;  // nobody's read of it is pending
  if (task != nullptr) {
    auto r = reads_.find(ReadKey{number, loc});
    if (r != reads_.end()) {
      const Access read = r->second;
      const Access& other = l->second.last_write;
      bool stale = read.step < cur.step && other.seq > read.seq && !(other.actor == cur.actor);
      // x += 1 reads x again in this step; an append after a plain read loses nothing.
      bool depends = !(e.flags & kFlagReadModifyWrite) && (!(e.flags & kFlagCommutes) || IsCheck(read.flags));
      if (stale && depends) Report(loc, read, cur, other, ctx);
      // The write ends the update the read began; a later write depends on a later read.
      reads_.erase(r);
      --pending_;
      std::erase(task->pending, loc);
      if (--l->second.pending_reads == 0) {
        locations_.erase(l);
        return;
      }
    }
  }
  l->second.last_write = cur;
}

std::string AwaitRaceDetector::ActorName(const Actor& a, const Symbols& syms) const {
  if (a.task != 0) {
    auto t = tasks_.find(a.task);
    std::string name = t != tasks_.end() ? std::string(syms.str(t->second.name)) : "";
    return "task " + (name.empty() ? "#" + std::to_string(a.task) : name);
  }
  if (a.thread < loop_threads_.size() && loop_threads_[a.thread]) return "a callback on thread " + ThreadName(syms, a.thread);
  return "thread " + ThreadName(syms, a.thread);
}

void AwaitRaceDetector::Report(LocId loc, const Access& read, const Access& write, const Access& other,
                               const AnalysisContext& ctx) {
  const Symbols& syms = *ctx.syms;
  std::string where = Where(syms, loc);
  std::string cls = race::LocationClass(where);
  std::string key = cls + "\x1f" + SiteKey(syms, write.stack) + "\x1f" + SiteKey(syms, read.stack);
  if (reports_.Bump(FindingKind::kDataRace, key)) return;
  bool check = IsCheck(read.flags);
  std::string who = ActorName(write.actor, syms);
  std::string other_who = ActorName(other.actor, syms);
  std::string loop = "thread " + ThreadLabel(syms, write.actor.thread);
  Finding f;
  f.kind = FindingKind::kDataRace;
  f.severity = Severity::kError;
  f.primary = PrimaryLocation(syms, write.stack);
  f.message = std::string("data race (") + (check ? "check-then-act" : "lost update") + " across await) on " +
              where + ": " + who + (check ? " checked it at " : " read it at ") + Site(syms, read.stack) +
              ", awaited, and wrote it at " + Site(syms, write.stack) + "; " + other_who + " wrote it at " +
              Site(syms, other.stack) + " in between";
  f.sections.push_back(StackSection(syms, write.stack,
                                    "Write of " + where + " after an await by " + who + " (on " + loop + "):"));
  f.sections.push_back(StackSection(syms, read.stack, std::string(check ? "Check" : "Read") + " of " + where +
                                                          " before the await by " + who + ":"));
  f.sections.push_back(
      StackSection(syms, other.stack, "Write of " + where + " in between by " + other_who + ":"));
  f.notes.push_back(
      "only the code between two suspensions of a task runs without other tasks: hold one asyncio.Lock "
      "across the read, the await and the write (`async with lock:`) in every task that writes " + where +
      ", or read it again after the await, with no await between that read and the write");
  if (dropped_ > 0) {
    f.notes.push_back(std::to_string(dropped_) + " reads were not kept (more than " +
                      std::to_string(kMaxPendingReads) + " pending): lost updates across await may be missed");
  }
  f.fingerprint = "data-race:" + cls + ":" + SiteKey(syms, write.stack) + ":" + SiteKey(syms, read.stack);
  reports_.Add(std::move(f), key, ctx.seq);
}

void AwaitRaceDetector::Finish(const AnalysisContext&, FindingSink& sink) { reports_.MoveTo(sink); }

}  // namespace pyrace
