// What the per-file pass learns, in symbolic form: lock references are names as written
// ("self._lock" in class C, global "mutex"), resolved to project-wide lock identities and
// types only by the project pass (project.h), after every file has been read.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tool/lint/source.h"

namespace pyrace::lint {

// How a lock (or any object a rule cares about) is named at a use site.
enum class RefKind : uint8_t {
  kGlobal,      // a = module-level name
  kSelfAttr,    // a = attribute of self/cls within the enclosing class
  kClassAttr,   // a = class name, b = attribute
  kModuleAttr,  // a = imported module alias, b = attribute
  kLocal,       // a = local variable of the function (function-scoped identity)
  kOther,       // a = source text (function-scoped identity)
};

struct Ref {
  RefKind kind = RefKind::kOther;
  std::string a, b;
  // Attributes read off the object the kind names, in order ("nw.lock" for
  // `self.nw.lock`): the project pass follows them through what the code assigned.
  std::string chain;
  std::string text;  // as written, for messages
  bool operator==(const Ref& o) const { return kind == o.kind && a == o.a && b == o.b && chain == o.chain; }
  bool operator<(const Ref& o) const {
    if (kind != o.kind) return kind < o.kind;
    if (a != o.a) return a < o.a;
    return b != o.b ? b < o.b : chain < o.chain;
  }
};

// What a constructor call creates, as far as the rules care.
enum class Ctor : uint8_t {
  kNone,
  kLock,       // threading.Lock, _thread.allocate_lock, asyncio.Lock, multiprocessing.Lock
  kRLock,
  kCondition,  // underlying lock in CtorInfo::arg (RLock when absent)
  kSemaphore,  // Semaphore/BoundedSemaphore: released by other threads by design
  kEvent,
  kBarrier,
  kQueue,
  kThread,
  kThreadExecutor,
  kProcessExecutor,
  kFuture,
  kSubmitted,  // x.submit(...): a Future when the receiver (CtorInfo::arg) is an executor
  kInstance,   // a call of something else: an instance when CtorInfo::cls names a class
};

struct CtorInfo {
  Ctor kind = Ctor::kNone;
  std::optional<Ref> arg;  // Condition(lock): the lock; kSubmitted: the receiver
  std::string cls;         // kInstance: the callee as written ("NewsWrapper", "mod.Stats")
  bool bounded = false;    // Queue(maxsize) with maxsize > 0: put() can block
};

// A function or method reference at a call site or as a thread target.
// kObject: a method of an object the code assigned (`stats.hit` for a module-level
// `stats = Stats()`, `self.nw.update`): b is the method, object the receiver.
enum class CalleeKind : uint8_t { kName, kSelfMethod, kClassMethod, kModuleAttr, kObject };
struct Callee {
  CalleeKind kind = CalleeKind::kName;
  std::string a, b;  // kName: a; kSelfMethod: a; kClassMethod: a.b; kModuleAttr: a.b; kObject: b
  Ref object;        // kObject
  std::string text;
};

struct AcquireFact {
  Ref ref;
  Pos pos;
  std::vector<Ref> held;  // locks certainly held just before (with-blocks and acquire/release)
  bool via_with = false;
  bool blocking = true;
};

struct CallFact {
  Callee callee;
  Pos pos;
  std::vector<Ref> held;
};

// kObjectAttr: an attribute of an object reached from a global or self (`stats.count`,
// `self.nw.items`); the project pass names it by the object's class.
enum class AccessTarget : uint8_t { kGlobal, kSelfAttr, kNonlocal, kObjectAttr };
struct AccessFact {
  AccessTarget target = AccessTarget::kGlobal;
  std::string name;
  Ref object;  // kObjectAttr
  bool write = false;
  bool augmented = false;  // x += ...: a read-modify-write
  Pos pos;
  std::vector<Ref> held;
};

enum class BlockKind : uint8_t { kSleep, kJoin, kQueueGet, kQueuePut, kWait, kResult };
struct BlockingFact {
  BlockKind kind = BlockKind::kSleep;
  std::optional<Ref> receiver;
  std::string callee_text;
  Pos pos;
  std::vector<Ref> held;
};

enum class CondOp : uint8_t { kWait, kNotify };
struct CondOpFact {
  CondOp op = CondOp::kWait;
  Ref receiver;
  std::string method;
  Pos pos;
  std::vector<Ref> held;
  bool in_while = false;
  bool timed = false;  // wait(timeout): a deliberate one-shot timed wait
};

enum class TargetKind : uint8_t { kThread, kExecutor, kTimer, kStartNewThread };
struct TargetFact {
  Callee callee;
  TargetKind kind = TargetKind::kThread;
  std::string via;     // receiver text for executor submissions
  std::string method;  // submit / map for executors
  std::optional<Ref> executor;  // receiver of submit/map, typed by the project pass
  Pos pos;
};

// Path findings of the lock-state dataflow, still symbolic (the lock's type decides).
enum class ExitKind : uint8_t { kReturn, kFallOff, kRaise, kImplicitRaise, kBreakContinue };
struct MissedReleaseFact {
  Ref ref;
  Pos acquire;
  Pos exit;
  ExitKind exit_kind = ExitKind::kReturn;
  bool function_releases = false;  // the function releases the lock on some path
};
struct UnheldReleaseFact {
  Ref ref;
  Pos release;
  Pos acquire;              // the acquire inside the try, when that is the cause
  bool try_acquire = false;  // acquire() inside the try whose finally/except releases
  bool never_acquired_here = false;
  bool after_release = false;  // released twice on the path (legal for reentrant locks)
};
struct DoubleAcquireFact {
  Ref ref;
  Pos second;
  Pos first;
  bool via_with = false;  // inside `with lock:` of the same lock
};

// Names to what constructed them; transparent, so the project pass looks names up by view.
using CtorMap = std::map<std::string, CtorInfo, std::less<>>;

struct FunctionFacts {
  std::string module;
  std::string qualname;    // "C.m", "f", "f.g"; "<module>" for top-level code
  std::string name;
  std::string class_name;  // enclosing class of a method, else empty
  std::string enclosing;   // qualname of the enclosing function for nested defs
  Pos pos;
  CtorMap local_ctors;  // locals assigned from constructors
  std::vector<AcquireFact> acquires;
  std::vector<Ref> releases;
  std::vector<Ref> signal_releases;  // released without being acquired here (a hand-off)
  std::vector<CallFact> calls;
  std::vector<AccessFact> accesses;
  std::vector<BlockingFact> blocking;
  std::vector<CondOpFact> cond_ops;
  std::vector<TargetFact> targets;
  std::vector<MissedReleaseFact> missed;
  std::vector<UnheldReleaseFact> unheld;
  std::vector<DoubleAcquireFact> doubles;
};

struct ClassFacts {
  std::string name;
  std::vector<std::string> bases;  // as written: "threading.Thread", "Base"
  CtorMap attrs;  // class attributes and self.X = Ctor(...)
  std::vector<std::string> methods;
};

struct Import {
  std::string module;  // "threading", "pkg.mod"
  std::string name;    // imported name; empty for `import module`
};

struct FileFacts {
  std::string path;
  std::string module;  // dotted module name derived from the path
  std::vector<SyntaxError> syntax_errors;
  bool read_error = false;
  std::string read_error_message;
  CtorMap globals;                              // module-level names from constructors
  std::vector<std::string> module_names;        // every module-level assigned name (sorted)
  std::map<std::string, Import, std::less<>> imports;  // alias -> what it names
  std::map<std::string, ClassFacts, std::less<>> classes;
  std::vector<FunctionFacts> functions;
};

}  // namespace pyrace::lint
