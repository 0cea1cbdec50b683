#include <zlib.h>

#include "runtime/trace/format.h"

namespace pyrace::trace_format {

uint32_t Crc32(uint32_t crc, const uint8_t* data, size_t n) {
  // zlib takes a uInt length; chunks are capped far below 4 GiB but loop anyway.
  while (n > 0) {
    uInt part = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    crc = static_cast<uint32_t>(::crc32(crc, data, part));
    data += part;
    n -= part;
  }
  return crc;
}

}  // namespace pyrace::trace_format
