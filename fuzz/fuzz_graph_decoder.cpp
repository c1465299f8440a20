// libFuzzer target: CloudDecoder, CloudFormat::kGraphCallRecord (the property is
// fuzz_cloud's, in fuzz_common.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return callroot::fuzz::fuzz_cloud(callroot::ingest::CloudFormat::kGraphCallRecord, data, size);
}
