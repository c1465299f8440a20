#pragma once
/// A call segment in binary, exactly: every field of CallSegment, doubles bit
/// for bit, so a segment saved in a checkpoint (segments still waiting for
/// their verdict) scores after a restart as it would have before.
///
/// Written with the state codec (models/bytes.h). The endpoint fields follow
/// kEndpointNumbers and kEndpointTexts, and the stream metrics
/// CALLROOT_STREAM_METRICS, each list preceded by its length: a segment saved
/// by a build with other lists is refused rather than read into the wrong
/// fields.

#include "models/bytes.h"
#include "models/segment.h"

namespace callroot {

void encode_segment(const CallSegment& segment, ByteWriter& out);
/// Reads what encode_segment wrote; throws std::runtime_error (through
/// ByteReader::fail) on truncated or inconsistent bytes.
CallSegment decode_segment(ByteReader& in);

}  // namespace callroot
