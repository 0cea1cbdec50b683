#include "runtime/model/finding.h"

namespace pyrace {

const char* FindingKindId(FindingKind k) {
  switch (k) {
    case FindingKind::kDataRace: return "data-race";
    case FindingKind::kLockOrderInversion: return "lock-order-inversion";
    case FindingKind::kDeadlock: return "deadlock";
    case FindingKind::kMissedRelease: return "missed-release";
    case FindingKind::kBadRelease: return "bad-release";
    case FindingKind::kGilNotHeld: return "gil-not-held";
    case FindingKind::kGilStateLeak: return "gil-state-leak";
    case FindingKind::kBlockingInEventLoop: return "blocking-in-event-loop";
    case FindingKind::kForkWithHeldLock: return "fork-with-held-lock";
    case FindingKind::kSyntaxError: return "syntax-error";
  }
  return "unknown";
}

const char* SeverityId(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

const std::string& FindingTest(const Finding& f) {
  static const std::string kNone;
  for (const Section& s : f.sections) {
    if (!s.test.empty()) return s.test;
  }
  return kNone;
}

}  // namespace pyrace
