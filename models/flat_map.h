#pragma once
/// A flat open-addressing hash map from 64-bit keys to 32-bit values, for
/// the lookups on the scoring path (MAC -> client, BSSID -> AP): one probe
/// sequence in one array, where std::unordered_map chases a node pointer
/// into a cache miss of its own.

#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

namespace callroot {

class FlatMap64 {
 public:
  [[nodiscard]] std::optional<std::uint32_t> find(std::uint64_t key) const noexcept {
    if (slots_.empty()) return std::nullopt;
    for (std::size_t i = index(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.used) return std::nullopt;
      if (s.key == key) return s.value;
    }
  }

  /// Inserts or overwrites.
  void set(std::uint64_t key, std::uint32_t value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // keep the load under 3/4
    for (std::size_t i = index(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) {
        s = Slot{key, value, true};
        ++size_;
        return;
      }
      if (s.key == key) {
        s.value = value;
        return;
      }
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t value = 0;
    bool used = false;
  };

  [[nodiscard]] std::size_t index(std::uint64_t key) const noexcept {
    // Fibonacci hashing: MACs share their vendor prefix, so mix all bits.
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }

  void grow() {
    const std::size_t capacity = slots_.empty() ? 16 : slots_.size() * 2;
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(capacity);
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
    size_ = 0;
    for (const Slot& s : old) {
      if (s.used) set(s.key, s.value);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace callroot
