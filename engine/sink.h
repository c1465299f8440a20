#pragma once
/// Where verdicts (and, later, incidents) go. The engine calls the sink on its
/// own thread, synchronously; a sink that does I/O should buffer.

#include "models/verdict.h"

namespace callroot::engine {

class VerdictSink {
 public:
  virtual ~VerdictSink() = default;
  virtual void on_verdict(const Verdict& verdict) = 0;
};

}  // namespace callroot::engine
