// libFuzzer target: the saved state a restart reads back (engine/checkpoint.h
// sections and models/segment_codec.h). The first byte picks the reader: a
// saved segment, the segment ledger, the incident tracker or the
// statistics. Property: any bytes give either a clean refusal
// (std::runtime_error, nothing else) or a state that saves and reads back
// (the same bytes again, or for the ledger, whose hash table orders its
// entries by where they landed, the same number of entries).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/incidents.h"
#include "engine/segment_ledger.h"
#include "engine/statistics.h"
#include "fuzz/fuzz_common.h"
#include "models/directory.h"
#include "models/segment_codec.h"

namespace {

using callroot::fuzz::check;

void segment(std::string_view bytes) {
  callroot::ByteReader r(bytes, "fuzz");
  const callroot::CallSegment s = callroot::decode_segment(r);
  callroot::ByteWriter w;
  callroot::encode_segment(s, w);
  callroot::ByteReader again(w.bytes(), "fuzz again");
  const callroot::CallSegment back = callroot::decode_segment(again);
  check(again.done());
  callroot::ByteWriter w2;
  callroot::encode_segment(back, w2);
  check(w2.bytes() == w.bytes());
}

template <class State>
void round_trip(std::string_view bytes, State& state) {
  state.deserialize(bytes);
  const std::string saved = state.serialize();
  state.deserialize(saved);
  check(state.serialize() == saved);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0: segment(bytes); break;
      case 1: {
        callroot::engine::SegmentLedger ledger;
        ledger.deserialize(bytes);
        callroot::engine::SegmentLedger again;
        again.deserialize(ledger.serialize());
        check(again.size() == ledger.size());
        break;
      }
      case 2: {
        callroot::engine::IncidentTracker incidents;
        round_trip(bytes, incidents);
        break;
      }
      case 3: {
        callroot::Directory directory;
        callroot::engine::Statistics statistics;
        statistics.deserialize(bytes, directory);
        const std::string saved = statistics.serialize(directory);
        statistics.deserialize(saved, directory);
        check(statistics.serialize(directory) == saved);
        break;
      }
    }
  } catch (const std::runtime_error&) {
    // A refusal that names what is wrong: the reader's whole contract.
  }
  return 0;
}
