#include "engine/tomography.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace callroot::engine {
namespace {

constexpr std::size_t kMaxKeysPerObservation = 64;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

constexpr std::uint32_t pack(FateKey key) noexcept { return static_cast<std::uint32_t>(key.kind) << 30 | key.id; }
constexpr FateKey unpack(std::uint32_t packed) noexcept {
  return {static_cast<FateKey::Kind>(packed >> 30), packed & kMaxFateId};
}

/// Loss made additive: independent losses multiply the survival 1 - p, so
/// -ln(1 - p) adds up along a path (and equals p for small p), in percent.
double loss_to_additive(double pct) noexcept { return -100.0 * std::log1p(-std::clamp(pct, 0.0, 99.0) / 100.0); }
double additive_to_loss(double x) noexcept { return 100.0 * -std::expm1(-x / 100.0); }

double median(std::vector<float>& v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

Tomography::Tomography(TomographyConfig config) : config_(config) {
  if (!(config_.window > 0)) throw std::invalid_argument("tomography: the window must be positive");
  if (!(config_.ridge > 0)) throw std::invalid_argument("tomography: the ridge must be positive");
  if (!(config_.l1 >= 0)) throw std::invalid_argument("tomography: l1 must not be negative");
  if (config_.max_solve_observations == 0 || config_.max_sweeps == 0 || config_.max_observations == 0) {
    throw std::invalid_argument("tomography: max_solve_observations, max_sweeps and max_observations must be positive");
  }
  scratch_keys_.reserve(kMaxKeysPerObservation);
  sites_.resize(1);  // slot 0: keys without a site
}

std::uint32_t Tomography::site_slot(std::uint32_t packed) const noexcept {
  const auto& list = key_site_[packed >> 30];
  const std::uint32_t id = packed & kMaxFateId;
  return id < list.size() ? list[id] : 0;
}

const Tomography::KeySolution* Tomography::solution(std::uint32_t packed) const noexcept {
  const auto& list = solutions_[packed >> 30];
  const std::uint32_t id = packed & kMaxFateId;
  return id < list.size() ? &list[id] : nullptr;
}

void Tomography::note_site(FateKey key, SiteId site) {
  if (key.id > kMaxFateId || !site.valid()) return;
  auto& list = key_site_[static_cast<std::size_t>(key.kind)];
  if (key.id >= list.size()) list.resize(std::max<std::size_t>(key.id + 1, list.size() * 3 / 2), 0);
  list[key.id] = site.value + 1;
  if (site.value + 1 >= sites_.size()) sites_.resize(site.value + 2);
}

void Tomography::add(TimeMs end, double loss_pct, double jitter_ms, std::span<const FateKey> keys) {
  add(end, loss_pct, jitter_ms, keys, TomographyGroup::kRemote);
}

void Tomography::add(TimeMs end, double loss_pct, double jitter_ms, std::span<const FateKey> keys,
                     TomographyGroup group) {
  const bool has_loss = !std::isnan(loss_pct), has_jitter = !std::isnan(jitter_ms);
  if (!has_loss && !has_jitter) return;
  if (newest_ != kNoTime && end < newest_ - config_.window) return;  // would be expired at once
  scratch_keys_.clear();
  for (const FateKey key : keys) {
    if (key.id > kMaxFateId || scratch_keys_.size() == kMaxKeysPerObservation) continue;
    const std::uint32_t p = pack(key);
    if (std::find(scratch_keys_.begin(), scratch_keys_.end(), p) == scratch_keys_.end()) scratch_keys_.push_back(p);
  }
  if (scratch_keys_.empty()) return;
  newest_ = newest_ == kNoTime ? end : std::max(newest_, end);

  Observation o;
  o.end = end;
  o.loss = has_loss ? static_cast<float>(loss_to_additive(loss_pct)) : kNaN;
  o.jitter = has_jitter ? static_cast<float>(std::max(0.0, jitter_ms)) : kNaN;
  o.group = static_cast<std::uint8_t>(group);
  o.key_count = static_cast<std::uint16_t>(scratch_keys_.size());
  // The streams of one segment cross the same keys: store them once.
  bool shared = false;
  if (!observations_.empty()) {
    const Observation& prev = observations_[observations_.back_seq() - 1];
    if (prev.key_count == o.key_count) {
      const std::uint64_t base = keys_.widen(prev.key_begin);
      shared = true;
      for (std::size_t i = 0; i < scratch_keys_.size() && shared; ++i) shared = keys_[base + i] == scratch_keys_[i];
      if (shared) o.key_begin = prev.key_begin;
    }
  }
  if (!shared) {
    o.key_begin = static_cast<std::uint32_t>(keys_.back_seq());
    for (const std::uint32_t p : scratch_keys_) keys_.push(p);
  }
  for (const std::uint32_t p : scratch_keys_) {
    const std::uint32_t slot = site_slot(p);
    if (o.site_count < kMaxSites &&
        std::find(o.sites.begin(), o.sites.begin() + o.site_count, slot) == o.sites.begin() + o.site_count) {
      o.sites[o.site_count++] = slot;
    }
  }
  const std::uint64_t seq = observations_.back_seq();
  for (std::uint8_t i = 0; i < o.site_count; ++i) {
    SiteState& site = sites_[o.sites[i]];
    ++site.dirty;
    ++site.in_window[o.group];
    o.previous[i] = static_cast<std::uint32_t>(site.observed ? site.newest : seq);
    site.newest = seq;
    site.observed = true;
  }
  ++in_window_[o.group];
  observations_.push(o);
  while (observations_.size() > config_.max_observations) pop_oldest();
}

void Tomography::pop_oldest() {
  const Observation& o = observations_[observations_.front_seq()];
  for (std::uint8_t i = 0; i < o.site_count; ++i) {
    SiteState& site = sites_[o.sites[i]];
    ++site.dirty;
    --site.in_window[o.group];
  }
  --in_window_[o.group];
  observations_.pop_front();
  keys_.pop_front_to(observations_.empty() ? keys_.back_seq()
                                           : keys_.widen(observations_[observations_.front_seq()].key_begin));
}

void Tomography::expire(TimeMs now) {
  const TimeMs horizon = now - config_.window;
  while (!observations_.empty() && observations_[observations_.front_seq()].end < horizon) pop_oldest();
}

std::array<double, 2> Tomography::background(TomographyGroup group) const noexcept {
  const auto& b = last_background_[static_cast<std::size_t>(group)];
  return {additive_to_loss(b[0]), b[1]};
}

TomographyEstimate Tomography::estimate(FateKey key, TimeMs now) const {
  TomographyEstimate out;
  if (key.id > kMaxFateId) return out;
  const std::uint32_t packed = pack(key);
  const std::uint32_t slot = site_slot(packed);
  SiteState& site = sites_[slot];
  const bool due = site.dirty > 0 && (site.solve_id == 0 || site.dirty >= config_.resolve_after ||
                                      now - site.solved_at >= config_.solve_every);
  if (due) solve(slot, now);
  const KeySolution* sol = solution(packed);
  if (sol == nullptr || sol->solve_id == 0 || sol->solve_id != site.solve_id) return out;
  out.loss_pct = std::isnan(sol->loss) ? std::nan("") : additive_to_loss(sol->loss);
  out.jitter_ms = sol->jitter;
  out.observations = sol->observations;
  out.identifiable = sol->identifiable;
  if (sol->has_twin) out.twin = unpack(sol->twin);
  return out;
}

std::array<double, 2> Tomography::unexplained(const Observation& o) const noexcept {
  double loss = o.loss, jitter = o.jitter;
  const std::uint64_t base = keys_.widen(o.key_begin);
  for (std::uint16_t i = 0; i < o.key_count; ++i) {
    const std::uint32_t p = keys_[base + i];
    const KeySolution* s = solution(p);
    if (s == nullptr || s->solve_id == 0 || s->solve_id != sites_[site_slot(p)].solve_id) continue;
    if (!std::isnan(s->loss)) loss -= s->loss;
    if (!std::isnan(s->jitter)) jitter -= s->jitter;
  }
  return {loss, jitter};
}

void Tomography::solve(std::uint32_t slot, TimeMs now) const {
  ++solves_;
  const std::uint64_t previous = sites_[slot].solve_id;
  solve_once(slot, now, previous, false);
  // A first solve ran against a background that still counted this site's
  // faults (its hops had no estimates yet): once more, from where it got.
  if (previous == 0) solve_once(slot, now, sites_[slot].solve_id, true);
}

void Tomography::estimate_background(TimeMs now) const {
  for (auto& g : residuals_) for (auto& v : g) v.clear();
  const std::uint64_t from =
      observations_.back_seq() - std::min<std::uint64_t>(observations_.size(), config_.background_sample);
  for (std::uint64_t seq = from; seq < observations_.back_seq(); ++seq) {
    const Observation& o = observations_[seq];
    const auto rest = unexplained(o);
    if (!std::isnan(rest[0])) residuals_[o.group][0].push_back(static_cast<float>(rest[0]));
    if (!std::isnan(rest[1])) residuals_[o.group][1].push_back(static_cast<float>(rest[1]));
  }
  for (std::size_t g = 0; g < kTomographyGroups; ++g) {
    for (std::size_t m = 0; m < 2; ++m) last_background_[g][m] = std::max(0.0, median(residuals_[g][m]));
  }
  background_at_ = now;
}

void Tomography::solve_once(std::uint32_t slot, TimeMs now, std::uint64_t previous, bool fresh_background) const {
  // 1. The rows: the site's most recent observations, newest first along its links.
  rows_.clear();
  const SiteState& state = sites_[slot];
  if (state.observed && state.newest >= observations_.front_seq() && state.newest < observations_.back_seq()) {
    for (std::uint64_t seq = state.newest; rows_.size() < config_.max_solve_observations;) {
      rows_.push_back(seq);
      const Observation& o = observations_[seq];
      const auto at = std::find(o.sites.begin(), o.sites.begin() + o.site_count, slot) - o.sites.begin();
      const std::uint64_t before = observations_.widen(o.previous[static_cast<std::size_t>(at)]);
      if (before >= seq || before < observations_.front_seq()) break;  // none, or expired
      seq = before;
    }
  }
  // The remainder per group, and whether this site's observations are most of it.
  // A segment that ends a little before the last estimate (records arrive
  // out of order) does not call for a new one: the window has not moved. A
  // clock set back by more than a window does.
  if (fresh_background || background_at_ == kNoTime || now + config_.window < background_at_ ||
      now - background_at_ >= config_.solve_every) {
    estimate_background(now);
  }
  const auto bg = last_background_;
  std::array<bool, kTomographyGroups> own_background{};
  for (std::size_t g = 0; g < kTomographyGroups; ++g) {
    own_background[g] = in_window_[g] > 0 && 2 * std::size_t{state.in_window[g]} > in_window_[g];
  }

  // 2. Columns: the site's keys; other sites' keys are offsets at their own
  //    site's latest estimate.
  column_keys_.clear();
  entries_.clear();
  const std::size_t m = rows_.size();
  for (auto& r : rhs_) r.assign(m, 0.0);
  std::array<bool, kTomographyGroups> group_in_rows{};
  for (std::size_t r = 0; r < m; ++r) {
    const Observation& o = observations_[rows_[r]];
    group_in_rows[o.group] = true;
    const std::uint64_t base = keys_.widen(o.key_begin);
    double offset_loss = 0, offset_jitter = 0;
    for (std::uint16_t i = 0; i < o.key_count; ++i) {
      const std::uint32_t p = keys_[base + i];
      const std::uint32_t key_slot = site_slot(p);
      if (key_slot == slot) {
        auto& col = column_of_[p >> 30];
        const std::uint32_t id = p & kMaxFateId;
        if (id >= col.size()) col.resize(std::max<std::size_t>(id + 1, col.size() * 3 / 2), -1);
        if (col[id] < 0) {
          col[id] = static_cast<std::int32_t>(column_keys_.size());
          column_keys_.push_back(p);
        }
        entries_.emplace_back(static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(col[id]));
      } else if (const KeySolution* s = solution(p);
                 s != nullptr && s->solve_id != 0 && s->solve_id == sites_[key_slot].solve_id) {
        if (!std::isnan(s->loss)) offset_loss += s->loss;
        if (!std::isnan(s->jitter)) offset_jitter += s->jitter;
      }
    }
    rhs_[0][r] = std::isnan(o.loss) ? std::nan("") : o.loss - bg[o.group][0] - offset_loss;
    rhs_[1][r] = std::isnan(o.jitter) ? std::nan("") : o.jitter - bg[o.group][1] - offset_jitter;
  }
  for (const std::uint32_t p : column_keys_) column_of_[p >> 30][p & kMaxFateId] = -1;
  const std::size_t n = column_keys_.size();

  // 3. The routing matrix, column-major: each column lists the rows crossing
  //    its key, in row order, once (a key on both ends' paths is one crossing).
  //    A 0/1 matrix rebuilt per solve: a counting sort into kept buffers.
  SolveScratch& sc = scratch_;
  sc.outer.assign(n + 1, 0);
  for (const auto& e : entries_) ++sc.outer[e.second + 1];
  for (std::size_t j = 0; j < n; ++j) sc.outer[j + 1] += sc.outer[j];
  sc.inner.resize(entries_.size());
  sc.fill.assign(sc.outer.begin(), sc.outer.end() - 1);
  for (const auto& [r, c] : entries_) {
    std::uint32_t& at = sc.fill[c];
    if (at == sc.outer[c] || sc.inner[at - 1] != r) sc.inner[at++] = r;
  }
  std::uint32_t packed_end = 0;  // squeeze out the room left by repeated crossings
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t begin = sc.outer[j];
    const std::uint32_t count = sc.fill[j] - begin;
    std::copy(sc.inner.begin() + begin, sc.inner.begin() + begin + count, sc.inner.begin() + packed_end);
    sc.outer[j] = packed_end;
    packed_end += count;
  }
  sc.outer[n] = packed_end;
  sc.inner.resize(packed_end);
  const std::uint32_t* outer = sc.outer.data();
  const std::uint32_t* inner = sc.inner.data();
  auto nnz = [&](std::size_t j) { return static_cast<std::size_t>(outer[j + 1] - outer[j]); };

  // 4. Identical columns cannot be told apart: merge them under one representative.
  auto& hash = sc.hash;
  hash.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ nnz(j);
    for (std::uint32_t i = outer[j]; i < outer[j + 1]; ++i) {
      h = (h ^ static_cast<std::uint64_t>(inner[i])) * 0x100000001B3ULL;
    }
    hash[j] = h;
  }
  auto& order = sc.order;
  order.resize(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
    return hash[x] != hash[y] ? hash[x] < hash[y] : x < y;
  });
  auto& rep = sc.rep;
  rep.resize(n);
  auto& twin = sc.twin;
  twin.assign(n, -1);  // a packed key it is identical to
  for (std::size_t s = 0; s < n;) {
    std::size_t e = s;
    while (e < n && hash[order[e]] == hash[order[s]]) ++e;
    for (std::size_t i = s; i < e; ++i) {
      const std::uint32_t j = order[i];
      rep[j] = j;
      for (std::size_t k = s; k < i; ++k) {  // the first identical column before it, if any
        const std::uint32_t q = order[k];
        if (rep[q] == q && nnz(q) == nnz(j) && std::equal(inner + outer[q], inner + outer[q + 1], inner + outer[j])) {
          rep[j] = q;
          if (twin[q] < 0) twin[q] = column_keys_[j];
          twin[j] = column_keys_[q];
          break;
        }
      }
    }
    s = e;
  }
  bool confounded = false;  // a key on every row, with a remainder estimated from those same rows
  for (std::size_t g = 0; g < kTomographyGroups; ++g) confounded = confounded || (group_in_rows[g] && own_background[g]);

  // 5. Sequential coordinate-wise descent per metric, warm-started. The most
  //    shared columns go first, so that a shared cause is found before the
  //    hops below it take its rows' residual piecemeal. A row whose metric was
  //    not measured carries no weight: each metric's columns list only the
  //    measured rows, so the sweeps never touch the others.
  auto& sweep_order = sc.sweep_order;
  sweep_order.resize(n);
  std::iota(sweep_order.begin(), sweep_order.end(), 0u);
  std::stable_sort(sweep_order.begin(), sweep_order.end(),
                   [&](std::uint32_t x, std::uint32_t y) { return nnz(x) > nnz(y); });
  auto& x = sc.x;
  auto& weight = sc.weight;  // measured rows per column
  for (std::size_t metric = 0; metric < 2; ++metric) {
    const std::vector<double>& rhs = rhs_[metric];
    auto& residual = sc.residual;
    residual.resize(m);
    for (std::size_t r = 0; r < m; ++r) residual[r] = std::isnan(rhs[r]) ? 0.0 : rhs[r];
    auto& mouter = sc.measured_outer;
    auto& minner = sc.measured_inner;
    mouter.resize(n + 1);
    minner.clear();
    for (std::size_t j = 0; j < n; ++j) {
      mouter[j] = static_cast<std::uint32_t>(minner.size());
      for (std::uint32_t i = outer[j]; i < outer[j + 1]; ++i) {
        if (!std::isnan(rhs[inner[i]])) minner.push_back(inner[i]);
      }
    }
    mouter[n] = static_cast<std::uint32_t>(minner.size());
    auto& xs = x[metric];
    auto& ws = weight[metric];
    xs.assign(n, 0.0);
    ws.assign(n, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      if (rep[j] != j) continue;
      ws[j] = static_cast<double>(mouter[j + 1] - mouter[j]);
      const KeySolution* s = solution(column_keys_[j]);
      if (s != nullptr && previous != 0 && s->solve_id == previous) {
        const float v = metric == 0 ? s->loss : s->jitter;
        if (!std::isnan(v) && v > 0) xs[j] = v;
      }
      if (xs[j] != 0) {
        for (std::uint32_t i = mouter[j]; i < mouter[j + 1]; ++i) residual[minner[i]] -= xs[j];
      }
    }
    for (std::uint32_t sweep = 0; sweep < config_.max_sweeps; ++sweep) {
      ++sweeps_;
      double moved = 0;
      for (const std::uint32_t j : sweep_order) {
        if (rep[j] != j || ws[j] == 0) continue;
        double g = 0;
        for (std::uint32_t i = mouter[j]; i < mouter[j + 1]; ++i) g += residual[minner[i]];
        // The exact minimizer over x_j >= 0 of ||r - a_j (x_j - x)||^2 + l1 x_j + ridge x_j^2.
        const double updated = std::max(0.0, (ws[j] * xs[j] + g - config_.l1 / 2) / (ws[j] + config_.ridge));
        const double delta = updated - xs[j];
        if (delta == 0) continue;
        for (std::uint32_t i = mouter[j]; i < mouter[j + 1]; ++i) residual[minner[i]] -= delta;
        xs[j] = updated;
        moved = std::max(moved, std::abs(delta));
      }
      if (moved < config_.tolerance) break;
    }
  }

  // 6. The cache.
  SiteState& site = sites_[slot];
  site.solve_id = ++solve_counter_;
  site.solved_at = now;
  site.dirty = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t p = column_keys_[j];
    auto& list = solutions_[p >> 30];
    const std::uint32_t id = p & kMaxFateId;
    if (id >= list.size()) list.resize(std::max<std::size_t>(id + 1, list.size() * 3 / 2));
    KeySolution& s = list[id];
    const std::uint32_t q = rep[j];
    s.loss = weight[0][q] > 0 ? static_cast<float>(x[0][q]) : kNaN;
    s.jitter = weight[1][q] > 0 ? static_cast<float>(x[1][q]) : kNaN;
    s.observations = static_cast<std::uint32_t>(nnz(j));
    s.has_twin = twin[j] >= 0;
    s.twin = s.has_twin ? static_cast<std::uint32_t>(twin[j]) : 0;
    s.identifiable = !s.has_twin && !(confounded && nnz(j) == m);
    s.solve_id = site.solve_id;
  }
}

std::size_t Tomography::memory_bytes() const noexcept {
  std::size_t total = observations_.memory_bytes() + keys_.memory_bytes() + sites_.capacity() * sizeof(SiteState) +
                      rows_.capacity() * sizeof(std::uint64_t) + column_keys_.capacity() * sizeof(std::uint32_t) +
                      entries_.capacity() * sizeof(entries_[0]) + scratch_keys_.capacity() * sizeof(std::uint32_t);
  for (const auto& list : key_site_) total += list.capacity() * sizeof(std::uint32_t);
  for (const auto& list : solutions_) total += list.capacity() * sizeof(KeySolution);
  for (const auto& list : column_of_) total += list.capacity() * sizeof(std::int32_t);
  for (const auto& g : residuals_) for (const auto& v : g) total += v.capacity() * sizeof(float);
  for (const auto& r : rhs_) total += r.capacity() * sizeof(double);
  const SolveScratch& sc = scratch_;
  for (const auto* v : {&sc.outer, &sc.inner, &sc.fill, &sc.measured_outer, &sc.measured_inner, &sc.order, &sc.rep,
                        &sc.sweep_order}) {
    total += v->capacity() * sizeof(std::uint32_t);
  }
  total += sc.hash.capacity() * sizeof(std::uint64_t) + sc.twin.capacity() * sizeof(std::int64_t) +
           sc.residual.capacity() * sizeof(double);
  for (std::size_t metric = 0; metric < 2; ++metric) {
    total += (sc.x[metric].capacity() + sc.weight[metric].capacity()) * sizeof(double);
  }
  return total;
}

}  // namespace callroot::engine
