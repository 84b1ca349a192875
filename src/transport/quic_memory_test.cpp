#include "transport/quic_memory.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace barrel_p2p::transport {
namespace {

constexpr std::size_t kBlock = 64 * 1024;

std::uintptr_t page_size() { return static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE)); }

/// Resident pages among the whole pages inside [data, data + size).
std::size_t resident_interior_pages(const void* data, std::size_t size) {
  const auto page = page_size();
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  const auto begin = (start + page - 1) & ~(page - 1);
  const auto end = (start + size) & ~(page - 1);
  if (begin >= end) return 0;
  std::vector<unsigned char> flags((end - begin) / page);
  // Page-rounded integer address back to a pointer, as mincore() wants it.
  void* first_page = reinterpret_cast<void*>(begin);  // NOLINT(performance-no-int-to-ptr)
  if (mincore(first_page, end - begin, flags.data()) != 0) return 0;
  std::size_t resident = 0;
  for (unsigned char flag : flags) resident += flag & 1U;
  return resident;
}

/// A block of `size` bytes written all over and freed, with a live neighbour after it so the
/// heap keeps it as a free chunk (dirty, resident) for the next allocation of that size.
void leave_dirty_hole(std::size_t size, std::vector<void*>& fences) {
  void* dirty = std::malloc(size);
  ASSERT_NE(dirty, nullptr);
  fences.push_back(std::malloc(64));
  std::memset(dirty, 0xAB, size);
  std::free(dirty);
}

TEST(QuicMemory, LargeBlockIsResidentOnlyWhereWritten) {
  const ngtcp2_mem* mem = quic_memory();
  std::vector<void*> fences;
  leave_dirty_hole(kBlock, fences);
  auto* block = static_cast<std::uint8_t*>(mem->malloc(kBlock, mem->user_data));
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(resident_interior_pages(block, kBlock), 0U);
  std::memset(block, 1, 100);  // the first bytes, as a block carving its first objects
  block[kBlock - 1] = 2;
  EXPECT_LE(resident_interior_pages(block, kBlock), 1U);
  EXPECT_EQ(block[0], 1);
  EXPECT_EQ(block[kBlock - 1], 2);
  mem->free(block, mem->user_data);
  for (void* fence : fences) std::free(fence);
}

TEST(QuicMemory, DiscardStaysInsideTheBlock) {
  // Sizes that start and end inside pages: the pages shared with the neighbours (and the
  // heap's headers) must keep their bytes; only whole pages inside the block are dropped.
  const ngtcp2_mem* mem = quic_memory();
  for (std::size_t size : {std::size_t{kQuicDiscardFrom}, std::size_t{10007}, kBlock + 3}) {
    auto* before = static_cast<std::uint8_t*>(std::malloc(64));
    void* dirty = std::malloc(size);
    auto* after = static_cast<std::uint8_t*>(std::malloc(64));
    ASSERT_TRUE(before != nullptr && dirty != nullptr && after != nullptr);
    std::memset(before, 0x11, 64);
    std::memset(after, 0x22, 64);
    std::memset(dirty, 0xAB, size);
    std::free(dirty);
    auto* block = static_cast<std::uint8_t*>(mem->malloc(size, mem->user_data));
    ASSERT_NE(block, nullptr);
    std::memset(block, 0x33, size);
    for (int i = 0; i < 64; ++i) {
      ASSERT_EQ(before[i], 0x11) << "size " << size;
      ASSERT_EQ(after[i], 0x22) << "size " << size;
    }
    mem->free(block, mem->user_data);
    std::free(after);
    std::free(before);
  }
}

TEST(QuicMemory, SmallBlocksAndReallocBehaveAsMalloc) {
  const ngtcp2_mem* mem = quic_memory();
  auto* small = static_cast<std::uint8_t*>(mem->calloc(10, 10, mem->user_data));
  ASSERT_NE(small, nullptr);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(small[i], 0);
  std::memset(small, 7, 100);
  auto* grown = static_cast<std::uint8_t*>(mem->realloc(small, kBlock, mem->user_data));
  ASSERT_NE(grown, nullptr);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(grown[i], 7);
  mem->free(grown, mem->user_data);
  mem->free(nullptr, mem->user_data);  // as free(nullptr): nothing
}

}  // namespace
}  // namespace barrel_p2p::transport
