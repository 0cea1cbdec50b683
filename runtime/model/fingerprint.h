// A finding's fingerprint: 64-bit FNV-1a over a stable key (sites, never run-specific ids),
// as 16 hex digits. The one hash every producer uses (the analyses' FindingSink, the
// linter's baselines), so a fingerprint means the same in JSON, SARIF and baselines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pyrace {

// FNV-1a 64-bit parameters (http://www.isthe.com/chongo/tech/comp/fnv/).
inline constexpr uint64_t kFnv1a64OffsetBasis = 14695981039346656037ull;  // 0xcbf29ce484222325
inline constexpr uint64_t kFnv1a64Prime = 1099511628211ull;               // 0x100000001b3

// FNV-1a over text's bytes, starting from basis (the offset basis unless a stored format
// was defined with another start value).
uint64_t Fnv1a64(std::string_view text, uint64_t basis = kFnv1a64OffsetBasis);

// 16 lower-case hex digits, zero-padded.
std::string Hex16(uint64_t value);

// Hex16(Fnv1a64(key)).
std::string Fingerprint(std::string_view key);

}  // namespace pyrace
