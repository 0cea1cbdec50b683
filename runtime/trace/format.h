// Constants and primitives of the trace format (docs/trace-format.md), shared by the
// writer and the reader. Everything multi-byte in fixed fields is little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pyrace::trace_format {

// File header: the first 12 bytes never change across major versions, so any reader
// can tell "not a trace" from "a trace newer than me".
inline constexpr uint8_t kFileMagic[8] = {'P', 'Y', 'R', 'A', 'C', 'E', 'T', 'R'};
// Then payload length, crc32(payload), crc32(first 20 bytes): like a chunk header, the
// fixed part checks itself so a damaged length is caught before it is trusted.
inline constexpr size_t kFileFixedBytes = 24;
inline constexpr uint32_t kMaxHeaderPayload = 1u << 20;

// Chunk header: magic, payload length, crc32(payload), crc32(first 12 header bytes).
// The header checks itself so a damaged length is caught before it is trusted.
inline constexpr uint8_t kChunkMagic[4] = {'P', 'R', 'C', 'K'};
inline constexpr size_t kChunkHeaderBytes = 16;
inline constexpr uint32_t kMaxChunkPayload = 16u << 20;

// Record types: the low 6 bits of a record's tag byte. Event records use the
// EventKind value itself; definitions sit at the top of the range. A type a reader
// does not know is followed by a varint length and skipped (minor versions add types
// only in that form).
inline constexpr uint8_t kTypeMask = 0x3f;
inline constexpr uint8_t kTagSameTid = 0x40;   // event: tid equals the previous event's
inline constexpr uint8_t kTagFlagsAux = 0x80;  // event: (flags | aux << 8) follows
inline constexpr uint8_t kDefString = 60;
inline constexpr uint8_t kDefStack = 61;
inline constexpr uint8_t kDefThread = 62;
inline constexpr uint8_t kDefLocation = 63;
// Added in 1.1, length-prefixed (1.0 readers skip them): the name a lock is kept
// under in the program, and the test a stack was recorded in.
inline constexpr uint8_t kDefLockName = 58;
inline constexpr uint8_t kDefStackTest = 57;
// Added in 2.0 (length-prefixed all the same): a stack as its innermost frames above the callers it
// shares with an earlier stack (that stack less its own innermost frames); it is in
// that stack's test. Deep stacks (a test runner's) differ in a few top frames only.
inline constexpr uint8_t kDefStackOn = 56;

// Caps that keep a damaged or hostile trace from making the reader allocate without
// bound: every length is checked against them and against the bytes that remain.
inline constexpr uint32_t kMaxStringBytes = 1u << 20;
inline constexpr uint32_t kMaxStackFrames = 1u << 16;
inline constexpr uint32_t kMaxArgs = 1u << 16;
// Ids are dense, but a definition may leave holes (ids handed out and defined out of
// order). Holes cost memory without costing input bytes, so their total is capped.
inline constexpr uint64_t kMaxHoles = 1u << 20;

// The largest encoded event: tag + tid + flags/aux + obj + stack + time varints.
inline constexpr size_t kMaxEventBytes = 1 + 5 + 4 + 10 + 5 + 10;

inline void PutU16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void PutU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint16_t GetU16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t GetU32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) |
         (uint32_t{p[3]} << 24);
}

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Appends v as a LEB128 varint; the caller guarantees 10 free bytes.
inline uint8_t* PutVarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Writes v as a LEB128 varint of exactly 5 bytes (continuation bits on the first four),
// for a length that is known only after what follows it is encoded.
inline void PutPaddedVarint(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>((v >> (7 * i)) | 0x80);
  p[4] = static_cast<uint8_t>(v >> 28);
}

// Reads a LEB128 varint from [p, end). Returns nullptr when it runs past end or is
// longer than 10 bytes / overflows 64 bits: the reader treats either as corruption.
inline const uint8_t* GetVarint(const uint8_t* p, const uint8_t* end, uint64_t* out) {
  if (p < end && *p < 0x80) {  // the common one-byte case
    *out = *p;
    return p + 1;
  }
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) return nullptr;
    uint8_t b = *p++;
    if (shift == 63 && b > 1) return nullptr;
    v |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) {
      *out = v;
      return p;
    }
  }
  return nullptr;
}

// Crc32 (zlib's polynomial), continuing from crc (0 to start); pure and
// async-signal-safe (zlib's tables are static).
uint32_t Crc32(uint32_t crc, const uint8_t* data, size_t n);

// Whether a record type is one of the event kinds of event.h that this version
// encodes without a length (every other type below kDefString is length-prefixed).
constexpr bool IsEventType(uint8_t type) {
  switch (type) {
    case 1: case 2: case 3:                       // threads
    case 10: case 11: case 12: case 13: case 14:  // locks
    case 20: case 21:                             // hand-offs
    case 30: case 31:                             // accesses
    case 40: case 41: case 42: case 43:           // deadlock group
    case 50:                                      // GIL not held
      return true;
    default:
      return false;
  }
}

// Event kinds added in minor versions: written length-prefixed (`tag`, `varint length`,
// then varints tid, flags | aux << 8, obj, stack, time_us, none of them deltas), so
// a reader of an older minor version skips them as unknown records.
constexpr bool IsPrefixedEventType(uint8_t type) {
  return type == 44 || type == 45  // kLoopBlocked, kLoopStepEnd (1.1)
         || type == 46 || type == 47  // kTaskStep, kFork (1.2)
         || type == 48;               // kProcessEnd (2.1)
}

}  // namespace pyrace::trace_format
