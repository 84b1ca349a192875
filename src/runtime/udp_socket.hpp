// A non-blocking UDP socket tuned for QUIC: batched receive with GRO, GSO send, ECN, DF bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "core/socket_address.hpp"

namespace barrel_p2p::runtime {

/// Counters of one UdpSocket, for metrics and benchmarks (datagrams per syscall).
struct UdpSocketStats {
  std::uint64_t datagrams_sent = 0;      ///< Datagrams (GSO segments counted one by one).
  std::uint64_t datagrams_received = 0;  ///< Datagrams after splitting GRO buffers.
  std::uint64_t send_calls = 0;          ///< sendmsg/sendmmsg system calls made.
  std::uint64_t receive_calls = 0;       ///< recvmmsg system calls that returned data.
  std::uint64_t send_errors = 0;         ///< send() calls that failed (incl. send buffer full).
  std::uint64_t receive_errors = 0;      ///< receive_batch() calls that failed.
  std::uint64_t truncated_dropped = 0;   ///< Datagrams dropped because they exceeded a buffer.
  /// Times the receive buffers gave back the pages a burst wrote (see receive_batch()).
  std::uint64_t receive_buffer_releases = 0;
};

/// Settings for UdpSocket::bind(); the defaults are what QUIC on Linux wants.
struct UdpSocketOptions {
  /// Requested SO_RCVBUF and SO_SNDBUF. The *BUFFORCE variants are tried first (they need
  /// CAP_NET_ADMIN and ignore net.core.*mem_max); otherwise the kernel caps the request.
  int kernel_buffer_bytes = 8 * 1024 * 1024;
  /// Datagram buffers (64 KiB each, the GRO maximum) one recvmmsg can fill, at most. The
  /// socket owns them for its lifetime: 16 cost 1 MiB of address space, resident only as far
  /// as written. A socket starts with one slot per call and doubles while calls fill every
  /// slot offered; once quiet again it gives back what a burst wrote (see receive_batch()),
  /// so a quiet socket (most nodes of a cluster) keeps about one page resident.
  std::size_t receive_slots = 16;
};

/// A bound, non-blocking UDP socket. Move-only; closes its fd on destruction.
///
/// Set up at bind(): SO_RCVBUF/SO_SNDBUF, IP_RECVTOS/IPV6_RECVTCLASS (received ECN),
/// IP_MTU_DISCOVER=IP_PMTUDISC_DO / IPV6_MTU_DISCOVER (DF set, as QUIC PMTUD needs), UDP_GRO
/// where the kernel supports it. Sends use UDP_SEGMENT (GSO) for multi-segment batches; when
/// the kernel refuses GSO (EIO/EINVAL) but one message per segment (sendmmsg) works, the socket
/// uses the latter for the rest of its life.
///
/// Thread-safety: none; use from one thread (the event loop that watches fd()).
class UdpSocket {
 public:
  /// Callback for each received datagram: sender, payload (valid only during the call) and the
  /// ECN codepoint from the IP header (0 = Not-ECT, 1 = ECT(1), 2 = ECT(0), 3 = CE).
  using DatagramHandler = std::function<void(const core::SocketAddress& from,
                                             core::ByteView datagram, std::uint8_t ecn)>;
  /// Asked after each datagram handed to a DatagramHandler: true pauses the delivery (see
  /// receive_batch()).
  using PausePredicate = std::function<bool()>;

  /// Opens and binds a socket to `address` (port 0 lets the kernel choose; see
  /// local_address()). Errors: invalid_argument for an empty address; io when the socket cannot
  /// be created or configured, or when bind fails, e.g.
  /// "cannot bind 127.0.0.1:4000: Address already in use".
  static Result<UdpSocket> bind(const core::SocketAddress& address,
                                const UdpSocketOptions& options = {});

  /// Takes over `other`'s descriptor, buffers and counters; `other` is left with fd() == -1
  /// and may only be destroyed or assigned to.
  UdpSocket(UdpSocket&& other) noexcept;
  /// Closes this socket's descriptor, then takes over `other`'s as the move constructor does.
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  /// Move-only: one owner per descriptor.
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  /// Closes the fd. Remove it from any EventLoop first.
  ~UdpSocket();

  /// The bound address, with the concrete port the kernel chose.
  [[nodiscard]] const core::SocketAddress& local_address() const { return local_address_; }
  /// The descriptor, for EventLoop::add_fd. Still owned by the socket; -1 after a move.
  [[nodiscard]] int fd() const { return fd_; }
  /// Counters since bind().
  [[nodiscard]] const UdpSocketStats& stats() const { return stats_; }
  /// True while multi-segment sends use one sendmsg with UDP_SEGMENT.
  [[nodiscard]] bool gso_enabled() const { return gso_enabled_; }
  /// True when the kernel accepted UDP_GRO, so receives may coalesce datagrams (split again
  /// before the handler sees them).
  [[nodiscard]] bool gro_enabled() const { return gro_enabled_; }
  /// True when the last recvmmsg of receive_batch() filled every slot it offered: more
  /// datagrams may be waiting in the kernel.
  [[nodiscard]] bool filled_last_batch() const { return filled_last_batch_; }

  /// Receives with one recvmmsg (up to receive_slots buffers; see UdpSocketOptions) and calls
  /// `handler` once per datagram, splitting GRO-coalesced buffers at the kernel-reported segment
  /// size. Call it until it returns 0 to drain the socket. Datagrams too large for a buffer are
  /// dropped and counted. Returns the number of datagrams delivered; 0 when nothing is waiting
  /// (EAGAIN). Errors: io with the system's message.
  ///
  /// After kQuietReceivesBeforeRelease receives in a row that each left slots unfilled and got
  /// no datagram (or GRO batch) above one page, the next call first gives back every buffer
  /// page but the first that earlier bursts wrote, when they are 4 or more (counted in
  /// stats().receive_buffer_releases), and offers one slot again.
  ///
  /// When `pause` is given and returns true after a datagram, the rest of the batch is held in
  /// the socket's buffers: the next call delivers it first, before it receives anything new.
  /// The kernel no longer holds those datagrams, so a caller that paused must call again
  /// without waiting for fd() to be readable while holds_datagrams() is true.
  Result<std::size_t> receive_batch(const DatagramHandler& handler,
                                    const PausePredicate& pause = {});

  /// Quiet receives in a row after which receive_batch() gives a burst's pages back.
  static constexpr std::size_t kQuietReceivesBeforeRelease = 32;

  /// True when a paused receive_batch() left received datagrams undelivered.
  [[nodiscard]] bool holds_datagrams() const;

  /// Sends `data` to `to` as consecutive datagrams of `segment_size` bytes (the last may be
  /// shorter; empty data sends one empty datagram) with ECN codepoint `ecn` (low two bits).
  /// Several segments go out as one sendmsg with UDP_SEGMENT, split into calls of at most 64
  /// segments and 65,507 bytes. When a batch needs more than one call and a later call fails,
  /// the earlier datagrams have been sent; a retry repeats them, which QUIC tolerates
  /// (duplicate packets are discarded, RFC 9000 §12.3).
  /// Errors: invalid_argument when segment_size is 0 or `to` is empty; limit_reached
  /// "send buffer full" on EAGAIN (retry when fd() is writable); io with the system's message
  /// otherwise (e.g. "Message too long" for a datagram above the path MTU).
  Result<void> send(const core::SocketAddress& to, core::ByteView data, std::size_t segment_size,
                    std::uint8_t ecn);

 private:
  struct ReceiveBuffers;

  UdpSocket(int fd, const core::SocketAddress& local_address, bool gso_enabled, bool gro_enabled,
            std::size_t receive_slots);
  Result<void> set_ecn(std::uint8_t ecn);
  Result<std::size_t> send_gso(const core::SocketAddress& to, core::ByteView data,
                               std::size_t segment_size);
  Result<std::size_t> send_each(const core::SocketAddress& to, core::ByteView data,
                                std::size_t segment_size);
  Unexpected send_error(int error, const core::SocketAddress& to);
  void close_fd();

  int fd_ = -1;
  core::SocketAddress local_address_;
  bool gso_enabled_ = false;
  bool gro_enabled_ = false;
  bool filled_last_batch_ = false;  // see filled_last_batch()
  std::uint8_t ecn_ = 0;            // The TOS/TCLASS ECN bits currently set on the socket.
  UdpSocketStats stats_;
  // Heap-allocated once so the recvmmsg headers' pointers into it survive moves.
  std::unique_ptr<ReceiveBuffers> receive_;
};

}  // namespace barrel_p2p::runtime
