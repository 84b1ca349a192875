#include "transport/quic_memory.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace barrel_p2p::transport {

namespace {

/// The whole pages inside [data, data + size): [begin, end), empty when begin >= end.
struct Interior {
  std::uintptr_t begin;
  std::uintptr_t end;
};

Interior interior_of(void* data, std::size_t size) {
  static const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  return {(start + page - 1) & ~(page - 1), (start + size) & ~(page - 1)};
}

/// Drops the interior pages of a block we own: they read back as zeros and are resident again
/// only once written. The bytes around them (and the allocator's headers) are untouched.
void discard(const Interior& pages) {
  if (pages.begin >= pages.end) return;
  // Advisory: on failure the pages simply stay resident.
  (void)madvise(reinterpret_cast<void*>(pages.begin), pages.end - pages.begin, MADV_DONTNEED);
}

void* quic_malloc(std::size_t size, void* /*user_data*/) {
  void* data = std::malloc(size);
  if (data != nullptr && size >= kQuicDiscardFrom) discard(interior_of(data, size));
  return data;
}

void quic_free(void* data, void* /*user_data*/) {
  if (data == nullptr) return;
  const std::size_t size = malloc_usable_size(data);
  if (size >= kQuicDiscardFrom) discard(interior_of(data, size));
  std::free(data);
}

void* quic_calloc(std::size_t count, std::size_t size, void* /*user_data*/) {
  std::size_t total = 0;
  if (__builtin_mul_overflow(count, size, &total)) return nullptr;
  if (total < kQuicDiscardFrom) return std::calloc(count, size);
  void* data = std::malloc(total);
  if (data == nullptr) return nullptr;
  // Discarded pages read as zeros, so only the bytes around them need zeroing.
  const Interior pages = interior_of(data, total);
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  if (pages.begin >= pages.end) {
    std::memset(data, 0, total);
    return data;
  }
  discard(pages);
  std::memset(data, 0, pages.begin - start);
  std::memset(reinterpret_cast<void*>(pages.end), 0, start + total - pages.end);
  return data;
}

void* quic_realloc(void* data, std::size_t size, void* /*user_data*/) {
  return std::realloc(data, size);
}

const ngtcp2_mem kQuicMemory{nullptr, quic_malloc, quic_free, quic_calloc, quic_realloc};

}  // namespace

const ngtcp2_mem* quic_memory() { return &kQuicMemory; }

}  // namespace barrel_p2p::transport
