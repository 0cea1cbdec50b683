#include "runtime/trace/chunk_decoder.h"

#include <algorithm>

#include "runtime/trace/format.h"

namespace pyrace::trace_format {

namespace {

// A record needs at least this many bytes per frame (three one-byte varints), which
// bounds the frame count by the bytes left before anything is allocated.
constexpr size_t kMinFrameBytes = 3;

}  // namespace

const uint8_t* ChunkDecoder::Fail(const char* why, uint64_t value) {
  why_ = why;
  why_value_ = value;
  return nullptr;
}

template <typename Table>
bool ChunkDecoder::Slot(Table& table, uint64_t id) {
  if (id < table.size()) return true;
  uint64_t holes = id - table.size();
  if (holes > kMaxHoles - holes_) return false;
  holes_ += holes;
  table.resize(static_cast<size_t>(id) + 1);
  return true;
}

template <typename Table>
bool ChunkDecoder::Slot(Table& table, std::vector<bool>& defined, uint64_t id) {
  if (!Slot(table, id)) return false;
  if (defined.size() < table.size()) defined.resize(table.size(), false);
  defined[static_cast<size_t>(id)] = true;
  return true;
}

const uint8_t* ChunkDecoder::StringRef(const uint8_t* p, const uint8_t* end, StrId* out) {
  uint64_t v;
  p = GetVarint(p, end, &v);
  if (!p) return Fail("bad varint");
  if (v >= string_defined_.size() || !string_defined_[static_cast<size_t>(v)]) {
    return Fail("undefined string", v);
  }
  *out = static_cast<StrId>(v);
  return p;
}

bool ChunkDecoder::StackRef(uint64_t v, StackId* out) {
  if (v >= stack_defined_.size() || !stack_defined_[static_cast<size_t>(v)]) {
    Fail("undefined stack", v);
    return false;
  }
  *out = static_cast<StackId>(v);
  return true;
}

const uint8_t* ChunkDecoder::DecodeString(const uint8_t* p, const uint8_t* end) {
  uint64_t id, len;
  if (!(p = GetVarint(p, end, &id)) || !(p = GetVarint(p, end, &len))) return Fail("bad varint");
  if (id > UINT32_MAX) return Fail("string id out of range", id);
  if (len > kMaxStringBytes || len > static_cast<uint64_t>(end - p)) {
    return Fail("string length out of range", len);
  }
  if (!Slot(syms_->strings, string_defined_, id)) return Fail("string id out of range", id);
  syms_->strings[static_cast<size_t>(id)].assign(reinterpret_cast<const char*>(p),
                                                 static_cast<size_t>(len));
  return p + len;
}

const uint8_t* ChunkDecoder::DecodeFrames(const uint8_t* p, const uint8_t* end, uint64_t n,
                                          std::vector<Frame>* out) {
  if (n > kMaxStackFrames || n > static_cast<uint64_t>(end - p) / kMinFrameBytes) {
    return Fail("frame count out of range", n);
  }
  out->resize(static_cast<size_t>(n));
  for (Frame& f : *out) {
    uint64_t line;
    if (!(p = StringRef(p, end, &f.file)) || !(p = StringRef(p, end, &f.function))) return nullptr;
    if (!(p = GetVarint(p, end, &line))) return Fail("bad varint");
    if (line > UINT32_MAX) return Fail("line out of range", line);
    f.line = static_cast<uint32_t>(line);
  }
  return p;
}

const uint8_t* ChunkDecoder::DecodeStack(const uint8_t* p, const uint8_t* end) {
  uint64_t id, n;
  if (!(p = GetVarint(p, end, &id)) || !(p = GetVarint(p, end, &n))) return Fail("bad varint");
  if (id > UINT32_MAX) return Fail("stack id out of range", id);
  std::vector<Frame> frames;
  if (!(p = DecodeFrames(p, end, n, &frames))) return nullptr;
  if (!Slot(syms_->stacks, stack_defined_, id)) return Fail("stack id out of range", id);
  syms_->stacks[static_cast<size_t>(id)] = std::move(frames);
  return p;
}

// `varint length`, then id, base, drop, n and n frames (TraceWriter::DefineStackOn);
// bytes a later version appends are skipped. The base is defined before (in this chunk
// or an earlier one): a reference forward is damage.
const uint8_t* ChunkDecoder::DecodeStackOn(const uint8_t* p, const uint8_t* end) {
  uint64_t len, id, base_id, drop, n;
  if (!(p = GetVarint(p, end, &len))) return Fail("bad varint");
  if (len > static_cast<uint64_t>(end - p)) return Fail("record length out of range", len);
  const uint8_t* body_end = p + len;
  if (!(p = GetVarint(p, body_end, &id)) || !(p = GetVarint(p, body_end, &base_id)) ||
      !(p = GetVarint(p, body_end, &drop)) || !(p = GetVarint(p, body_end, &n))) {
    return Fail("bad varint");
  }
  if (id > UINT32_MAX) return Fail("stack id out of range", id);
  StackId base;
  if (!StackRef(base_id, &base)) return nullptr;
  std::vector<Frame> frames;
  if (!(p = DecodeFrames(p, body_end, n, &frames))) return nullptr;
  const std::vector<Frame>& below = syms_->stacks[base];
  if (drop > below.size()) return Fail("stack base has fewer frames than dropped", drop);
  const size_t shared = std::min(below.size() - static_cast<size_t>(drop), size_t{kMaxStackFrames} - frames.size());
  const auto from = below.begin() + static_cast<std::ptrdiff_t>(drop);
  frames.insert(frames.end(), from, from + static_cast<std::ptrdiff_t>(shared));
  if (!Slot(syms_->stacks, stack_defined_, id)) return Fail("stack id out of range", id);
  syms_->stacks[static_cast<size_t>(id)] = std::move(frames);
  pending_.push_back({kDefStackOn, static_cast<uint32_t>(id), 0, base});
  return body_end;
}

const uint8_t* ChunkDecoder::DecodeThread(const uint8_t* p, const uint8_t* end) {
  uint64_t tid, parent, stack;
  ThreadInfo info;
  if (!(p = GetVarint(p, end, &tid))) return Fail("bad varint");
  if (!(p = StringRef(p, end, &info.name))) return nullptr;
  if (!(p = GetVarint(p, end, &parent)) || !(p = GetVarint(p, end, &stack))) {
    return Fail("bad varint");
  }
  if (tid > UINT32_MAX) return Fail("thread id out of range", tid);
  if (parent > UINT32_MAX) return Fail("parent thread id out of range", parent);
  if (!StackRef(stack, &info.start_stack)) return nullptr;
  info.parent = static_cast<Tid>(parent) - 1;  // 0 encodes kNoTid
  if (!Slot(syms_->threads, tid)) return Fail("thread id out of range", tid);
  syms_->threads[static_cast<size_t>(tid)] = info;
  return p;
}

const uint8_t* ChunkDecoder::DecodeLocation(const uint8_t* p, const uint8_t* end) {
  uint64_t id;
  LocationInfo info;
  if (!(p = GetVarint(p, end, &id))) return Fail("bad varint");
  if (!(p = StringRef(p, end, &info.description))) return nullptr;
  if (!(p = GetVarint(p, end, &info.object))) return Fail("bad varint");
  if (!Slot(syms_->locations, id)) return Fail("location id out of range", id);
  syms_->locations[static_cast<size_t>(id)] = info;
  return p;
}

// A lock name or a stack's test: `varint length`, then the id and a string; bytes a
// later version appends after them are skipped.
const uint8_t* ChunkDecoder::DecodePair(uint8_t type, const uint8_t* p, const uint8_t* end) {
  uint64_t len, id;
  if (!(p = GetVarint(p, end, &len))) return Fail("bad varint");
  if (len > static_cast<uint64_t>(end - p)) return Fail("record length out of range", len);
  const uint8_t* body_end = p + len;
  if (!(p = GetVarint(p, body_end, &id))) return Fail("bad varint");
  if (id > UINT32_MAX) return Fail("id out of range", id);
  StrId str;
  if (!(p = StringRef(p, body_end, &str))) return nullptr;
  if (type == kDefStackTest) {
    StackId stack;
    if (!StackRef(id, &stack)) return nullptr;
  }
  pending_.push_back({type, static_cast<uint32_t>(id), str});
  return body_end;
}

const uint8_t* ChunkDecoder::SkipUnknown(const uint8_t* p, const uint8_t* end) {
  uint64_t len;
  if (!(p = GetVarint(p, end, &len))) return Fail("bad varint");
  if (len > static_cast<uint64_t>(end - p)) return Fail("record length out of range", len);
  return p + len;
}

// Mirrors TraceWriter::EmitPrefixed. Bytes after the known fields (a later minor
// version's) are skipped; the delta context is untouched.
const uint8_t* ChunkDecoder::DecodePrefixedEvent(uint8_t type, const uint8_t* p, const uint8_t* end,
                                                 Event* e) {
  uint64_t len;
  if (!(p = GetVarint(p, end, &len))) return Fail("bad varint");
  if (len > static_cast<uint64_t>(end - p)) return Fail("record length out of range", len);
  const uint8_t* body_end = p + len;
  uint64_t tid, flags_aux, obj, stack, time;
  if (!(p = GetVarint(p, body_end, &tid)) || !(p = GetVarint(p, body_end, &flags_aux)) ||
      !(p = GetVarint(p, body_end, &obj)) || !(p = GetVarint(p, body_end, &stack)) ||
      !(p = GetVarint(p, body_end, &time))) {
    return Fail("bad varint");
  }
  if (tid > UINT32_MAX) return Fail("thread id out of range", tid);
  if (flags_aux >= (1u << 24)) return Fail("flags out of range", flags_aux);
  e->kind = static_cast<EventKind>(type);
  e->tid = static_cast<Tid>(tid);
  e->flags = static_cast<uint8_t>(flags_aux);
  e->aux = static_cast<uint16_t>(flags_aux >> 8);
  e->obj = obj;
  if (!StackRef(stack, &e->stack)) return nullptr;
  e->time_us = time;
  e->reserved = 0;
  return body_end;
}

bool ChunkDecoder::DefineLock(const Event& e) {
  if (e.obj > UINT32_MAX || !Slot(syms_->locks, e.obj)) {
    Fail("lock id out of range", e.obj);
    return false;
  }
  LockInfo& info = syms_->locks[static_cast<size_t>(e.obj)];
  info.kind = static_cast<LockKind>(e.aux);
  info.creator = e.tid;
  info.create_stack = e.stack;
  return true;
}

// Mirrors TraceWriter::Emit: tid (unless the same as the previous event's), flags and
// aux (unless the same as the previous event of this type's), then zigzag deltas of
// obj and stack against the previous event of this type and of time against the
// previous event.
inline const uint8_t* ChunkDecoder::DecodeEvent(uint8_t tag, const uint8_t* p,
                                                const uint8_t* end, Event* e) {
  uint8_t type = tag & kTypeMask;
  Context& c = ctx_[type];
  uint64_t v;
  e->kind = static_cast<EventKind>(type);
  if (tag & kTagSameTid) {
    e->tid = prev_tid_;
  } else {
    if (!(p = GetVarint(p, end, &v))) return Fail("bad varint");
    if (v > UINT32_MAX) return Fail("thread id out of range", v);
    e->tid = static_cast<Tid>(v);
  }
  if (tag & kTagFlagsAux) {
    if (!(p = GetVarint(p, end, &v))) return Fail("bad varint");
    if (v >= (1u << 24)) return Fail("flags out of range", v);
    c.flags_aux = static_cast<uint32_t>(v);
  }
  e->flags = static_cast<uint8_t>(c.flags_aux);
  e->aux = static_cast<uint16_t>(c.flags_aux >> 8);
  if (!(p = GetVarint(p, end, &v))) return Fail("bad varint");
  c.obj += static_cast<uint64_t>(UnZigZag(v));
  e->obj = c.obj;
  if (!(p = GetVarint(p, end, &v))) return Fail("bad varint");
  uint64_t stack = uint64_t{c.stack} + static_cast<uint64_t>(UnZigZag(v));
  if (!StackRef(stack, &e->stack)) return nullptr;
  c.stack = e->stack;
  if (!(p = GetVarint(p, end, &v))) return Fail("bad varint");
  prev_time_ += static_cast<uint64_t>(UnZigZag(v));
  e->time_us = prev_time_;
  e->reserved = 0;
  prev_tid_ = e->tid;
  if (e->kind == EventKind::kLockCreate && !DefineLock(*e)) return nullptr;
  return p;
}

ChunkDecoder::Sizes ChunkDecoder::Snapshot() const {
  return {syms_->strings.size(), syms_->stacks.size(),  syms_->threads.size(),
          syms_->locks.size(),   syms_->locations.size(), holes_};
}

void ChunkDecoder::Rollback(const Sizes& s) {
  syms_->strings.resize(s.strings);
  string_defined_.resize(s.strings);
  syms_->stacks.resize(s.stacks);
  stack_defined_.resize(s.stacks);
  syms_->threads.resize(s.threads);
  syms_->locks.resize(s.locks);
  syms_->locations.resize(s.locations);
  holes_ = s.holes;
}

bool ChunkDecoder::Decode(const uint8_t* data, size_t n, std::vector<Event>* out,
                          std::string* error, size_t* error_offset) {
  out->clear();
  std::fill(std::begin(ctx_), std::end(ctx_), Context{});
  prev_tid_ = 0;
  prev_time_ = 0;
  const Sizes before = Snapshot();
  pending_.clear();
  const uint8_t* p = data;
  const uint8_t* end = data + n;
  while (p < end) {
    const uint8_t* record = p;
    uint8_t tag = *p++;
    uint8_t type = tag & kTypeMask;
    if (IsEventType(type)) {
      Event& e = out->emplace_back();
      p = DecodeEvent(tag, p, end, &e);
    } else if (IsPrefixedEventType(type) && tag == type) {
      Event& e = out->emplace_back();
      p = DecodePrefixedEvent(type, p, end, &e);
    } else if (type >= kDefString && tag != type) {
      p = Fail("definition record with event tag bits", tag);
    } else if (type == kDefString) {
      p = DecodeString(p, end);
    } else if (type == kDefStack) {
      p = DecodeStack(p, end);
    } else if (type == kDefThread) {
      p = DecodeThread(p, end);
    } else if (type == kDefLocation) {
      p = DecodeLocation(p, end);
    } else if (type == kDefLockName || type == kDefStackTest) {
      p = DecodePair(type, p, end);
    } else if (type == kDefStackOn) {
      p = DecodeStackOn(p, end);
    } else {
      p = SkipUnknown(p, end);
    }
    if (!p) {
      *error_offset = static_cast<size_t>(record - data);
      *error = std::string(why_);
      if (why_value_ != UINT64_MAX) *error += " " + std::to_string(why_value_);
      *error += " in record type " + std::to_string(type);
      out->clear();
      Rollback(before);
      return false;
    }
  }
  for (const Pending& d : pending_) {
    // A name for a lock whose creation this trace does not have (created before
    // recording began) still names it.
    if (d.type == kDefLockName && Slot(syms_->locks, d.id)) syms_->locks[d.id].name = d.str;
    if (d.type == kDefStackTest) {
      // A defined stack's id: bounded by the stack table, no holes to count.
      if (syms_->stack_tests.size() <= d.id) syms_->stack_tests.resize(d.id + size_t{1}, 0);
      syms_->stack_tests[d.id] = d.str;
    }
    if (d.type == kDefStackOn && d.base < syms_->stack_tests.size() && syms_->stack_tests[d.base] != 0) {
      if (syms_->stack_tests.size() <= d.id) syms_->stack_tests.resize(d.id + size_t{1}, 0);
      syms_->stack_tests[d.id] = syms_->stack_tests[d.base];
    }
  }
  return true;
}

}  // namespace pyrace::trace_format
