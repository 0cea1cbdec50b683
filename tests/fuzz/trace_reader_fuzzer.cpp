// libFuzzer target for the trace reader. Built with
// FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which makes the reader skip its crc
// comparisons so mutations reach the record decoder (see corpus_gen --fix-crc to turn
// a finding into a corpus file that the normal build replays).
#include <cstddef>
#include <cstdint>
#include <span>

#include "tests/fuzz/check_sink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pyrace::TraceReader reader;
  pyrace::fuzz::CheckingSink sink;
  pyrace::ReadStatus st = reader.ReadBuffer(std::span<const uint8_t>(data, size), sink);
  pyrace::fuzz::CheckStatus(st, sink, size);
  return 0;
}
