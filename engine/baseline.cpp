#include "engine/baseline.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>

#include <Eigen/Core>

#include "models/bytes.h"

namespace callroot::engine {
namespace {

constexpr DurationMs kDay = 86'400'000;
constexpr double kHalfRange = 65'000;  // within the IEEE half's largest finite value, 65,504
// Gains of the stochastic approximation, in units of the scale (see baseline.h).
constexpr double kMedianGain = 1.2533;
constexpr double kMadGain = 0.7867;
constexpr double kMadPerSigma = 1.4826;      // sigma = 1.4826 MAD for a normal distribution
constexpr double kMadPerMeanDev = 0.8453;    // MAD = 0.8453 mean absolute deviation for a normal distribution
constexpr double kRelativeFloor = 0.002;     // the half's 11 bits: below this, the stored median is noise

struct Tracked {
  std::uint8_t column;
  std::int8_t direction;
  float floor;
};

// The columns learned, with the direction that is bad and the scale's floor.
constexpr std::array kWifiClientTracked{
    Tracked{col::kRssi, -1, 1.0f}, Tracked{col::kSnr, -1, 1.0f},
    Tracked{col::kTxRetry, +1, 1.0f}, Tracked{col::kRxRetry, +1, 1.0f},
};
constexpr std::array kWifiApTracked{
    Tracked{col::kChannelUtil, +1, 1.0f}, Tracked{col::kInterference, +1, 1.0f}, Tracked{col::kNoise, +1, 1.0f},
    Tracked{col::kApTxRetry, +1, 1.0f},   Tracked{col::kApCpu, +1, 1.0f},
};
constexpr std::array kSwitchPortTracked{
    Tracked{col::kInUtil, +1, 1.0f},        Tracked{col::kOutUtil, +1, 1.0f},
    Tracked{col::kInErrors, +1, 0.05f},     Tracked{col::kOutErrors, +1, 0.05f},
    Tracked{col::kInDiscards, +1, 0.05f},   Tracked{col::kOutDiscards, +1, 0.05f},
    Tracked{col::kInFcsErrors, +1, 0.05f},
};
constexpr std::array kWanLinkTracked{
    Tracked{col::kLatency, +1, 1.0f}, Tracked{col::kJitter, +1, 1.0f}, Tracked{col::kLoss, +1, 0.1f},
    Tracked{col::kUtilIn, +1, 1.0f},  Tracked{col::kUtilOut, +1, 1.0f},
};
constexpr std::array kClientDeviceTracked{Tracked{col::kCpu, +1, 1.0f}, Tracked{col::kMem, +1, 1.0f}};

std::span<const Tracked> tracked(Family f) noexcept {
  switch (f) {
    case Family::kWifiClient: return kWifiClientTracked;
    case Family::kWifiAp: return kWifiApTracked;
    case Family::kSwitchPort: return kSwitchPortTracked;
    case Family::kWanLink: return kWanLinkTracked;
    case Family::kClientDevice: return kClientDeviceTracked;
  }
  return {};
}

int tracked_index(Family f, std::size_t column) noexcept {
  const auto list = tracked(f);
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].column == column) return static_cast<int>(i);
  }
  return -1;
}

/// Infrastructure keeps time-of-day buckets; clients only the all-day estimate.
bool bucketed(Family f) noexcept {
  return f == Family::kWifiAp || f == Family::kSwitchPort || f == Family::kWanLink;
}

double from_half(std::uint16_t bits) noexcept {
  return static_cast<float>(std::bit_cast<Eigen::half>(bits));
}

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// To a half float, rounding up or down at random in proportion to the
/// distance (deterministically, from `salt`): an update far smaller than the
/// half's resolution then still moves the stored value on average.
std::uint16_t to_half(double value, std::uint64_t salt) noexcept {
  const auto x = static_cast<float>(std::clamp(value, -kHalfRange, kHalfRange));
  const Eigen::half nearest(x);
  const auto bits = std::bit_cast<std::uint16_t>(nearest);
  const float at = static_cast<float>(nearest);
  if (at == x || std::isnan(x)) return bits;
  // The neighbouring half on the other side of x.
  const bool up = x > at;
  std::uint16_t other;
  if ((bits & 0x7fff) == 0) {
    other = up ? 0x0001 : 0x8001;
  } else if ((bits & 0x8000) == 0) {
    other = up ? bits + 1 : bits - 1;
  } else {
    other = up ? bits - 1 : bits + 1;
  }
  const double there = from_half(other);
  if (!std::isfinite(there)) return bits;
  const double p = (static_cast<double>(x) - at) / (there - at);  // in (0, 0.5]
  const double u = static_cast<double>(splitmix64(salt) >> 11) * 0x1.0p-53;
  return u < p ? other : bits;
}

double robust_scale(double median, double mad, double floor) noexcept {
  return std::max({kMadPerSigma * mad, floor, kRelativeFloor * std::abs(median)});
}

// Checkpoint encoding.
constexpr char kMagic[4] = {'C', 'R', 'B', 'L'};
constexpr std::uint32_t kVersion = 1;

}  // namespace

int bad_direction(Family family, std::size_t column) noexcept {
  const int i = tracked_index(family, column);
  return i < 0 ? 0 : tracked(family)[static_cast<std::size_t>(i)].direction;
}

double scale_floor(Family family, std::size_t column) noexcept {
  const int i = tracked_index(family, column);
  return i < 0 ? 0 : tracked(family)[static_cast<std::size_t>(i)].floor;
}

Baselines::Baselines(BaselineConfig config) : config_(config) {
  if (config_.bucket <= 0 || config_.bucket > kDay) throw std::invalid_argument("baselines: bucket must be in (0, 1 day]");
  if (config_.update_every <= 0) throw std::invalid_argument("baselines: update_every must be positive");
  if (!(config_.half_life_days > 0)) throw std::invalid_argument("baselines: half_life_days must be positive");
  if (config_.warmup == 0) throw std::invalid_argument("baselines: warmup must be at least 1");
  if (!(config_.outlier_weight > 0 && config_.outlier_weight <= 1)) {
    throw std::invalid_argument("baselines: outlier_weight must be in (0, 1]");
  }
  buckets_ = static_cast<std::size_t>((kDay + config_.bucket - 1) / config_.bucket);
  // Updates per half-life: every pass for the all-day estimate; a bucket only
  // sees the passes that fall in it, bucket / update_every of them a day.
  const double half_life_ms = config_.half_life_days * static_cast<double>(kDay);
  const double all_day_updates = half_life_ms / static_cast<double>(config_.update_every);
  const double bucket_updates =
      config_.half_life_days * std::max(1.0, static_cast<double>(config_.bucket) / static_cast<double>(config_.update_every));
  alpha_all_day_ = 1 - std::exp2(-1 / all_day_updates);
  alpha_bucket_ = 1 - std::exp2(-1 / bucket_updates);
  for (std::size_t f = 0; f < kFamilyCount; ++f) {
    FamilyState& fs = families_[f];
    fs.tracked = tracked(static_cast<Family>(f)).size();
    fs.slots = bucketed(static_cast<Family>(f)) ? 1 + buckets_ : 1;
  }
}

std::size_t Baselines::bucket_of(TimeMs t) const noexcept {
  const TimeMs tod = ((t % kDay) + kDay) % kDay;
  return std::min(static_cast<std::size_t>(tod / config_.bucket), buckets_ - 1);
}

void Baselines::grow(Family family, std::size_t entities) {
  FamilyState& fs = families_[static_cast<std::size_t>(family)];
  if (entities > fs.entities()) fs.estimates.resize(entities * fs.tracked * fs.slots);
}

void Baselines::update_estimate(Estimate& e, double value, double alpha, double floor, std::uint64_t salt) {
  if (std::isnan(value)) return;
  const double v = std::clamp(value, -kHalfRange, kHalfRange);
  double m = from_half(e.median), d = from_half(e.mad);
  const std::uint32_t n = e.n;
  if (n < config_.warmup) {
    // Bootstrap: a running mean and mean absolute deviation, which the
    // approximation then refines (its steps are too small to find the level alone).
    m = n == 0 ? v : m + (v - m) / (n + 1);
    d = n == 0 ? 0 : d + (kMadPerMeanDev * std::abs(v - m) - d) / n;
  } else {
    const double s = robust_scale(m, d, floor);
    double eta = std::max(1.0 / (n + 1), alpha);
    if (std::abs(v - m) > config_.outlier_z * s) eta *= config_.outlier_weight;
    const double step_m = eta * kMedianGain * s;
    m += std::clamp(v - m, -step_m, step_m);
    const double step_d = eta * kMadGain * s;
    d = std::max(0.0, d + std::clamp(std::abs(v - m) - d, -step_d, step_d));
  }
  e.median = to_half(m, splitmix64(salt));
  e.mad = to_half(d, splitmix64(salt ^ 0x5851F42D4C957F2DULL));
  if (e.n < 0xffff) ++e.n;
}

void Baselines::learn(Family family, std::uint32_t entity, std::size_t column, TimeMs t, double value) {
  const int ti = tracked_index(family, column);
  if (ti < 0) return;
  grow(family, std::size_t{entity} + 1);
  FamilyState& fs = families_[static_cast<std::size_t>(family)];
  const std::size_t base = (std::size_t{entity} * fs.tracked + static_cast<std::size_t>(ti)) * fs.slots;
  const double floor = tracked(family)[static_cast<std::size_t>(ti)].floor;
  const std::uint64_t salt = splitmix64(++passes_) ^ base;
  update_estimate(fs.estimates[base], value, alpha_all_day_, floor, salt);
  if (fs.slots > 1) update_estimate(fs.estimates[base + 1 + bucket_of(t)], value, alpha_bucket_, floor, salt + 1);
}

void Baselines::update(const MetricStore& store, TimeMs now, NormalValue normal) {
  if (last_pass_ != kNoTime && now - last_pass_ < config_.update_every) return;
  // After a long gap (a pause in the input), only the recent past: older
  // averages would be learned as the bucket of `now`.
  const TimeMs from = last_pass_ == kNoTime ? now - config_.update_every
                                            : std::max(last_pass_, now - 2 * config_.update_every);
  learn_pass(store, TimeWindow{from + 1, now}, normal);  // the store's windows include both ends
  last_pass_ = now;
}

void Baselines::learn_pass(const MetricStore& store, TimeWindow window, NormalValue normal) {
  ++passes_;
  // The bucket of the interval's middle: the pass at 14:00 learns 13:55-14:00 as 13:00.
  const std::size_t slot = 1 + bucket_of(window.begin + (window.end - window.begin) / 2);
  for (std::size_t f = 0; f < kFamilyCount; ++f) {
    const auto family = static_cast<Family>(f);
    const std::size_t count = store.series_count(family);
    grow(family, count);
    FamilyState& fs = families_[f];
    const auto columns = tracked(family);
    stats_.resize(family_columns(family).size());
    for (std::size_t e = 0; e < count; ++e) {
      if (store.rows(family, static_cast<std::uint32_t>(e)) == 0) continue;
      store.window(family, static_cast<std::uint32_t>(e), window, stats_, false);
      for (std::size_t ti = 0; ti < columns.size(); ++ti) {
        const WindowStats& st = stats_[columns[ti].column];
        if (st.count == 0 || (normal != nullptr && !normal(family, columns[ti].column, st.avg))) continue;
        const std::size_t base = (e * fs.tracked + ti) * fs.slots;
        const std::uint64_t salt = splitmix64(passes_ * 0x100000001B3ULL + f) ^ base;
        update_estimate(fs.estimates[base], st.avg, alpha_all_day_, columns[ti].floor, salt);
        if (fs.slots > 1) update_estimate(fs.estimates[base + slot], st.avg, alpha_bucket_, columns[ti].floor, salt + 1);
      }
    }
  }
}

const Baselines::Estimate* Baselines::find(Family family, std::uint32_t entity, std::size_t column, TimeMs t,
                                           bool& bucket) const noexcept {
  const int ti = tracked_index(family, column);
  if (ti < 0) return nullptr;
  const FamilyState& fs = families_[static_cast<std::size_t>(family)];
  if (entity >= fs.entities()) return nullptr;
  const std::size_t base = (std::size_t{entity} * fs.tracked + static_cast<std::size_t>(ti)) * fs.slots;
  if (fs.slots > 1) {
    const Estimate& b = fs.estimates[base + 1 + bucket_of(t)];
    if (b.n >= config_.warmup) {
      bucket = true;
      return &b;
    }
  }
  const Estimate& all = fs.estimates[base];
  if (all.n >= config_.warmup) {
    bucket = false;
    return &all;
  }
  return nullptr;
}

std::optional<BaselineEstimate> Baselines::lookup(Family family, std::uint32_t entity, std::size_t column,
                                                  TimeMs t) const {
  bool bucket = false;
  const Estimate* e = find(family, entity, column, t, bucket);
  if (e == nullptr) return std::nullopt;
  BaselineEstimate out;
  out.median = from_half(e->median);
  out.mad = from_half(e->mad);
  out.scale = robust_scale(out.median, out.mad, scale_floor(family, column));
  out.n = e->n;
  out.bucket = bucket;
  return out;
}

const BaselineEstimate* Baselines::estimate(Family family, std::uint32_t entity, std::size_t column, TimeMs t) const {
  const auto e = lookup(family, entity, column, t);
  if (!e) return nullptr;
  returned_ = *e;
  return &returned_;
}

double Baselines::z(Family family, std::uint32_t entity, std::size_t column, TimeMs t, double value) const {
  if (std::isnan(value)) return std::nan("");
  const auto e = lookup(family, entity, column, t);
  if (!e) return std::nan("");
  return (value - e->median) / e->scale;
}

std::size_t Baselines::memory_bytes() const noexcept {
  std::size_t total = stats_.capacity() * sizeof(WindowStats);
  for (const FamilyState& fs : families_) total += fs.estimates.capacity() * sizeof(Estimate);
  return total;
}

// Checkpoint layout (little-endian), version 1:
//   "CRBL" u32 version, i64 bucket, i64 update_every, u64 passes, i64 last_pass, u8 families;
//   per family: u8 family, u8 tracked, tracked x u8 column, u32 slots, u32 entities;
//     per entity: its name (by family: client MAC u64; AP name and u8 band;
//     switch name and port name; link name; names as u16 length and bytes),
//     then tracked x slots x (u16 median, u16 mad, u16 n).
std::string Baselines::serialize(const Directory& directory) const {
  ByteWriter w;
  w.bytes().append(kMagic, sizeof kMagic);
  w.u32(kVersion);
  w.i64(config_.bucket);
  w.i64(config_.update_every);
  w.u64(passes_);
  w.i64(last_pass_);
  w.u8(static_cast<std::uint8_t>(kFamilyCount));
  for (std::size_t f = 0; f < kFamilyCount; ++f) {
    const auto family = static_cast<Family>(f);
    const FamilyState& fs = families_[f];
    const std::size_t per_entity = fs.tracked * fs.slots;
    w.u8(static_cast<std::uint8_t>(f));
    w.u8(static_cast<std::uint8_t>(fs.tracked));
    for (const Tracked& t : tracked(family)) w.u8(t.column);
    w.u32(static_cast<std::uint32_t>(fs.slots));
    // Only entities that learned something, and that the directory can name.
    std::vector<bool> radios;
    if (family == Family::kWifiAp) {
      for (std::uint32_t ap = 0; ap < directory.ap_count(); ++ap) {
        for (const std::uint32_t radio : directory.radios_of(ApId{ap})) {
          if (radio >= radios.size()) radios.resize(radio + 1, false);
          radios[radio] = true;
        }
      }
    }
    auto named = [&](std::size_t e) {
      switch (family) {
        case Family::kWifiClient:
        case Family::kClientDevice: return e < directory.client_count();
        case Family::kWifiAp: return e < radios.size() && radios[e];
        case Family::kSwitchPort: return e < directory.port_count();
        case Family::kWanLink: return e < directory.link_count();
      }
      return false;
    };
    auto learned = [&](std::size_t e) {
      const Estimate* first = &fs.estimates[e * per_entity];
      return std::any_of(first, first + per_entity, [](const Estimate& x) { return x.n > 0; });
    };
    std::uint32_t count = 0;
    for (std::size_t e = 0; e < fs.entities(); ++e) count += named(e) && learned(e);
    w.u32(count);
    for (std::size_t e = 0; e < fs.entities(); ++e) {
      if (!named(e) || !learned(e)) continue;
      const auto id = static_cast<std::uint32_t>(e);
      switch (family) {
        case Family::kWifiClient:
        case Family::kClientDevice: w.u64(directory.client_mac(ClientId{id}).bits); break;
        case Family::kWifiAp:
          w.str16(directory.ap_name(directory.radio_ap(id)));
          w.u8(directory.radio_band(id));
          break;
        case Family::kSwitchPort:
          w.str16(directory.switch_name(directory.port_switch(PortId{id})));
          w.str16(directory.port_name(PortId{id}));
          break;
        case Family::kWanLink: w.str16(directory.link_name(LinkId{id})); break;
      }
      for (std::size_t i = 0; i < per_entity; ++i) {
        const Estimate& x = fs.estimates[e * per_entity + i];
        w.u16(x.median);
        w.u16(x.mad);
        w.u16(x.n);
      }
    }
  }
  return std::move(w.bytes());
}

void Baselines::deserialize(std::string_view blob, Directory& directory) {
  ByteReader r(blob, "baseline checkpoint");
  if (r.view(sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
    throw std::runtime_error("baseline checkpoint: not a checkpoint (bad magic)");
  }
  if (const std::uint32_t version = r.u32(); version != kVersion) {
    throw std::runtime_error("baseline checkpoint: unsupported version " + std::to_string(version));
  }
  const std::int64_t bucket = r.i64();
  r.i64();  // update_every: informative; the rates follow this object's configuration
  const std::uint64_t passes = r.u64();
  const std::int64_t last_pass = r.i64();
  const std::uint8_t family_count = r.u8();
  if (family_count > kFamilyCount) throw std::runtime_error("baseline checkpoint: too many families");

  std::array<std::vector<Estimate>, kFamilyCount> loaded;
  std::array<bool, kFamilyCount> seen{};
  for (std::uint8_t i = 0; i < family_count; ++i) {
    const std::uint8_t f = r.u8();
    if (f >= kFamilyCount || seen[f]) throw std::runtime_error("baseline checkpoint: bad family");
    seen[f] = true;
    const auto family = static_cast<Family>(f);
    const FamilyState& fs = families_[f];
    const std::uint8_t ncols = r.u8();
    const auto columns = tracked(family);
    if (ncols != columns.size()) throw std::runtime_error("baseline checkpoint: tracked columns differ (incompatible catalog)");
    for (const Tracked& t : columns) {
      if (r.u8() != t.column) throw std::runtime_error("baseline checkpoint: tracked columns differ (incompatible catalog)");
    }
    const std::uint32_t slots = r.u32();
    if (slots == 0 || (slots != 1 && !bucketed(family)) || slots > 1 + kDay) {
      throw std::runtime_error("baseline checkpoint: bad slot count");
    }
    const bool same_slots = slots == fs.slots;
    const std::uint32_t count = r.u32();
    const std::size_t per_entity = std::size_t{ncols} * slots;
    // Each entity takes at least one byte of name plus its estimates: reject
    // counts the blob cannot hold before allocating for them.
    if (per_entity != 0 && count > r.remaining() / (1 + per_entity * 6)) {
      throw std::runtime_error("baseline checkpoint: truncated");
    }
    std::vector<Estimate>& out = loaded[f];
    for (std::uint32_t k = 0; k < count; ++k) {
      std::optional<std::uint32_t> id;
      switch (family) {
        case Family::kWifiClient:
        case Family::kClientDevice: {
          const Mac mac{r.u64()};
          if (auto c = directory.client(mac)) id = c->value;
          break;
        }
        case Family::kWifiAp: {
          const std::string_view ap = r.str16();
          const std::uint8_t band = r.u8();
          if (auto a = directory.ap(ap)) id = directory.radio(*a, band);
          break;
        }
        case Family::kSwitchPort: {
          const std::string_view sw = r.str16();
          const std::string_view port = r.str16();
          if (auto s = directory.switch_(sw)) {
            if (auto p = directory.port(*s, port)) id = p->value;
          }
          break;
        }
        case Family::kWanLink: {
          if (auto l = directory.link(r.str16())) id = l->value;
          break;
        }
      }
      const std::string_view data = r.view(per_entity * 6);
      if (!id) continue;  // the directory is full: this entity is forgotten
      const std::size_t size = (std::size_t{*id} + 1) * fs.tracked * fs.slots;
      if (out.size() < size) out.resize(size);
      for (std::size_t c = 0; c < ncols; ++c) {
        for (std::size_t s = 0; s < slots; ++s) {
          if (!same_slots && s != 0) continue;  // another bucket size: only the all-day estimate carries over
          const std::size_t at = (c * slots + s) * 6;
          auto u16 = [&](std::size_t o) {
            return static_cast<std::uint16_t>(static_cast<unsigned char>(data[at + o]) |
                                              static_cast<unsigned char>(data[at + o + 1]) << 8);
          };
          Estimate& x = out[(std::size_t{*id} * fs.tracked + c) * fs.slots + s];
          x.median = u16(0);
          x.mad = u16(2);
          x.n = u16(4);
          if (!std::isfinite(from_half(x.median)) || !std::isfinite(from_half(x.mad)) || from_half(x.mad) < 0) {
            throw std::runtime_error("baseline checkpoint: an estimate is not a finite number");
          }
        }
      }
    }
  }
  if (r.remaining() != 0) throw std::runtime_error("baseline checkpoint: trailing bytes");
  (void)bucket;
  for (std::size_t f = 0; f < kFamilyCount; ++f) families_[f].estimates = std::move(loaded[f]);
  passes_ = passes;
  last_pass_ = last_pass;
}

}  // namespace callroot::engine
