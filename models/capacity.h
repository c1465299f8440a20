#pragma once
/// Storage that a rare large batch grew is given back, so that one large
/// document or message does not pin its size in memory for the life of the
/// process while the vectors that carried it are reused.

#include <cstddef>
#include <vector>

namespace callroot {

/// Elements a reused vector keeps its storage for from one batch to the next.
inline constexpr std::size_t kKeptElements = 4096;

/// Frees `v`'s storage (leaving it empty) when it has room for more than
/// `kept` elements; leaves a smaller one as it is.
template <class T>
void release_if_large(std::vector<T>& v, std::size_t kept = kKeptElements) {
  if (v.capacity() > kept) std::vector<T>().swap(v);
}

}  // namespace callroot
