// libFuzzer target: TeamworkDecoder (`graph.teamworkDevice` and
// `graph.teamworkDeviceHealth`). The first byte picks the format, the rest is
// the document or its envelope. An accepted document yields only well-formed
// readings (a device id, no placeholder MAC, named peripherals, bounded
// warnings); a rejected one leaves the output empty and says why.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_common.h"
#include "ingest/teamwork_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace callroot;
  using namespace callroot::ingest;
  if (size == 0) return 0;
  static TeamworkDecoder dec(TeamworkDecoderOptions{1 << 20, 16});
  static TeamworkRecords out;
  const TeamworkFormat format = (data[0] & 1) != 0 ? TeamworkFormat::kDeviceHealth : TeamworkFormat::kDevice;
  const std::string_view json(reinterpret_cast<const char*>(data + 1), size - 1);
  if (dec.decode(format, json, out)) {
    for (const TeamworkClient& c : out.clients) fuzz::check(!c.mac.is_placeholder());
    for (const TeamworkHealth& h : out.health) {
      fuzz::check(!h.device.empty());
      fuzz::check(!h.client || !h.client->is_placeholder());
      fuzz::check(format == TeamworkFormat::kDevice || !h.client);
      fuzz::check(h.peripherals.size() <= 7 + 16);  // the named ones and at most 16 displays
      for (const auto& [name, state] : h.peripherals) fuzz::check(!name.empty());
    }
    fuzz::check(dec.warnings().size() <= 16);
  } else {
    fuzz::check(out.clients.empty() && out.health.empty());
    fuzz::check(!dec.error().detail.empty());
  }
  return 0;
}
