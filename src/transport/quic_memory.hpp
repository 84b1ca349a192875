// The allocator the transport hands to ngtcp2: malloc, but large blocks keep resident only
// the pages ngtcp2 writes, and give their pages back when freed.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstddef>

namespace barrel_p2p::transport {

/// Allocations at least this large have their whole interior pages discarded (MADV_DONTNEED)
/// when allocated and again just before they are freed.
inline constexpr std::size_t kQuicDiscardFrom = 4096;

/// The ngtcp2_mem given to every connection. ngtcp2 carves objects out of blocks sized for 64
/// of them (streams: 11 KiB for the four a link uses; sent packets and frames: 7 KiB each), and
/// the connection itself is 8 KiB. From plain malloc such blocks come back fully resident
/// whenever the heap recycles memory (as it does after every connection closes), and freed
/// ones stay resident in the heap. Here a block of kQuicDiscardFrom bytes or more is resident
/// only as far as it is written, and its pages return to the system when it is freed: a node
/// with five idle links holds about 100 KiB less, and connection churn (join storms, on-demand
/// links) leaves fewer resident holes. The cost is one madvise per large block at allocation
/// and at free (a few per connection). Contents are as malloc/calloc promise (calloc zeroes).
/// Thread-safe, like malloc.
const ngtcp2_mem* quic_memory();

}  // namespace barrel_p2p::transport
