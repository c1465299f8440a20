#pragma once
/// Where verdicts and incidents go. The engine calls the sink on its own
/// thread, synchronously; a sink that does I/O should buffer.

#include "models/incident.h"
#include "models/verdict.h"

namespace callroot::engine {

class VerdictSink {
 public:
  virtual ~VerdictSink() = default;
  virtual void on_verdict(const Verdict& verdict) = 0;
  /// An incident record (open, update, closed), right after the verdict that
  /// caused it or when the watermark moves. Ignored unless a sink wants them.
  virtual void on_incident(const Incident& /*incident*/) {}
};

}  // namespace callroot::engine
