#pragma once
/// String <-> dense id, for one namespace of names. Lookups take string_view
/// and never allocate; a name is copied once, when first interned.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace callroot {

class SymbolTable {
 public:
  /// `capacity` bounds how many names may exist, so hostile input cannot grow
  /// memory without limit.
  explicit SymbolTable(std::size_t capacity = 4'000'000) : capacity_(capacity) {}

  /// The longest name kept, in bytes: a DNS name has at most 253, and a
  /// table is kept for as long as the process runs, so a name of a megabyte
  /// would cost a megabyte for ever.
  static constexpr std::size_t kMaxNameBytes = 256;

  /// The id of `name`, interning it if new; nullopt once the table is full
  /// or when `name` is longer than kMaxNameBytes.
  std::optional<std::uint32_t> intern(std::string_view name);
  /// The id of `name` if it is known.
  [[nodiscard]] std::optional<std::uint32_t> find(std::string_view name) const noexcept;
  [[nodiscard]] std::string_view name(std::uint32_t id) const noexcept { return names_[id]; }
  [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::size_t capacity_;
  std::deque<std::string> storage_;  // deque: element addresses stay put, so views into it stay valid
  std::vector<std::string_view> names_;
  std::unordered_map<std::string_view, std::uint32_t, Hash, std::equal_to<>> index_;
};

}  // namespace callroot
