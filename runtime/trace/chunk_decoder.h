// Decodes one checksummed chunk payload into events and symbol definitions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model/event.h"
#include "runtime/model/symbols.h"

namespace pyrace::trace_format {

class ChunkDecoder {
 public:
  explicit ChunkDecoder(Symbols* syms) : syms_(syms) {}

  // Appends the chunk's events to *out (cleared first) and its definitions to the
  // symbols. On a record that does not decode, returns false with *error and the
  // record's offset in the payload, and drops the chunk's additions to the symbols.
  bool Decode(const uint8_t* data, size_t n, std::vector<Event>* out, std::string* error,
              size_t* error_offset);

 private:
  struct Context {
    uint64_t obj = 0;
    uint32_t stack = 0;
    uint32_t flags_aux = 0;
  };
  struct Sizes {
    size_t strings, stacks, threads, locks, locations;
    uint64_t holes;
  };

  const uint8_t* DecodeEvent(uint8_t tag, const uint8_t* p, const uint8_t* end, Event* e);
  const uint8_t* DecodeString(const uint8_t* p, const uint8_t* end);
  const uint8_t* DecodeStack(const uint8_t* p, const uint8_t* end);
  const uint8_t* DecodeStackOn(const uint8_t* p, const uint8_t* end);
  const uint8_t* DecodeFrames(const uint8_t* p, const uint8_t* end, uint64_t n, std::vector<Frame>* out);
  const uint8_t* DecodeThread(const uint8_t* p, const uint8_t* end);
  const uint8_t* DecodeLocation(const uint8_t* p, const uint8_t* end);
  const uint8_t* DecodePrefixedEvent(uint8_t type, const uint8_t* p, const uint8_t* end, Event* e);
  const uint8_t* DecodePair(uint8_t type, const uint8_t* p, const uint8_t* end);
  const uint8_t* SkipUnknown(const uint8_t* p, const uint8_t* end);
  bool DefineLock(const Event& e);

  // Grows a dense table to hold id, counting the holes left behind against kMaxHoles.
  template <typename Table>
  bool Slot(Table& table, uint64_t id);
  template <typename Table>
  bool Slot(Table& table, std::vector<bool>& defined, uint64_t id);
  const uint8_t* StringRef(const uint8_t* p, const uint8_t* end, StrId* out);
  bool StackRef(uint64_t v, StackId* out);

  Sizes Snapshot() const;
  void Rollback(const Sizes& s);
  const uint8_t* Fail(const char* why, uint64_t value = UINT64_MAX);

  Symbols* syms_;
  std::vector<bool> string_defined_{true};
  std::vector<bool> stack_defined_{true};
  uint64_t holes_ = 0;
  Context ctx_[64];
  Tid prev_tid_ = 0;
  uint64_t prev_time_ = 0;
  // 1.1 definitions that change entries of earlier chunks (a lock's name, a stack's
  // test) wait here until their chunk decodes whole, so a bad chunk changes nothing;
  // so does the test a 2.0 stack takes from its base (in record order, after the base's).
  struct Pending {
    uint8_t type;
    uint32_t id;
    StrId str;
    StackId base = kNoStack;
  };
  std::vector<Pending> pending_;
  const char* why_ = nullptr;
  uint64_t why_value_ = 0;
};

}  // namespace pyrace::trace_format
