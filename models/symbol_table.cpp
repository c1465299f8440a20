#include "models/symbol_table.h"

namespace callroot {

std::optional<std::uint32_t> SymbolTable::intern(std::string_view name) {
  if (name.size() > kMaxNameBytes) return std::nullopt;
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  if (names_.size() >= capacity_) return std::nullopt;
  const std::string& stored = storage_.emplace_back(name);
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(stored);
  index_.emplace(std::string_view(stored), id);
  return id;
}

std::optional<std::uint32_t> SymbolTable::find(std::string_view name) const noexcept {
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  return std::nullopt;
}

}  // namespace callroot
