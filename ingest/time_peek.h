#pragma once
/// A native record's event time without decoding it: `end` for a
/// `call.segment`, `ts` for anything else, read from the text. For ordering
/// only (the replay's check that a file is in time order, before it is
/// decoded); the decoder remains the judge of what a record means.

#include <string_view>

#include "models/time.h"

namespace callroot::ingest {

/// The top-level `ts` (or a call segment's `end`) of `line`, as RFC 3339 text
/// or milliseconds; kNoTime when there is none or it does not read (a Graph
/// or Zoom document, inventory, a bad line).
TimeMs peek_event_time(std::string_view line) noexcept;

/// The top-level `type` of `line`, from the text; empty when there is none.
std::string_view peek_record_type(std::string_view line) noexcept;

}  // namespace callroot::ingest
