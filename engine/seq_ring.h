#pragma once
/// A FIFO addressed by sequence number, for the statistics' sliding windows.
/// Elements sit at `seq & mask` in one power-of-two array that only grows, so
/// a steady window allocates nothing and a sequence number stays a valid
/// address for as long as its element is in the window.

#include <bit>
#include <cstdint>
#include <vector>

namespace callroot::engine::detail {

template <class T>
class SeqRing {
 public:
  /// Appends `value`; returns its sequence number.
  std::uint64_t push(const T& value) {
    if (size() == slots_.size()) grow();
    slots_[back_ & mask_] = value;
    return back_++;
  }
  void pop_front() noexcept { ++front_; }
  /// Drops every element before `seq` (front_seq() <= seq <= back_seq()).
  void pop_front_to(std::uint64_t seq) noexcept { front_ = seq; }
  T& operator[](std::uint64_t seq) noexcept { return slots_[seq & mask_]; }
  const T& operator[](std::uint64_t seq) const noexcept { return slots_[seq & mask_]; }

  [[nodiscard]] std::uint64_t front_seq() const noexcept { return front_; }
  [[nodiscard]] std::uint64_t back_seq() const noexcept { return back_; }  ///< one past the newest
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(back_ - front_); }
  [[nodiscard]] bool empty() const noexcept { return back_ == front_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return slots_.capacity() * sizeof(T); }

  /// The full sequence number of a live element from its low 32 bits (what
  /// the windows store, to halve their links): the live range spans less than 2^32.
  [[nodiscard]] std::uint64_t widen(std::uint32_t low) const noexcept {
    return front_ + static_cast<std::uint32_t>(low - static_cast<std::uint32_t>(front_));
  }

 private:
  void grow() {
    const std::size_t capacity = slots_.empty() ? 64 : slots_.size() * 2;
    std::vector<T> slots(capacity);
    const std::uint64_t mask = capacity - 1;
    for (std::uint64_t s = front_; s != back_; ++s) slots[s & mask] = slots_[s & mask_];
    slots_.swap(slots);
    mask_ = mask;
  }

  std::vector<T> slots_;
  std::uint64_t mask_ = 0;
  std::uint64_t front_ = 0;
  std::uint64_t back_ = 0;
};

}  // namespace callroot::engine::detail
