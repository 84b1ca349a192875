// barrel_p2p::Stream: a tagged byte stream between two nodes (SPEC §2.8, decision 0019).
// Streams run on the same QUIC connection as the link's process traffic, after it in priority,
// each with its own flow control: a writer whose reader does not read is held back, and
// nothing is buffered without bound. docs/how-to/tagged-streams.md shows how to use them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "barrel_p2p/future.hpp"
#include "barrel_p2p/process.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

class NodeImpl;
namespace detail {
struct StreamState;
struct StreamHandle;
}  // namespace detail

/// Tags starting with this prefix are reserved for barrel_p2p itself: open_stream and
/// register_acceptor refuse them.
inline constexpr std::string_view kReservedStreamTagPrefix = "barrel_p2p:";
/// Longest stream tag, in bytes (tags are 1 to 255 bytes, any content).
inline constexpr std::size_t kMaxStreamTagSize = 255;

/// One tagged stream: bytes written on one side are read, in order, on the other. A handle:
/// copies share the stream. Thread-safe: any thread may call it, but at most one write and
/// one read are in progress at a time (a second gets `overloaded`). Awaitable forms return a
/// Future (get(), then() or co_await); the forms with a timeout block the calling thread and
/// must not run on the node's loop thread (a loop-placed handler or an acceptor). A Stream
/// must not be used after its Node is destroyed (dropping it then is safe); after
/// Node::stop() every call fails with `closed`. Dropping the last copy of a handle finishes
/// the stream (see finish()).
class Stream {
 public:
  /// An empty handle (valid() is false); every call on it fails with invalid_argument.
  Stream() = default;

  /// False for a default-constructed handle; true for one open_stream() or an acceptor gave.
  [[nodiscard]] bool valid() const { return state_ != nullptr; }
  /// The node at the other end.
  [[nodiscard]] const std::string& peer() const;
  /// The tag the stream was opened with.
  [[nodiscard]] const std::string& tag() const;
  /// True for a stream the peer opened (handed to an acceptor).
  [[nodiscard]] bool inbound() const;

  /// Writes all of `data` (copied at the call). Completes with data.size() once every byte
  /// sits in the stream's bounded send buffer (Config::streams.send_buffer): while the
  /// peer's reader does not read, flow control holds the bytes back and the write waits.
  /// Errors: overloaded (a write is in progress), closed (the stream was finished or reset, its
  /// connection or node is gone; the message says which), invalid_argument (empty handle).
  [[nodiscard]] Future<std::size_t> write(BytesView data);
  /// Blocking write: waits up to `timeout`. Returns how many bytes were taken: all of
  /// `data`, or fewer when the timeout passed first (the rest is not written). Errors: as
  /// write(), plus timeout (nothing was taken) and invalid_argument (on the loop thread).
  Result<std::size_t> write(BytesView data, std::chrono::milliseconds timeout);

  /// Reads between 1 and `max_bytes` bytes, as soon as any are there; completes with an
  /// empty Bytes at the end of the stream (the peer called finish() and every byte was read).
  /// Reading is what gives the peer's writer credit to send more. Errors: overloaded (a read is in
  /// progress), closed (reset by either side, connection or node gone), invalid_argument
  /// (max_bytes 0, empty handle).
  [[nodiscard]] Future<Bytes> read(std::size_t max_bytes = 64 * 1024);
  /// Blocking read: waits up to `timeout`. Errors: as read(), plus timeout (nothing arrived;
  /// the stream is unchanged) and invalid_argument (on the loop thread).
  Result<Bytes> read(std::size_t max_bytes, std::chrono::milliseconds timeout);

  /// Ends our side of the stream once the bytes written so far are delivered; the peer's
  /// read then ends with an empty Bytes. Reading our side goes on. Errors: overloaded (a write is
  /// in progress), closed, invalid_argument (empty handle). A stream ends only when both
  /// sides finished (or either reset): a side that only reads should finish() once it read
  /// the end, or the stream keeps one of the opener's streams.max_inbound_per_peer slots
  /// until the connection closes, or until every handle of it is dropped: that finishes our
  /// side too (after a write in progress) and discards what arrives from then on, so the
  /// stream ends once the peer finishes; only reset() aborts.
  Result<void> finish();
  /// Aborts both directions at once with an application `code` (QUIC RESET_STREAM and
  /// STOP_SENDING): unsent bytes are dropped, and the peer's pending and later reads and
  /// writes fail with closed. Idempotent. Errors: closed (node stopped), invalid_argument.
  Result<void> reset(std::uint64_t code = 0);

 private:
  friend class NodeImpl;
  Stream(NodeImpl* node, std::shared_ptr<detail::StreamHandle> handle);
  NodeImpl* node_ = nullptr;                      // outlives every use (see the class comment)
  std::shared_ptr<detail::StreamHandle> handle_;  // the last copy going abandons the stream
  std::shared_ptr<detail::StreamState> state_;
};

/// Called on the node's loop thread with each stream a peer opened under an acceptor's tag.
/// It must not block: read with then()/co_await, or hand the Stream to another thread.
using StreamAcceptor = std::function<void(Stream)>;

}  // namespace barrel_p2p
