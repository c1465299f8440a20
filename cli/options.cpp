#include "cli/attribution_mode.h"
#include "cli/command.h"

namespace callroot::cli {

void EngineFlags::add(CLI::App& cmd) {
  lateness = cmd.add_option("--lateness-ms", values.allowed_lateness,
                            "Telemetry this far behind the newest event is still merged")
                 ->capture_default_str();
  grace = cmd.add_option("--grace-ms", values.grace, "Wait this long past a segment's end for its telemetry")
              ->capture_default_str();
  retention = cmd.add_option("--retention-ms", values.retention, "How long telemetry is kept")->capture_default_str();
}

void EngineFlags::apply(engine::EngineConfig& config) const {
  if (lateness->count() > 0) config.allowed_lateness = values.allowed_lateness;
  if (grace->count() > 0) config.grace = values.grace;
  if (retention->count() > 0) config.retention = values.retention;
}

CLI::Option* add_attribution_option(CLI::App& cmd, std::string& method) {
  std::string help = "The attribution method:";
  std::vector<std::string> names;
  for (const auto& e : attribution_methods().entries()) {
    help += "\n  " + e.name + ": " + e.description;
    names.push_back(e.name);
  }
  return cmd.add_option("--attribution", method, help)->check(CLI::IsMember(names, CLI::ignore_case));
}

void CaptureFlags::add(CLI::App& cmd, const char* zmq_default) {
  slice = cmd.add_option("--slice-s", slice_s, "RTP streams: seconds of packet time per call segment")
              ->capture_default_str()
              ->check(CLI::PositiveNumber);
  idle = cmd.add_option("--flow-idle-s", flow_idle_s, "RTP streams: close a stream after this many idle seconds")
             ->capture_default_str()
             ->check(CLI::PositiveNumber);
  udp = cmd.add_option("--udp-port", udp_ports, "Read one JSON record per UDP datagram to this port (repeatable)")
            ->allow_extra_args(false)
            ->check(CLI::Range(1, 65535));
  zmq = cmd.add_option("--zmq-port", zmq_ports,
                       std::string("Decode TCP to this port as ZeroMQ (ZMTP) ingest traffic (repeatable; default ") +
                           zmq_default + ")")
            ->allow_extra_args(false)
            ->check(CLI::Range(1, 65535));
}

void CaptureFlags::apply(ingest::CaptureOptions& o) const {
  if (slice->count() > 0) o.segmenter.slice_ns = static_cast<std::int64_t>(slice_s * 1e9);
  if (idle->count() > 0) o.segmenter.idle_timeout_ns = static_cast<std::int64_t>(flow_idle_s * 1e9);
  if (udp->count() > 0) o.udp_ports = udp_ports;
  if (zmq->count() > 0) o.zmq_ports = zmq_ports;
}

}  // namespace callroot::cli
