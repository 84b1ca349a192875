// The allocator the transport hands to ngtcp2: malloc, except that a large block starts with
// no resident pages, so ngtcp2's sparsely used blocks cost only the pages it writes.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstddef>

namespace barrel_p2p::transport {

/// malloc'd blocks at least this large have their whole interior pages discarded
/// (MADV_DONTNEED) before ngtcp2 gets them.
inline constexpr std::size_t kQuicDiscardFrom = 4096;

/// The ngtcp2_mem given to every connection. ngtcp2 carves objects out of blocks sized for 64
/// of them (streams: 11 KiB for the four a link uses; sent packets and frames: 7 KiB each) and
/// keeps an 8 KiB reorder chunk for a stream that received data out of order. From plain
/// malloc such blocks come back fully resident whenever the heap recycles memory, as it does
/// after every connection closes. Here their interior pages are discarded first, so each is
/// resident only as far as ngtcp2 writes it: a node with five idle links holds about
/// 100 KiB less. Cost: one madvise per block of kQuicDiscardFrom bytes or more (a few per
/// connection). calloc, realloc and free are the C library's (discarding at calloc or free
/// costs more system calls and page faults than it saves; decision 0005). Thread-safe.
const ngtcp2_mem* quic_memory();

}  // namespace barrel_p2p::transport
