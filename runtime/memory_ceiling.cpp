#include "runtime/memory_ceiling.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace callroot::runtime {

std::size_t resident_bytes() noexcept {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<std::size_t>(resident) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

bool sheddable(std::string_view type) noexcept {
  return type.starts_with("wifi.") || type.starts_with("switch.") || type.starts_with("wan.") ||
         type == "client.device" || type == "room.health" || type == "graph.teamworkDeviceHealth";
}

MemoryCeiling::MemoryCeiling(std::size_t limit_bytes, std::function<std::size_t()> measure)
    : limit_(limit_bytes), measure_(std::move(measure)) {}

MemoryCeiling::Change MemoryCeiling::check() {
  if (limit_ == 0) return Change::kNone;
  resident_ = measure_();
  if (!shedding_ && resident_ > limit_) {
    shedding_ = true;
    // Freed heap goes back to the system at once, not at the allocator's leisure.
    malloc_trim(0);
    return Change::kStarted;
  }
  if (shedding_ && resident_ < resume_below()) {
    shedding_ = false;
    return Change::kStopped;
  }
  return Change::kNone;
}

bool MemoryCeiling::shed(std::string_view type) noexcept {
  if (!shedding_ || !sheddable(type)) return false;
  ++shed_;
  return true;
}

}  // namespace callroot::runtime
