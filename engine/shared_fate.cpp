#include "engine/shared_fate.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace callroot::engine {
namespace {

// More keys than this on one segment means a broken path; the rest are ignored.
constexpr std::size_t kMaxKeysPerEntry = 64;

constexpr std::uint32_t pack(FateKey key) noexcept {
  return static_cast<std::uint32_t>(key.kind) << 30 | key.id;
}

constexpr std::size_t kind_index(FateKey key) noexcept { return static_cast<std::size_t>(key.kind); }

}  // namespace

SharedFate::SharedFate(SharedFateConfig config) : config_(config) {
  if (!(config_.window > 0)) throw std::invalid_argument("shared fate: the window must be positive");
  if (!(config_.prior_poor > 0 && config_.prior_poor < 1)) {
    throw std::invalid_argument("shared fate: prior_poor must be in (0, 1)");
  }
  if (!(config_.prior_strength > 0)) throw std::invalid_argument("shared fate: prior_strength must be positive");
  if (!(config_.bad_rate > 0 && config_.bad_rate < 1)) {
    throw std::invalid_argument("shared fate: bad_rate must be in (0, 1)");
  }
  if (!(config_.cap > 0)) throw std::invalid_argument("shared fate: cap must be positive");
  if (config_.max_entries == 0) throw std::invalid_argument("shared fate: max_entries must be positive");
  scratch_.reserve(kMaxKeysPerEntry);
  scratch_pairs_.reserve(2 * kMaxKeysPerEntry);
}

const SharedFate::KeyState* SharedFate::state(FateKey key) const noexcept {
  const auto& list = keys_[kind_index(key)];
  return key.id < list.size() ? &list[key.id] : nullptr;
}

SharedFate::KeyState& SharedFate::state_for(FateKey key) {
  auto& list = keys_[kind_index(key)];
  if (key.id >= list.size()) list.resize(std::max<std::size_t>(key.id + 1, list.size() * 3 / 2));
  return list[key.id];
}

std::uint32_t SharedFate::site_slot(FateKey key) const noexcept {
  const auto& list = key_site_[kind_index(key)];
  return key.id < list.size() ? list[key.id] : 0;
}

void SharedFate::note_site(FateKey key, SiteId site) {
  if (key.id > kMaxFateId || !site.valid()) return;
  auto& list = key_site_[kind_index(key)];
  if (key.id >= list.size()) list.resize(std::max<std::size_t>(key.id + 1, list.size() * 3 / 2), 0);
  list[key.id] = site.value + 1;
  if (site.value + 1 >= sites_.size()) sites_.resize(site.value + 2);
}

void SharedFate::add(TimeMs end, bool poor, ClientId client, std::span<const FateKey> keys) {
  add_entry(end, poor, client, ClientId{}, keys, {}, {}, false);
}

void SharedFate::add(TimeMs end, bool poor, ClientId client, ClientId other_client, std::span<const FateKey> keys) {
  add_entry(end, poor, client, other_client, keys, {}, {}, false);
}

void SharedFate::add_paths(TimeMs end, bool poor, ClientId client, ClientId other_client,
                           std::span<const FateKey> path, std::span<const FateKey> other_path) {
  add_entry(end, poor, client, other_client, {}, path, other_path, true);
}

const SharedFate::PairCount* SharedFate::pair(FateKey child, FateKey parent) const noexcept {
  const KeyState* ks = state(child);
  if (ks == nullptr) return nullptr;
  const std::uint32_t p = pack(parent);
  for (const PairCount& c : ks->parents) {
    if (c.n > 0 && c.parent == p) return &c;
  }
  return nullptr;
}

void SharedFate::add_entry(TimeMs end, bool poor, ClientId client, ClientId other_client,
                           std::span<const FateKey> keys, std::span<const FateKey> path,
                           std::span<const FateKey> other_path, bool paired) {
  if (newest_ != kNoTime && end < newest_ - config_.window) {
    ++too_old_;  // it would be expired at once, and count meanwhile as if it were recent
    return;
  }
  scratch_.clear();
  auto index = [&](FateKey key) -> int {
    if (key.id > kMaxFateId) return -1;
    const auto it = std::find(scratch_.begin(), scratch_.end(), key);
    if (it != scratch_.end()) return static_cast<int>(it - scratch_.begin());
    if (scratch_.size() == kMaxKeysPerEntry) return -1;
    scratch_.push_back(key);
    return static_cast<int>(scratch_.size() - 1);
  };
  const std::array<ClientId, 2> clients{client, other_client};
  std::array<bool, 2> has_client{};
  for (std::size_t s = 0; s < 2; ++s) has_client[s] = clients[s].valid() && index(FateKey::client(clients[s])) >= 0;
  for (const FateKey key : keys) index(key);
  std::array<std::uint64_t, 2> own{};
  scratch_pairs_.clear();
  const std::array<std::span<const FateKey>, 2> paths{path, other_path};
  for (std::size_t s = 0; s < 2; ++s) {
    int below = -1;
    for (const FateKey key : paths[s]) {
      const int at = index(key);
      if (at >= 0) own[s] |= std::uint64_t{1} << at;
      if (below >= 0 && at >= 0 && below != at) {
        const auto p = static_cast<std::uint16_t>(below | at << 6);
        const auto side_bit = static_cast<std::uint16_t>(1u << (kPairOwnShift + s));
        const auto it = std::find_if(scratch_pairs_.begin(), scratch_pairs_.end(),
                                     [&](std::uint16_t q) { return (q & 0xfff) == p; });
        if (it == scratch_pairs_.end()) {
          scratch_pairs_.push_back(p | side_bit);
        } else {
          *it |= side_bit;
        }
      }
      below = at;
    }
  }
  if (scratch_.empty()) return;
  // Without paths, every key of the entry is on each client's way.
  if (!paired) {
    const std::uint64_t all = scratch_.size() == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << scratch_.size()) - 1;
    own = {all, all};
  }
  // A call of a client with itself counts once in its tally.
  if (has_client[0] && has_client[1] && clients[0] == clients[1]) {
    own[0] |= own[1];
    has_client[1] = false;
    for (std::uint16_t& p : scratch_pairs_) {
      if (p >> (kPairOwnShift + 1) & 1u) p = static_cast<std::uint16_t>((p & ~(1u << (kPairOwnShift + 1))) | 1u << kPairOwnShift);
    }
  }
  newest_ = newest_ == kNoTime ? end : std::max(newest_, end);

  Entry entry;
  entry.end = end;
  entry.poor = poor;
  entry.paired = paired;
  entry.occ_begin = static_cast<std::uint32_t>(occurrences_.back_seq());
  entry.occ_count = static_cast<std::uint16_t>(scratch_.size());
  const auto entry_seq = static_cast<std::uint32_t>(entries_.back_seq());
  for (const FateKey key : scratch_) {
    const std::uint32_t slot = site_slot(key);
    if (slot != 0 && entry.site_count < entry.sites.size() &&
        std::find(entry.sites.begin(), entry.sites.begin() + entry.site_count, slot) ==
            entry.sites.begin() + entry.site_count) {
      entry.sites[entry.site_count++] = slot;
    }
    KeyState& ks = state_for(key);
    ks.head = static_cast<std::uint32_t>(occurrences_.push(Occurrence{pack(key), ks.head, entry_seq}));
    ++ks.n;
    ks.k += poor;
  }
  for (std::size_t s = 0; s < 2; ++s) {
    if (!has_client[s]) continue;
    entry.clients[s] = clients[s].value;
    entry.own[s] = own[s];
    if (clients[s].value >= clients_.size()) {
      clients_.resize(std::max<std::size_t>(clients[s].value + 1, clients_.size() * 3 / 2));
    }
    ClientTally& t = clients_[clients[s].value];
    for (std::uint64_t bits = own[s]; bits != 0; bits &= bits - 1) {
      tally(t.keys, pack(scratch_[static_cast<std::size_t>(std::countr_zero(bits))]), poor, +1);
    }
  }
  entry.pair_begin = static_cast<std::uint32_t>(pairs_.back_seq());
  entry.pair_count = static_cast<std::uint8_t>(std::min<std::size_t>(scratch_pairs_.size(), 255));
  for (std::size_t i = 0; i < entry.pair_count; ++i) {
    std::uint16_t p = scratch_pairs_[i];
    const std::uint32_t parent = pack(scratch_[p >> 6 & 63]);
    const std::uint32_t child = pack(scratch_[p & 63]);
    for (std::size_t s = 0; s < 2; ++s) {
      if (has_client[s] && (p >> (kPairOwnShift + s) & 1u)) {
        tally(clients_[clients[s].value].pairs, pair_key(child, parent), poor, +1);
      }
    }
    KeyState& kp = state_for(scratch_[p & 63]);
    PairCount* slot = nullptr;
    for (PairCount& c : kp.parents) {
      if (c.n > 0 && c.parent == parent) {
        slot = &c;
        break;
      }
      if (c.n == 0 && slot == nullptr) slot = &c;
    }
    if (slot != nullptr) {
      if (slot->n == 0) *slot = PairCount{parent, 0, 0};
      ++slot->n;
      slot->k += poor;
      p |= kPairCounted;
    } else {
      ++kp.uncounted;
    }
    pairs_.push(p);
  }
  unpaired_entries_ += !paired;
  for (std::uint8_t i = 0; i < entry.site_count; ++i) {
    Count& c = sites_[entry.sites[i]];
    ++c.n;
    c.k += poor;
  }
  ++total_.n;
  total_.k += poor;
  entries_.push(entry);
  while (entries_.size() > config_.max_entries) pop_oldest();
}

void SharedFate::pop_oldest() {
  const Entry& e = entries_[entries_.front_seq()];
  const std::uint64_t occ_begin = occurrences_.front_seq();
  for (std::size_t s = 0; s < 2; ++s) {
    if (e.clients[s] == kNoClient) continue;
    ClientTally& t = clients_[e.clients[s]];
    for (std::uint64_t bits = e.own[s]; bits != 0; bits &= bits - 1) {
      tally(t.keys, occurrences_[occ_begin + static_cast<std::uint64_t>(std::countr_zero(bits))].key, e.poor, -1);
    }
  }
  for (std::uint8_t i = 0; i < e.pair_count; ++i) {
    const std::uint16_t p = pairs_[pairs_.front_seq()];
    const std::uint32_t child = occurrences_[occ_begin + (p & 63)].key;
    const std::uint32_t parent = occurrences_[occ_begin + (p >> 6 & 63)].key;
    for (std::size_t s = 0; s < 2; ++s) {
      if (e.clients[s] != kNoClient && (p >> (kPairOwnShift + s) & 1u)) {
        tally(clients_[e.clients[s]].pairs, pair_key(child, parent), e.poor, -1);
      }
    }
    KeyState& kp = keys_[child >> 30][child & kMaxFateId];
    if (p & kPairCounted) {
      for (PairCount& c : kp.parents) {
        if (c.n > 0 && c.parent == parent) {
          --c.n;
          c.k -= e.poor;
          break;
        }
      }
    } else {
      --kp.uncounted;
    }
    pairs_.pop_front();
  }
  unpaired_entries_ -= !e.paired;
  // The entry's occurrences are the oldest ones, each the last of its key's
  // list: counting it out is enough, the list is only read n deep.
  for (std::uint16_t i = 0; i < e.occ_count; ++i) {
    const Occurrence& occ = occurrences_[occurrences_.front_seq()];
    KeyState& ks = keys_[occ.key >> 30][occ.key & kMaxFateId];
    --ks.n;
    ks.k -= e.poor;
    occurrences_.pop_front();
  }
  for (std::uint8_t i = 0; i < e.site_count; ++i) {
    Count& c = sites_[e.sites[i]];
    --c.n;
    c.k -= e.poor;
  }
  --total_.n;
  total_.k -= e.poor;
  entries_.pop_front();
}

void SharedFate::expire(TimeMs now) {
  const TimeMs horizon = now - config_.window;
  while (!entries_.empty() && entries_[entries_.front_seq()].end < horizon) pop_oldest();
}

bool SharedFate::contains(const Entry& e, std::uint32_t packed) const noexcept {
  const std::uint64_t begin = occurrences_.widen(e.occ_begin);
  for (std::uint16_t i = 0; i < e.occ_count; ++i) {
    if (occurrences_[begin + i].key == packed) return true;
  }
  return false;
}

template <class F>
void SharedFate::for_each_entry(const KeyState& ks, F&& f) const {
  std::uint64_t seq = occurrences_.widen(ks.head);
  for (std::uint32_t i = 0; i < ks.n; ++i) {
    const Occurrence& occ = occurrences_[seq];
    f(entries_[entries_.widen(occ.entry)]);
    seq = occurrences_.widen(occ.next);
  }
}

double SharedFate::llr(double n, double k, double bg) const noexcept {
  const double bad = bg + (1 - bg) * config_.bad_rate;
  const double v = k * std::log(bad / bg) + (n - k) * std::log((1 - bad) / (1 - bg));
  return std::clamp(v, -config_.cap, config_.cap);
}

double SharedFate::background(FateKey key, const KeyState& ks, bool& site) const noexcept {
  const double network = (total_.k - ks.k + config_.prior_poor * config_.prior_strength) /
                         (total_.n - ks.n + config_.prior_strength);
  site = false;
  // Every entry crossing the key counts at the key's site (entries take their
  // sites from their keys), unless the key moved site within the window.
  if (const std::uint32_t slot = site_slot(key); slot != 0 && slot < sites_.size()) {
    const Count& c = sites_[slot];
    if (c.n >= ks.n && c.k >= ks.k && c.n - ks.n >= config_.site_min_segments) {
      site = true;
      // A site has tens of segments, not thousands: its rate is shrunk toward
      // the network's (which is the prior's role), not toward prior_poor.
      return (c.k - ks.k + network * config_.prior_strength) / (c.n - ks.n + config_.prior_strength);
    }
  }
  return network;
}

void SharedFate::tally(std::vector<ClientTally::Count>& counts, std::uint64_t key, bool poor, int delta) {
  const auto it =
      std::find_if(counts.begin(), counts.end(), [&](const ClientTally::Count& c) { return c.key == key; });
  if (delta > 0) {
    if (it == counts.end()) {
      counts.push_back({key, 1, poor ? 1u : 0u});
    } else {
      ++it->n;
      it->k += poor;
    }
    return;
  }
  if (it == counts.end()) return;
  --it->n;
  it->k -= poor;
  if (it->n == 0) {
    *it = counts.back();
    counts.pop_back();
  }
}

const SharedFate::ClientTally::Count* SharedFate::find(const std::vector<ClientTally::Count>& counts,
                                                       std::uint64_t key) noexcept {
  const auto it =
      std::find_if(counts.begin(), counts.end(), [&](const ClientTally::Count& c) { return c.key == key; });
  return it == counts.end() ? nullptr : &*it;
}

const SharedFate::ClientTally* SharedFate::client_tally(ClientId client) const noexcept {
  return client.valid() && client.value < clients_.size() ? &clients_[client.value] : nullptr;
}

FateAssessment SharedFate::assess(FateKey key, ClientId exclude_client, const FateKey* child) const {
  FateAssessment out;
  const KeyState empty{};
  const KeyState* found = state(key);
  const KeyState& ks = found ? *found : empty;
  out.background = background(key, ks, out.site_background);
  std::uint32_t n = ks.n, k = ks.k;

  const bool exclude = key.kind != FateKey::Kind::kClient && exclude_client.valid() &&
                       exclude_client.value <= kMaxFateId;
  const std::uint32_t client_packed = exclude ? pack(FateKey::client(exclude_client)) : 0;
  const std::uint32_t key_packed = pack(key);
  const bool has_child = child != nullptr && !(*child == key);
  const std::uint32_t child_packed = has_child ? pack(*child) : 0;
  std::uint32_t client_both_n = 0, client_both_k = 0;  // the client's segments through the key and the child
  if (const ClientTally* t = exclude && n > 0 ? client_tally(exclude_client) : nullptr) {
    if (const ClientTally::Count* own = find(t->keys, key_packed)) {
      n -= std::min(n, own->n);
      k -= std::min(k, own->k);
    }
    if (const ClientTally::Count* both = has_child ? find(t->pairs, pair_key(child_packed, key_packed)) : nullptr) {
      client_both_n = both->n;
      client_both_k = both->k;
    }
  }
  out.n = n;
  out.k = k;
  if (n < config_.min_segments) {
    out.basis = FateAssessment::Basis::kInsufficient;
    out.llr = 0;
    return out;
  }
  if (has_child) {
    std::uint32_t both_n = 0, both_k = 0;
    // A client's segments can cross the key on the other side's path: for a
    // client child the walk (over its few segments) is the exact count.
    const PairCount* counted =
        unpaired_entries_ == 0 && child->kind != FateKey::Kind::kClient ? pair(*child, key) : nullptr;
    if (exclude && *child == FateKey::client(exclude_client)) {
      // The child is the client left out: its segments are out already.
    } else if (counted != nullptr && state(*child)->uncounted == 0) {
      // Counted as the segments came: the segments whose path has the child directly below the key.
      both_n = counted->n - std::min(counted->n, client_both_n);
      both_k = counted->k - std::min(counted->k, client_both_k);
    } else if (const KeyState* cs = state(*child); cs != nullptr && cs->n > 0) {
      // Walk the shorter list; the other key is looked up in each entry.
      const bool walk_child = cs->n <= ks.n;
      const std::uint32_t other = walk_child ? key_packed : child_packed;
      for_each_entry(walk_child ? *cs : ks, [&](const Entry& e) {
        if (!contains(e, other)) return;
        if (exclude && contains(e, client_packed)) return;  // already left out
        ++both_n;
        both_k += e.poor;
      });
    }
    const std::uint32_t rest_n = n - std::min(n, both_n), rest_k = k - std::min(k, both_k);
    if (rest_n < config_.min_segments) {
      FateAssessment own = assess(*child, exclude_client, nullptr);
      own.basis = FateAssessment::Basis::kIndistinguishable;
      own.child = *child;
      return own;
    }
    out.n = rest_n;
    out.k = rest_k;
    out.basis = FateAssessment::Basis::kExcludingChild;
    out.child = *child;
    out.llr = llr(rest_n, rest_k, out.background);
    return out;
  }
  out.basis = FateAssessment::Basis::kOwn;
  out.llr = llr(n, k, out.background);
  return out;
}

FateAssessment SharedFate::assess_site(SiteId site) const {
  FateAssessment out;
  const std::uint32_t slot = site.valid() ? site.value + 1 : 0;
  const Count c = slot != 0 && slot < sites_.size() ? sites_[slot] : Count{};
  out.n = c.n;
  out.k = c.k;
  out.background = (total_.k - c.k + config_.prior_poor * config_.prior_strength) /
                   (total_.n - c.n + config_.prior_strength);
  if (c.n < config_.min_segments) return out;
  out.basis = FateAssessment::Basis::kOwn;
  out.llr = llr(c.n, c.k, out.background);
  return out;
}

std::uint32_t SharedFate::segments(FateKey key) const noexcept {
  const KeyState* ks = state(key);
  return ks ? ks->n : 0;
}

std::uint32_t SharedFate::poor_segments(FateKey key) const noexcept {
  const KeyState* ks = state(key);
  return ks ? ks->k : 0;
}

std::size_t SharedFate::memory_bytes() const noexcept {
  std::size_t total = entries_.memory_bytes() + occurrences_.memory_bytes() + pairs_.memory_bytes() +
                      sites_.capacity() * sizeof(Count) + scratch_.capacity() * sizeof(FateKey) +
                      scratch_pairs_.capacity() * sizeof(std::uint16_t);
  for (const auto& list : keys_) total += list.capacity() * sizeof(KeyState);
  for (const auto& list : key_site_) total += list.capacity() * sizeof(std::uint32_t);
  total += clients_.capacity() * sizeof(ClientTally);
  for (const ClientTally& t : clients_) {
    total += (t.keys.capacity() + t.pairs.capacity()) * sizeof(ClientTally::Count);
  }
  return total;
}

}  // namespace callroot::engine
