// libFuzzer target: CloudDecoder, CloudFormat::kZoomQos. Any bytes in; an
// accepted document yields only well-formed segments, a rejected one leaves
// the output untouched and says why.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_common.h"
#include "ingest/cloud_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace callroot;
  using namespace callroot::ingest;
  static CloudDecoder dec(CloudDecoderOptions{1 << 20, 16});
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  std::vector<CallSegment> out;
  std::vector<CloudClientSample> samples;
  if (dec.decode(CloudFormat::kZoomQos, json, out, false, &samples)) {
    for (const CallSegment& s : out) fuzz::check_segment(s);
    for (const CloudClientSample& c : samples) fuzz::check(!c.client.is_placeholder());
    fuzz::check(dec.warnings().size() <= 16);
  } else {
    fuzz::check(out.empty() && samples.empty());
    fuzz::check(!dec.error().detail.empty());
  }
  return 0;
}
