// Turns a RaceRecord into the neutral Finding: TSan's data-race layout (both accesses
// with stacks, the locks each held, where the threads were started and the locks
// created) plus the lock that would have fixed it.
#include <algorithm>
#include <string>

#include "runtime/analysis/describe.h"
#include "runtime/analysis/race/race_record.h"

namespace pyrace::race {
namespace {

// "/full/path/counter.py:9": where the user's code made the access, for messages and
// hints (the path the user's editor opens).
std::string At(const Symbols& syms, StackId stack) {
  if (syms.stack(stack).empty()) return "an unknown place";
  return SiteKey(syms, stack);
}

// The fingerprint's site: the top frame's full path and line. Baselines and
// suppressions saved from earlier runs key on it, so it must not change form; a race's
// two sites are in string order, whichever access ran second.
std::string FingerprintSite(const Symbols& syms, StackId stack) {
  if (syms.stack(stack).empty()) return "an unknown place";
  SourceLocation top = TopLocation(syms, stack);
  return top.file + ":" + std::to_string(top.line);
}

std::string Who(const Symbols& syms, Tid t) { return "thread " + ThreadLabel(syms, t); }

std::string LockList(const LocksetTable& locksets, LocksetId set, const Symbols& syms) {
  auto locks = locksets.Locks(set);
  if (locks.empty()) return "no locks";
  std::string s = locks.size() == 1 ? "lock " : "locks ";
  for (size_t i = 0; i < locks.size(); ++i) s += (i ? ", " : "") + LockLabel(syms, locks[i]);
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
    case RaceClass::kSizeChange: return "size change during iteration";
  }
  return "race";
}

Section AccessSection(const std::string& prefix, const Access& a, const std::string& where,
                      const LocksetTable& locksets, const Symbols& syms) {
  std::string word = AccessWord(a);
  if (!prefix.empty()) word = Lower(word);
  return StackSection(syms, a.stack,
                      prefix + word + " of " + where + " by " + Who(syms, a.tid) + ", holding " +
                          LockList(locksets, a.locks, syms) + ":");
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
  const Access& missing = Holds(locksets, r.current.locks, l) ? r.previous : r.current;
  return "Lock " + LockDescription(syms, l) + " guards the other accesses to " + where +
         "; hold it at " + At(syms, missing.stack) + " too.";
}

}  // namespace

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
              Lower(AccessWord(r.current)) + " by " + Who(syms, r.current.tid) + " at " +
              At(syms, r.current.stack) + " is not ordered with the " + Lower(AccessWord(r.previous)) +
              " by " + Who(syms, r.previous.tid) + " at " + At(syms, r.previous.stack);
  f.primary = PrimaryLocation(syms, r.current.stack);
  f.sections.push_back(AccessSection("", r.current, where, locksets, syms));
  // The other access is shown as it ran: before or after the primary one.
  f.sections.push_back(AccessSection(r.previous.seq < r.current.seq ? "Previous " : "Later ", r.previous, where,
                                     locksets, syms));
  if (r.check.valid()) {
    f.sections.push_back(StackSection(syms, r.check.stack, "Checked by " + Who(syms, r.check.tid) +
                                                               " before that write:"));
  }
  AddThreadStartedSection(syms, r.current.tid, f);
  if (r.previous.tid != r.current.tid) AddThreadStartedSection(syms, r.previous.tid, f);
  std::vector<LockId> shown;
  auto show = [&](LocksetId set) {
    if (set == kGuardUnset) return;
    for (LockId l : locksets.Locks(set)) {
      if (std::find(shown.begin(), shown.end(), l) != shown.end()) continue;
      shown.push_back(l);
      AddLockCreatedSection(syms, l, f);
    }
  };
  show(r.current.locks);
  show(r.previous.locks);
  show(r.guard);
  f.notes.push_back(GuardNote(r, where, locksets, syms));
  f.count = r.count;
  // Over the unordered pair: the same two sites are the same race in either order.
  std::string fa = FingerprintSite(syms, r.current.stack), fb = FingerprintSite(syms, r.previous.stack);
  if (fb < fa) std::swap(fa, fb);
  f.fingerprint = "data-race:" + LocationClass(where) + ":" + fa + ":" + fb;
  return f;
}

std::string ShadowEvictionNote(uint64_t evicted, size_t capacity) {
  return "shadow memory evicted " + std::to_string(evicted) + " locations (capacity " +
         std::to_string(capacity) + "): races on them may be missed";
}

}  // namespace pyrace::race
