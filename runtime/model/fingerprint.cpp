#include "runtime/model/fingerprint.h"

#include <cstdio>

namespace pyrace {

uint64_t Fnv1a64(std::string_view text, uint64_t basis) {
  uint64_t h = basis;
  for (unsigned char c : text) {
    h ^= c;
    h *= kFnv1a64Prime;
  }
  return h;
}

std::string Hex16(uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string Fingerprint(std::string_view key) { return Hex16(Fnv1a64(key)); }

}  // namespace pyrace
