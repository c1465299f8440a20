#pragma once
/// The native `call.segment` JSON record of a segment (docs/contract.md §5):
/// every field of CallSegment that is given, under the key the native decoder
/// reads, so that a segment written here decodes back equal (numbers to 6
/// decimals). Used by the capture path (RTP segments) and by tests that check
/// a cloud-decoded segment survives the native form.

#include <string>

#include "models/segment.h"

namespace callroot {

/// Appends one JSON object (no newline) to `out`.
void write_segment_json(const CallSegment& s, std::string& out);

}  // namespace callroot
