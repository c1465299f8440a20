// libFuzzer target: RecordDecoder (native records and, through decode_many,
// the cloud documents too). The first byte picks the ZeroMQ type hint (or
// none), the rest is the record. A decoder must never crash, leak or throw,
// and must keep working after a rejection.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_common.h"
#include "ingest/decoder.h"
#include "ingest/time_peek.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace callroot;
  using namespace callroot::ingest;
  if (size == 0) return 0;
  static Directory dir;  // bounded tables: too_many_entities is a valid outcome
  static RecordDecoder dec(dir, DecoderOptions{1 << 16, 1 << 20, nullptr});
  const auto pick = static_cast<int>(data[0] % 22);
  std::string_view hint;
  if (pick <= static_cast<int>(RecordType::kGraphTeamworkDeviceHealth)) hint = to_string(static_cast<RecordType>(pick));
  const std::string_view json(reinterpret_cast<const char*>(data + 1), size - 1);

  // The replay's order check reads the same text before any decoder does.
  (void)peek_event_time(json);

  Event ev;
  if (dec.decode(json, ev, false, hint)) {
    if (const auto* s = std::get_if<CallSegment>(&ev)) fuzz::check_segment(*s);
  } else {
    fuzz::check(!dec.error().detail.empty());
  }
  std::vector<Event> events;
  if (dec.decode_many(json, events, false, hint)) {
    // A native record gives one event; a cloud page may give none (no samples).
    for (const Event& e : events) {
      if (const auto* s = std::get_if<CallSegment>(&e)) fuzz::check_segment(*s);
    }
  } else {
    fuzz::check(events.empty());
    fuzz::check(!dec.error().detail.empty());
  }
  return 0;
}
