// What the events refer to by number: strings, call stacks, threads, locks and
// locations. The recorder fills it as it goes and the trace carries every definition
// before its first use, so a reader (live or offline) always has the same view.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/model/event.h"

namespace pyrace {

struct Frame {
  StrId file = 0;
  StrId function = 0;  // Python qualified name when known ("Account.deposit")
  uint32_t line = 0;
};

struct ThreadInfo {
  StrId name = 0;              // "Thread-5 (get_value)", "MainThread"
  Tid parent = kNoTid;
  StackId start_stack = kNoStack;  // where start() was called
};

struct LockInfo {
  LockKind kind = LockKind::kLock;
  Tid creator = 0;
  StackId create_stack = kNoStack;
  // Where the program keeps it ("PooledDatabase._pool_lock", "downloader.LOCK"): the
  // attribute, global or class attribute its creation was stored into; 0 = none.
  StrId name = 0;
};

struct LocationInfo {
  StrId description = 0;  // "counter.g_num", "Account.balance", "cache[<str 'k'>]"
  uint64_t object = 0;    // owning object id, for kObjectFree
};

struct Symbols {
  std::vector<std::string> strings{""};
  std::vector<std::vector<Frame>> stacks{{}};  // stacks[kNoStack] is empty
  std::vector<ThreadInfo> threads;             // indexed by Tid
  std::vector<LockInfo> locks;                 // indexed by LockId
  std::vector<LocationInfo> locations;         // indexed by LocId
  // The test (pytest node id) each stack was recorded in; 0 = none. Indexed by
  // StackId, shorter than stacks when the last ones have none.
  std::vector<StrId> stack_tests;

  std::string_view str(StrId id) const {
    return id < strings.size() ? std::string_view(strings[id]) : std::string_view();
  }
  const std::vector<Frame>& stack(StackId id) const {
    return id < stacks.size() ? stacks[id] : stacks[kNoStack];
  }
  std::string_view stack_test(StackId id) const {
    return id < stack_tests.size() ? str(stack_tests[id]) : std::string_view();
  }
  std::string_view lock_name(LockId l) const {
    return l < locks.size() ? str(locks[l].name) : std::string_view();
  }
  std::string_view thread_name(Tid t) const {
    return t < threads.size() ? str(threads[t].name) : std::string_view();
  }
};

}  // namespace pyrace
