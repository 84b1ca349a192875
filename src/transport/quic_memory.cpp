#include "transport/quic_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace barrel_p2p::transport {

namespace {

/// Drops the whole pages inside a block just allocated: they read back as zeros and become
/// resident again only when written. The bytes around them, and the heap's own headers
/// outside the block, are untouched; malloc promises nothing about a new block's contents.
void discard_interior(void* data, std::size_t size) {
  static const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t begin = (start + page - 1) & ~(page - 1);
  const std::uintptr_t end = (start + size) & ~(page - 1);
  if (begin >= end) return;
  // Advisory: on failure the pages simply stay resident.
  // The address was rounded to whole pages as an integer; madvise() wants it back as a pointer.
  (void)madvise(reinterpret_cast<void*>(begin), end - begin,  // NOLINT(performance-no-int-to-ptr)
                MADV_DONTNEED);
}

void* quic_malloc(std::size_t size, void* /*user_data*/) {
  void* data = std::malloc(size);
  if (data != nullptr && size >= kQuicDiscardFrom) discard_interior(data, size);
  return data;
}

void quic_free(void* data, void* /*user_data*/) { std::free(data); }

void* quic_calloc(std::size_t count, std::size_t size, void* /*user_data*/) {
  return std::calloc(count, size);
}

void* quic_realloc(void* data, std::size_t size, void* /*user_data*/) {
  return std::realloc(data, size);
}

const ngtcp2_mem kQuicMemory{nullptr, quic_malloc, quic_free, quic_calloc, quic_realloc};

}  // namespace

const ngtcp2_mem* quic_memory() { return &kQuicMemory; }

}  // namespace barrel_p2p::transport
