// The driver's side of one tagged stream (decision 0019): what the application has not read
// yet, and the read and write in progress. Loop thread only, except the immutable fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "barrel_p2p/future.hpp"
#include "barrel_p2p/process.hpp"

namespace barrel_p2p {
class NodeImpl;
}

namespace barrel_p2p::detail {

struct StreamState {
  // Immutable once the Stream is handed out (read from any thread).
  std::string peer;
  std::string tag;
  bool inbound = false;
  std::uint64_t connection = 0;
  std::int64_t stream = -1;

  // Loop thread only.
  /// Received bytes not read yet: at most the stream's receive window, because credit goes
  /// back to the peer only as reads take bytes out.
  std::deque<Bytes> received;
  std::size_t front_offset = 0;  // bytes of received.front() already read
  bool fin_received = false;
  bool finished = false;  // finish() was called
  bool attached = true;   // the transport still knows the stream
  /// Every Stream handle was dropped: the write side finishes (after a write in progress),
  /// and received bytes are discarded with their credit given back at once.
  bool abandoned = false;
  std::optional<std::string> error;  // why the stream no longer works (reset, lost), if so

  std::optional<Promise<Bytes>> read_promise;
  std::size_t read_max = 0;
  std::optional<Promise<std::size_t>> write_promise;
  Bytes write_data;  // the write in progress (copied at the call), sent from write_offset
  std::size_t write_offset = 0;
};

/// Where dropped Stream handles are reported: one per node, shared with every handle, so a
/// handle that outlives its node finds it detached instead of a dangling node.
class StreamReleaser {
 public:
  explicit StreamReleaser(NodeImpl* node) : node_(node) {}
  /// The last handle of `state` went away (any thread): the node abandons the stream.
  void release(const std::shared_ptr<StreamState>& state);
  /// The node is going: later releases do nothing.
  void detach();

 private:
  std::mutex mutex_;
  NodeImpl* node_;  // null once detached
};

/// What the copies of one Stream share: its destruction is the last handle going.
struct StreamHandle {
  std::shared_ptr<StreamReleaser> releaser;
  std::shared_ptr<StreamState> state;
  StreamHandle(std::shared_ptr<StreamReleaser> to, std::shared_ptr<StreamState> of)
      : releaser(std::move(to)), state(std::move(of)) {}
  ~StreamHandle() { releaser->release(state); }
  StreamHandle(const StreamHandle&) = delete;
  StreamHandle& operator=(const StreamHandle&) = delete;
};

}  // namespace barrel_p2p::detail
