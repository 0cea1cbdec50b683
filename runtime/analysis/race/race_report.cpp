// Turns a RaceRecord into the neutral Finding: TSan's data-race layout (both accesses
// with stacks, the locks each held, where the threads were started and the locks
// created) plus the lock that would have fixed it.
#include <algorithm>
#include <string>

#include "runtime/analysis/race/race_record.h"

namespace pyrace::race {
namespace {

std::string At(const Symbols& syms, StackId stack) {
  const auto& frames = syms.stack(stack);
  if (frames.empty()) return "an unknown place";
  return std::string(syms.str(frames[0].file)) + ":" + std::to_string(frames[0].line);
}

SourceLocation ToLocation(const Symbols& syms, const Frame& f) {
  SourceLocation l;
  l.file = std::string(syms.str(f.file));
  l.line = f.line;
  l.function = std::string(syms.str(f.function));
  return l;
}

std::vector<SourceLocation> Frames(const Symbols& syms, StackId stack) {
  std::vector<SourceLocation> out;
  for (const Frame& f : syms.stack(stack)) out.push_back(ToLocation(syms, f));
  return out;
}

std::string ThreadName(const Symbols& syms, Tid t) {
  std::string s = "thread T" + std::to_string(t);
  std::string_view name = syms.thread_name(t);
  if (!name.empty()) s += " (" + std::string(name) + ")";
  return s;
}

// "Account.lock (L1)" when the program keeps the lock under a name, "L1" otherwise.
std::string LockName(LockId l, const Symbols& syms) {
  std::string id = "L" + std::to_string(l);
  std::string_view name = syms.lock_name(l);
  return name.empty() ? id : std::string(name) + " (" + id + ")";
}

std::string LockList(const LocksetTable& locksets, LocksetId set, const Symbols& syms) {
  auto locks = locksets.Locks(set);
  if (locks.empty()) return "no locks";
  std::string s = locks.size() == 1 ? "lock " : "locks ";
  for (size_t i = 0; i < locks.size(); ++i) s += (i ? ", " : "") + LockName(locks[i], syms);
  return s;
}

const char* AccessWord(const Access& a) {
  if (!(a.flags & kFlagWrite)) return (a.flags & kFlagReadModifyWrite) ? "Check" : "Read";
  return (a.flags & kFlagReadModifyWrite) ? "Read-modify-write" : "Write";
}

std::string Lower(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

const char* ClassWords(RaceClass c) {
  switch (c) {
    case RaceClass::kLostUpdate: return "lost update";
    case RaceClass::kCheckThenAct: return "check-then-act";
    case RaceClass::kPublication: return "unsynchronized publication";
    case RaceClass::kConflictingWrites: return "conflicting writes";
  }
  return "race";
}

Section AccessSection(const std::string& prefix, const Access& a, const std::string& where,
                      const LocksetTable& locksets, const Symbols& syms) {
  std::string word = AccessWord(a);
  if (!prefix.empty()) word = Lower(word);
  return {prefix + word + " of " + where + " by " + ThreadName(syms, a.tid) +
              ", holding " + LockList(locksets, a.locks, syms) + ":",
          Frames(syms, a.stack), std::string(syms.stack_test(a.stack))};
}

void AddThreadSection(Finding& f, Tid t, const Symbols& syms) {
  if (t >= syms.threads.size()) return;
  const ThreadInfo& info = syms.threads[t];
  if (info.start_stack == kNoStack) return;
  f.sections.push_back({"Thread T" + std::to_string(t) + " (" + std::string(syms.str(info.name)) +
                            ") started at:",
                        Frames(syms, info.start_stack)});
}

void AddLockSection(Finding& f, LockId l, const Symbols& syms) {
  if (l >= syms.locks.size() || syms.locks[l].create_stack == kNoStack) return;
  f.sections.push_back({"Lock " + LockName(l, syms) + " created at:", Frames(syms, syms.locks[l].create_stack)});
}

bool Holds(const LocksetTable& locksets, LocksetId set, LockId l) {
  for (LockId h : locksets.Locks(set)) {
    if (h == l) return true;
  }
  return false;
}

// The fix in the user's words: the lock the location's other accesses agree on, or
// what is missing when they agree on none.
std::string GuardNote(const RaceRecord& r, const std::string& where, const LocksetTable& locksets,
                      const Symbols& syms) {
  if (r.guard == kGuardUnset) {
    return "No lock is held at any access to " + where +
           ": guard it with one lock, or hand it over through a queue.";
  }
  auto guard = locksets.Locks(r.guard);
  if (guard.empty()) {
    return "The accesses to " + where +
           " hold different locks and no single one is common to all: pick one lock for it.";
  }
  LockId l = guard[0];
  std::string created;
  if (l < syms.locks.size() && syms.lock_name(l).empty()) created = " (created at " + At(syms, syms.locks[l].create_stack) + ")";
  const Access& missing = Holds(locksets, r.current.locks, l) ? r.previous : r.current;
  return "Lock " + LockName(l, syms) + created + " guards the other accesses to " + where +
         "; hold it at " + At(syms, missing.stack) + " too.";
}

}  // namespace

std::string SiteKey(const Symbols& syms, StackId stack) {
  const auto& frames = syms.stack(stack);
  if (frames.empty()) return "#" + std::to_string(stack);
  return std::string(syms.str(frames[0].file)) + ":" + std::to_string(frames[0].line);
}

std::string LocationClass(std::string_view description) {
  size_t open = description.find('[');
  if (open == std::string_view::npos) return std::string(description);
  return std::string(description.substr(0, open)) + "[...]";
}

Finding BuildRaceFinding(const RaceRecord& r, const LocksetTable& locksets, const Symbols& syms) {
  std::string where(syms.str(r.description));
  if (where.empty()) where = "location #" + std::to_string(r.loc);
  Finding f;
  f.kind = FindingKind::kDataRace;
  f.severity = Severity::kError;
  f.message = std::string("data race (") + ClassWords(r.cls) + ") on " + where + ": " +
              Lower(AccessWord(r.current)) + " by " + ThreadName(syms, r.current.tid) + " at " +
              At(syms, r.current.stack) + " is not ordered with the " + Lower(AccessWord(r.previous)) +
              " by " + ThreadName(syms, r.previous.tid) + " at " + At(syms, r.previous.stack);
  auto top = syms.stack(r.current.stack);
  if (!top.empty()) f.primary = ToLocation(syms, top[0]);
  f.sections.push_back(AccessSection("", r.current, where, locksets, syms));
  f.sections.push_back(AccessSection("Previous ", r.previous, where, locksets, syms));
  if (r.check.valid()) {
    f.sections.push_back({"Checked by " + ThreadName(syms, r.check.tid) + " before that write:",
                          Frames(syms, r.check.stack)});
  }
  AddThreadSection(f, r.current.tid, syms);
  if (r.previous.tid != r.current.tid) AddThreadSection(f, r.previous.tid, syms);
  std::vector<LockId> shown;
  auto show = [&](LocksetId set) {
    if (set == kGuardUnset) return;
    for (LockId l : locksets.Locks(set)) {
      if (std::find(shown.begin(), shown.end(), l) != shown.end()) continue;
      shown.push_back(l);
      AddLockSection(f, l, syms);
    }
  };
  show(r.current.locks);
  show(r.previous.locks);
  show(r.guard);
  f.notes.push_back(GuardNote(r, where, locksets, syms));
  f.count = r.count;
  std::string fa = At(syms, r.current.stack), fb = At(syms, r.previous.stack);
  f.fingerprint = "data-race:" + LocationClass(where) + ":" + fa + ":" + fb;
  return f;
}

std::string ShadowEvictionNote(uint64_t evicted, size_t capacity) {
  return "shadow memory evicted " + std::to_string(evicted) + " locations (capacity " +
         std::to_string(capacity) + "): races on them may be missed";
}

}  // namespace pyrace::race
