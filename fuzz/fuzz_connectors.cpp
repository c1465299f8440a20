// libFuzzer target: what the connectors read from files and headers: a Graph
// or a Zoom configuration (the first byte picks which), and the rest as a
// Retry-After header. A configuration is accepted or refused with a
// ConfigError naming a key; nothing else may escape, and an accepted Zoom
// configuration must give a budget that answers.
#include <cstddef>
#include <cstdint>
#include <string>

#include "connectors/backoff.h"
#include "connectors/graph_config.h"
#include "connectors/quota_budget.h"
#include "connectors/secret.h"
#include "connectors/zoom_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace callroot::connectors;
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] & 1) {
      const ZoomConfig c = parse_zoom_config(text, "fuzz.json");
      QuotaBudget budget(c.quota);
      const callroot::TimeMs noon = 20'794 * QuotaBudget::kDay + 12 * 3'600'000;
      if (budget.next_allowed(noon, FetchPriority::kOther) < noon) __builtin_trap();
    } else {
      (void)parse_graph_config(text, "fuzz.json");
    }
  } catch (const ConfigError&) {
  }
  Backoff backoff(BackoffPolicy{}, 1);
  const auto wait = backoff.retry_after(text.substr(0, 64), data[0] % 8);
  if (wait.count() < 0 || wait > BackoffPolicy{}.max_retry_after) __builtin_trap();
  return 0;
}
