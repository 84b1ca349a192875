#include "runtime/udp_socket.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/assert.hpp"
#include "runtime/scoped_fd.hpp"

namespace barrel_p2p::runtime {

namespace {

// Largest UDP payload over IPv4 (65,535 - 8 UDP - 20 IP); one GSO call carries at most this
// many bytes (8 x 8192 = 65,536 fails with EMSGSIZE).
constexpr std::size_t kMaxBytesPerSend = 65'507;
// Most segments the kernel accepts in one UDP_SEGMENT send (UDP_MAX_SEGMENTS).
constexpr std::size_t kMaxSegmentsPerSend = 64;
// One receive buffer holds the largest datagram or GRO-coalesced batch.
constexpr std::size_t kReceiveBufferBytes = 65'536;
// The pages bursts wrote are given back (see ReceiveBuffers::release_if_quiet) provided they
// are at least this many: small datagrams keep touching the first page of a few slots, and
// giving those back would only cost page faults.
constexpr std::size_t kReleaseFromPages = 4;

std::string errno_text(int error) {
  char buffer[128];
  return ::strerror_r(error, buffer, sizeof(buffer));  // GNU variant: returns the text.
}

bool set_int_option(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

// Tries the privileged *BUFFORCE option first, then the capped one; both are best effort.
void set_buffer_size(int fd, int force_name, int name, int bytes) {
  if (!set_int_option(fd, SOL_SOCKET, force_name, bytes)) {
    set_int_option(fd, SOL_SOCKET, name, bytes);
  }
}

Result<void> require_option(int fd, int level, int name, int value, const char* what) {
  if (set_int_option(fd, level, name, value)) return {};
  return fail(Errc::io, std::string("setsockopt(") + what + "): " + errno_text(errno));
}

// ECN reception and the DF bit. v6 sockets also get the v4 options (best effort) so
// v4-mapped peers of a dual-stack socket behave the same.
Result<void> configure_ip(int fd, bool ipv6) {
  if (ipv6) {
    auto result = require_option(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1, "IPV6_RECVTCLASS");
    if (result) {
      result = require_option(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO,
                              "IPV6_MTU_DISCOVER");
    }
    set_int_option(fd, IPPROTO_IP, IP_RECVTOS, 1);
    set_int_option(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
    return result;
  }
  auto result = require_option(fd, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS");
  if (!result) return result;
  return require_option(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, "IP_MTU_DISCOVER");
}

bool kernel_supports_gso(int fd) {
  int segment = 0;
  socklen_t length = sizeof(segment);
  return ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &length) == 0;
}

// Control-message space for one received datagram: TOS/TCLASS plus the GRO segment size.
struct alignas(cmsghdr) ControlBuffer {
  unsigned char bytes[CMSG_SPACE(sizeof(int)) * 2 + 32];
};

// What the control messages of one received datagram say.
struct ReceiveInfo {
  std::uint8_t ecn = 0;
  std::size_t segment_size = 0;  // 0 when not coalesced by GRO.
};

int cmsg_int(const cmsghdr* header) {
  int value = 0;
  if (header->cmsg_len >= CMSG_LEN(sizeof(int))) std::memcpy(&value, CMSG_DATA(header), 4);
  return value;
}

ReceiveInfo parse_control(msghdr& message) {
  ReceiveInfo info;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_TOS &&
        header->cmsg_len >= CMSG_LEN(1)) {
      info.ecn = static_cast<std::uint8_t>(*CMSG_DATA(header) & 3U);  // IP_TOS is one byte.
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_TCLASS) {
      info.ecn = static_cast<std::uint8_t>(static_cast<unsigned>(cmsg_int(header)) & 3U);
    } else if (header->cmsg_level == SOL_UDP && header->cmsg_type == UDP_GRO) {
      info.segment_size = static_cast<std::size_t>(std::max(cmsg_int(header), 0));
    }
  }
  return info;
}

std::size_t segment_count(std::size_t bytes, std::size_t segment_size) {
  return bytes == 0 ? 1 : (bytes + segment_size - 1) / segment_size;
}

}  // namespace

// Frees what allocate_pages() returned.
struct PageDeleter {
  void operator()(std::uint8_t* data) const { std::free(data); }  // NOLINT(*-no-malloc)
};

// recvmmsg state: one buffer, address and control area per slot, pointed to by the headers.
struct UdpSocket::ReceiveBuffers {
  explicit ReceiveBuffers(std::size_t slots)
      : data(allocate_pages(slots * kReceiveBufferBytes)),
        names(slots),
        controls(slots),
        iovecs(slots),
        headers(slots),
        written(slots) {
    for (std::size_t i = 0; i < slots; ++i) {
      iovecs[i].iov_base = data.get() + i * kReceiveBufferBytes;
      iovecs[i].iov_len = kReceiveBufferBytes;
      msghdr& message = headers[i].msg_hdr;
      message.msg_name = &names[i];
      message.msg_iov = &iovecs[i];
      message.msg_iovlen = 1;
      message.msg_control = controls[i].bytes;
    }
  }

  // Records what the kernel wrote in the `received` slots of the last call, and whether that
  // call was quiet: slots left unfilled and every datagram (or GRO batch) within one page.
  void note_received() {
    bool quiet = received < in_use;
    for (std::size_t i = 0; i < received; ++i) {
      const std::size_t length = headers[i].msg_len;
      if (length > written[i]) {
        touched_pages += pages(length) - pages(written[i]);
        written[i] = length;
      }
      quiet = quiet && length <= page_size();
    }
    quiet_receives = quiet ? quiet_receives + 1 : 0;
  }

  // After UdpSocket::kQuietReceivesBeforeRelease quiet receives in a row, and when bursts touched
  // at least kReleaseFromPages pages, gives back every page but the first (MADV_DONTNEED: they read
  // back as zeros and cost a page fault when written again) and offers one slot again. Without
  // this, a burst (a join storm's GRO batches, a bulk transfer) leaves up to slots x 64 KiB
  // resident for the socket's lifetime. Call only when no datagram is held.
  // Returns whether it released.
  bool release_if_quiet() {
    if (quiet_receives < UdpSocket::kQuietReceivesBeforeRelease ||
        touched_pages < kReleaseFromPages) {
      return false;
    }
    std::size_t end = 0;  // past the last slot written
    for (std::size_t i = 0; i < written.size(); ++i) {
      if (written[i] != 0) end = i * kReceiveBufferBytes + pages(written[i]) * page_size();
    }
    // Advisory: on failure the pages simply stay resident.
    (void)::madvise(data.get() + page_size(), end - page_size(), MADV_DONTNEED);
    std::fill(written.begin(), written.end(), 0);
    written[0] = page_size();  // kept: it may hold data
    touched_pages = 1;
    quiet_receives = 0;
    in_use = 1;
    return true;
  }

  static std::size_t pages(std::size_t bytes) { return (bytes + page_size() - 1) / page_size(); }

  // `size` bytes (a multiple of the page size) starting on a page; not zeroed, so pages stay
  // unallocated until the kernel writes them.
  static std::unique_ptr<std::uint8_t[], PageDeleter> allocate_pages(std::size_t size) {
    void* block = std::aligned_alloc(page_size(), size);  // NOLINT(*-no-malloc)
    if (block == nullptr) throw std::bad_alloc();
    return std::unique_ptr<std::uint8_t[], PageDeleter>(static_cast<std::uint8_t*>(block));
  }

  static std::size_t page_size() {
    static const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
  }

  // The kernel overwrites these lengths on every call.
  void reset() {
    for (std::size_t i = 0; i < in_use; ++i) {
      mmsghdr& header = headers[i];
      header.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      header.msg_hdr.msg_controllen = sizeof(ControlBuffer);
      header.msg_hdr.msg_flags = 0;
      header.msg_len = 0;
    }
  }

  // Page-aligned (madvise needs whole pages); not moved by moves of the socket.
  std::unique_ptr<std::uint8_t[], PageDeleter> data;
  // Where a paused delivery goes on: slots [next_slot, received) are still to be delivered,
  // next_slot from byte next_offset (a GRO buffer may be paused between its segments).
  std::size_t received = 0;
  std::size_t next_slot = 0;
  std::size_t next_offset = 0;
  // Slots offered to recvmmsg: starts small and doubles up to every slot while calls keep
  // filling them all.
  std::size_t in_use = 1;
  std::vector<sockaddr_storage> names;
  std::vector<ControlBuffer> controls;
  std::vector<iovec> iovecs;
  std::vector<mmsghdr> headers;
  // Per slot, how far the kernel may have written since the last release, and the pages
  // that makes (resident, unless the kernel reclaimed them).
  std::vector<std::size_t> written;
  std::size_t touched_pages = 0;
  std::size_t quiet_receives = 0;  // in a row; see note_received()
};

Result<UdpSocket> UdpSocket::bind(const core::SocketAddress& address,
                                  const UdpSocketOptions& options) {
  if (address.empty()) return fail(Errc::invalid_argument, "cannot bind an empty address");
  if (options.receive_slots == 0) {
    return fail(Errc::invalid_argument, "UdpSocketOptions::receive_slots must be positive");
  }
  const bool ipv6 = address.is_ipv6();
  ScopedFd fd(
      ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (fd.get() < 0) {
    return fail(Errc::io,
                "cannot create a UDP socket for " + address.to_string() + ": " + errno_text(errno));
  }
  set_buffer_size(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF, options.kernel_buffer_bytes);
  set_buffer_size(fd.get(), SO_SNDBUFFORCE, SO_SNDBUF, options.kernel_buffer_bytes);
  auto configured = configure_ip(fd.get(), ipv6);
  if (!configured) return Unexpected(std::move(configured).error());
  const bool gro = set_int_option(fd.get(), SOL_UDP, UDP_GRO, 1);
  const bool gso = kernel_supports_gso(fd.get());
  if (::bind(fd.get(), address.data(), static_cast<socklen_t>(address.size())) != 0) {
    return fail(Errc::io, "cannot bind " + address.to_string() + ": " + errno_text(errno));
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    return fail(Errc::io,
                "getsockname after binding " + address.to_string() + ": " + errno_text(errno));
  }
  auto local =
      core::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&bound), bound_length);
  if (!local) return Unexpected(local.error());
  return UdpSocket(fd.release(), *local, gso, gro, options.receive_slots);
}

UdpSocket::UdpSocket(int fd, const core::SocketAddress& local_address, bool gso_enabled,
                     bool gro_enabled, std::size_t receive_slots)
    : fd_(fd),
      local_address_(local_address),
      gso_enabled_(gso_enabled),
      gro_enabled_(gro_enabled),
      receive_(std::make_unique<ReceiveBuffers>(receive_slots)) {}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      local_address_(other.local_address_),
      gso_enabled_(other.gso_enabled_),
      gro_enabled_(other.gro_enabled_),
      ecn_(other.ecn_),
      stats_(other.stats_),
      receive_(std::move(other.receive_)) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this == &other) return *this;
  close_fd();
  fd_ = std::exchange(other.fd_, -1);
  local_address_ = other.local_address_;
  gso_enabled_ = other.gso_enabled_;
  gro_enabled_ = other.gro_enabled_;
  ecn_ = other.ecn_;
  stats_ = other.stats_;
  receive_ = std::move(other.receive_);
  return *this;
}

UdpSocket::~UdpSocket() { close_fd(); }

void UdpSocket::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool UdpSocket::holds_datagrams() const {
  return receive_ != nullptr && receive_->next_slot < receive_->received;
}

Result<std::size_t> UdpSocket::receive_batch(const DatagramHandler& handler,
                                             const PausePredicate& pause) {
  BARREL_ASSERT(fd_ >= 0 && receive_ != nullptr, "receive_batch on a moved-from UdpSocket");
  ReceiveBuffers& buffers = *receive_;
  if (!holds_datagrams()) {
    if (buffers.release_if_quiet()) ++stats_.receive_buffer_releases;
    buffers.reset();
    buffers.received = 0;
    buffers.next_slot = 0;
    buffers.next_offset = 0;
    int received = 0;
    do {
      received = ::recvmmsg(fd_, buffers.headers.data(), static_cast<unsigned>(buffers.in_use), 0,
                            nullptr);
    } while (received < 0 && errno == EINTR);
    filled_last_batch_ = false;
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::size_t{0};
      ++stats_.receive_errors;
      return fail(Errc::io, "recvmmsg on " + local_address_.to_string() + ": " + errno_text(errno));
    }
    ++stats_.receive_calls;
    buffers.received = static_cast<std::size_t>(received);
    buffers.note_received();
    // Every slot was filled: more may be waiting, so offer more slots next time. A quiet socket
    // keeps using its first slots and never touches (makes resident) the rest of the memory.
    if (buffers.received == buffers.in_use) {
      filled_last_batch_ = true;
      buffers.in_use = std::min(buffers.in_use * 2, buffers.headers.size());
    }
  }
  std::size_t delivered = 0;
  while (buffers.next_slot < buffers.received) {
    const std::size_t i = buffers.next_slot;
    mmsghdr& header = buffers.headers[i];
    auto from = core::SocketAddress::from_sockaddr(
        static_cast<const sockaddr*>(header.msg_hdr.msg_name), header.msg_hdr.msg_namelen);
    if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0 || !from) {
      if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0) ++stats_.truncated_dropped;
      ++buffers.next_slot;  // (a sender that is not IPv4/IPv6 cannot happen on AF_INET(6))
      buffers.next_offset = 0;
      continue;
    }
    const ReceiveInfo info = parse_control(header.msg_hdr);
    const core::ByteView payload(static_cast<const std::uint8_t*>(buffers.iovecs[i].iov_base),
                                 header.msg_len);
    const std::size_t segment = info.segment_size == 0 ? payload.size() : info.segment_size;
    bool paused = false;
    do {  // Once for an empty datagram.
      const std::size_t offset = buffers.next_offset;
      const std::size_t size = std::min(segment, payload.size() - offset);
      buffers.next_offset = offset + size;
      if (buffers.next_offset >= payload.size()) {
        ++buffers.next_slot;
        buffers.next_offset = 0;
      }
      handler(*from, payload.subspan(offset, size), info.ecn);
      ++delivered;
      paused = pause && pause();
    } while (!paused && buffers.next_slot == i);
    if (paused) break;
  }
  stats_.datagrams_received += delivered;
  return delivered;
}

Result<void> UdpSocket::send(const core::SocketAddress& to, core::ByteView data,
                             std::size_t segment_size, std::uint8_t ecn) {
  BARREL_ASSERT(fd_ >= 0, "send on a moved-from UdpSocket");
  if (segment_size == 0) return fail(Errc::invalid_argument, "segment_size must be positive");
  if (to.empty()) return fail(Errc::invalid_argument, "cannot send to an empty address");
  if (const auto codepoint = static_cast<std::uint8_t>(ecn & 3U); codepoint != ecn_) {
    auto set = set_ecn(codepoint);
    if (!set) return set;
  }
  std::size_t offset = 0;
  do {
    const core::ByteView rest = data.subspan(offset);
    auto sent = gso_enabled_ && rest.size() > segment_size ? send_gso(to, rest, segment_size)
                                                           : send_each(to, rest, segment_size);
    if (!sent) return Unexpected(std::move(sent).error());
    offset += *sent;
  } while (offset < data.size());
  return {};
}

// Only on change: QUIC keeps one codepoint per path, so this is rare, and it keeps the hot
// path free of a per-send TOS control message.
Result<void> UdpSocket::set_ecn(std::uint8_t ecn) {
  const bool ok = local_address_.is_ipv6() ? set_int_option(fd_, IPPROTO_IPV6, IPV6_TCLASS, ecn)
                                           : set_int_option(fd_, IPPROTO_IP, IP_TOS, ecn);
  if (!ok) {
    ++stats_.send_errors;
    return fail(Errc::io, "setting ECN codepoint " + std::to_string(ecn) + " on " +
                              local_address_.to_string() + ": " + errno_text(errno));
  }
  if (local_address_.is_ipv6()) set_int_option(fd_, IPPROTO_IP, IP_TOS, ecn);  // v4-mapped
  ecn_ = ecn;
  return {};
}

// One sendmsg with UDP_SEGMENT for as many segments as one call may carry (precondition: data
// holds more than one segment). Returns the bytes sent. On EIO/EINVAL retries with
// send_each() and, if that works, keeps using it for the socket's lifetime.
Result<std::size_t> UdpSocket::send_gso(const core::SocketAddress& to, core::ByteView data,
                                        std::size_t segment_size) {
  const std::size_t max_segments = std::min(kMaxSegmentsPerSend, kMaxBytesPerSend / segment_size);
  if (max_segments < 2) return send_each(to, data, segment_size);
  const std::size_t bytes = std::min(data.size(), max_segments * segment_size);
  iovec iov{const_cast<std::uint8_t*>(data.data()), bytes};
  alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(std::uint16_t))] = {};
  msghdr message{};
  message.msg_name = const_cast<sockaddr*>(to.data());
  message.msg_namelen = static_cast<socklen_t>(to.size());
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_UDP;
  header->cmsg_type = UDP_SEGMENT;
  header->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto size16 = static_cast<std::uint16_t>(segment_size);  // < kMaxBytesPerSend / 2
  std::memcpy(CMSG_DATA(header), &size16, sizeof(size16));
  ssize_t sent = 0;
  do {
    sent = ::sendmsg(fd_, &message, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (errno == EIO || errno == EINVAL) {
      // The device cannot segment (EIO: no checksum offload) or the kernel rejects GSO. EINVAL
      // also means "segment + headers exceed the path MTU", which per-segment sends report as
      // "Message too long": so GSO is switched off for good only when they succeed.
      auto fallback = send_each(to, data, segment_size);
      if (fallback) gso_enabled_ = false;
      return fallback;
    }
    return send_error(errno, to);
  }
  ++stats_.send_calls;
  stats_.datagrams_sent += segment_count(bytes, segment_size);
  return bytes;
}

// One sendmmsg with one message per segment (up to kMaxSegmentsPerSend). Returns the bytes of
// the segments the kernel accepted.
Result<std::size_t> UdpSocket::send_each(const core::SocketAddress& to, core::ByteView data,
                                         std::size_t segment_size) {
  std::array<iovec, kMaxSegmentsPerSend> iovecs{};
  std::array<mmsghdr, kMaxSegmentsPerSend> messages{};
  const std::size_t count = std::min(segment_count(data.size(), segment_size), kMaxSegmentsPerSend);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t offset = i * segment_size;
    const std::size_t size = std::min(segment_size, data.size() - offset);
    iovecs[i] = iovec{const_cast<std::uint8_t*>(data.data()) + offset, size};
    msghdr& message = messages[i].msg_hdr;
    message.msg_name = const_cast<sockaddr*>(to.data());
    message.msg_namelen = static_cast<socklen_t>(to.size());
    message.msg_iov = &iovecs[i];
    message.msg_iovlen = 1;
  }
  int sent = 0;
  do {
    sent = ::sendmmsg(fd_, messages.data(), static_cast<unsigned>(count), 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return send_error(errno, to);
  ++stats_.send_calls;
  stats_.datagrams_sent += static_cast<std::size_t>(sent);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(sent); ++i) bytes += iovecs[i].iov_len;
  return bytes;
}

Unexpected UdpSocket::send_error(int error, const core::SocketAddress& to) {
  ++stats_.send_errors;
  if (error == EAGAIN || error == EWOULDBLOCK) {
    return fail(Errc::limit_reached, "send buffer full");
  }
  return fail(Errc::io, "send to " + to.to_string() + ": " + errno_text(error));
}

}  // namespace barrel_p2p::runtime
