#include "runtime/config_reload.h"

#include <functional>

namespace callroot::runtime {
namespace {

/// A setting that waits for a restart, named as the configuration file names it.
struct RestartOnly {
  const char* key;
  std::function<bool(const DaemonOptions&, const DaemonOptions&)> same;
};

template <typename Get>
RestartOnly setting(const char* key, Get get) {
  return {key, [get](const DaemonOptions& a, const DaemonOptions& b) { return get(a) == get(b); }};
}

const std::vector<RestartOnly>& restart_only_settings() {
  static const std::vector<RestartOnly> settings = {
      setting("sub", [](const DaemonOptions& o) { return o.source.sub_endpoints; }),
      setting("pull", [](const DaemonOptions& o) { return o.source.pull_endpoints; }),
      setting("pub", [](const DaemonOptions& o) { return o.publish; }),
      setting("allowed_lateness_ms", [](const DaemonOptions& o) { return o.config.engine.allowed_lateness; }),
      setting("grace_ms", [](const DaemonOptions& o) { return o.config.engine.grace; }),
      setting("retention_ms", [](const DaemonOptions& o) { return o.config.engine.retention; }),
      setting("evidence_padding_ms", [](const DaemonOptions& o) { return o.config.engine.evidence_padding; }),
      setting("checkpoint", [](const DaemonOptions& o) { return o.checkpoint; }),
      setting("key_file", [](const DaemonOptions& o) { return o.config.key_file; }),
      setting("curve_key", [](const DaemonOptions& o) { return o.curve_key; }),
      setting("curve_allow", [](const DaemonOptions& o) { return o.curve_allow; }),
      setting("insecure", [](const DaemonOptions& o) { return o.insecure; }),
      setting("out_dir", [](const DaemonOptions& o) { return o.verdict_files.dir; }),
      setting("metrics_listen", [](const DaemonOptions& o) { return o.metrics_listen; }),
      setting("iface", [](const DaemonOptions& o) { return o.live.iface; }),
      setting("bpf", [](const DaemonOptions& o) { return o.live.bpf; }),
      setting("udp_ports", [](const DaemonOptions& o) { return o.config.capture.udp_ports; }),
      setting("zmq_ports", [](const DaemonOptions& o) { return o.config.capture.zmq_ports; }),
      setting("slice_ms", [](const DaemonOptions& o) { return o.config.capture.segmenter.slice_ns; }),
      setting("flow_idle_ms", [](const DaemonOptions& o) { return o.config.capture.segmenter.idle_timeout_ns; }),
  };
  return settings;
}

}  // namespace

std::vector<std::string> changes_needing_restart(const DaemonOptions& running, const DaemonOptions& next) {
  std::vector<std::string> changed;
  for (const RestartOnly& s : restart_only_settings()) {
    if (!s.same(running, next)) changed.emplace_back(s.key);
  }
  return changed;
}

bool attribution_changed(const DaemonOptions& running, const DaemonOptions& next) {
  const AttributionConfig& a = running.config.attribution;
  const AttributionConfig& b = next.config.attribution;
  return a.rules != b.rules || a.method != b.method || running.rules_check_interval != next.rules_check_interval;
}

void take_live_settings(DaemonOptions& running, const DaemonOptions& next) {
  running.idle_flush = next.idle_flush;
  running.checkpoint_every = next.checkpoint_every;
  running.memory_limit_mb = next.memory_limit_mb;
  running.config.attribution.refuse_shrink = next.config.attribution.refuse_shrink;
  running.verdict_files.max_bytes = next.verdict_files.max_bytes;
  running.verdict_files.max_age = next.verdict_files.max_age;
  running.verdict_files.sync_every = next.verdict_files.sync_every;
  running.verdict_files.sync_each_line = next.verdict_files.sync_each_line;
}

}  // namespace callroot::runtime
