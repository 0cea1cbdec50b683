// A sink that checks the reader's promise to its consumers: every delivered event's
// stack and the strings of its frames, and the strings of every thread, are defined
// in the symbols handed along with it. Used by the fuzzer and the corpus replay.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "runtime/trace/trace.h"

namespace pyrace::fuzz {

struct CheckingSink : EventSink {
  uint64_t events = 0;
  uint64_t headers = 0;
  uint64_t touched = 0;  // keeps the lookups from being optimized away

  static void Check(bool ok, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "trace reader broke its contract: %s\n", what);
      std::abort();
    }
  }

  void OnHeader(const TraceHeader& h) override {
    ++headers;
    touched += h.python_version.size() + h.argv.size();
  }

  void OnEvent(const Event& e, const Symbols& syms) override {
    ++events;
    Check(e.stack < syms.stacks.size(), "event names an undefined stack");
    for (const Frame& f : syms.stacks[e.stack]) {
      Check(f.file < syms.strings.size() && f.function < syms.strings.size(),
            "frame names an undefined string");
      touched += syms.strings[f.file].size() + f.line;
    }
    if (e.kind == EventKind::kLockCreate) {
      // Only presence: a later kLockCreate of the same id in the chunk replaces it.
      Check(e.obj < syms.locks.size(), "created lock missing from Symbols::locks");
    }
    touched += syms.thread_name(e.tid).size();
  }
};

// Status invariants that hold for any input.
inline void CheckStatus(const ReadStatus& st, const CheckingSink& sink, size_t input_size) {
  CheckingSink::Check(st.events == sink.events, "status event count differs from delivered");
  CheckingSink::Check(st.bytes <= input_size, "consumed more bytes than the input");
  CheckingSink::Check(st.code == ReadStatus::kOk || !st.message.empty(),
                      "a problem without a message");
  CheckingSink::Check(st.code != ReadStatus::kOk || st.bytes == input_size,
                      "ok without consuming the whole input");
}

}  // namespace pyrace::fuzz
