// PYR002: release() on a path where the lock was not acquired (RuntimeError: release
// unlocked lock), notably acquire() placed inside the try whose finally releases it.
#include "tool/lint/rule.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR002", "release-unheld", "bad-release", FindingKind::kBadRelease, Severity::kError,
    "Lock released on a path where it was not acquired",
    "release() of a lock that is not held raises RuntimeError, which replaces the exception that was "
    "being handled. The classic cause is acquire() placed inside the try whose finally releases: if "
    "acquire() (or anything before it in the try) raises, the finally releases a lock this thread "
    "never took. Call acquire() immediately before try:, or use a with statement.",
    true};

class ReleaseUnheldRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        for (const auto& f : fn.unheld) {
          LockId lock = project.Resolve(fn, f.ref);
          if (!lock.IsLock()) continue;
          // Releasing twice is legal for an RLock acquired twice; only a plain Lock says so.
          if (f.after_release && (lock.ctor != Ctor::kLock || !project.HoldersOf(lock.key).empty())) continue;
          // A path that never took it: a plain Lock the function also acquires cannot
          // have been held by the caller (the acquire would deadlock); others may be.
          if (f.never_acquired_here && lock.ctor != Ctor::kLock) continue;
          std::string msg;
          if (f.try_acquire) {
            msg = "'" + lock.display + ".release()' may run without the lock: the acquire() at line " +
                  std::to_string(f.acquire.line) +
                  " is inside the try, so if it (or anything before it in the try) raises, this release "
                  "fails with RuntimeError; acquire before 'try:'";
          } else if (f.after_release) {
            msg = "'" + lock.name + "' is released again here: it was already released on this path";
          } else {
            msg = "'" + lock.name + "' is released here on a path where it was not acquired";
          }
          Finding x = MakeFinding(kInfo, file, &fn, f.release, msg);
          if (f.try_acquire) x.sections.push_back(Section{"acquired inside the try here:", {Location(file, &fn, f.acquire)}});
          out.push_back(std::move(x));
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Rule> MakeReleaseUnheldRule() { return std::make_unique<ReleaseUnheldRule>(); }

}  // namespace pyrace::lint
