// The driver's side of one tagged stream (decision 0019): what the application has not read
// yet, and the read and write in progress. Loop thread only, except the immutable fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "barrel_p2p/future.hpp"
#include "barrel_p2p/process.hpp"

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
  bool finished = false;             // finish() was called
  bool attached = true;              // the transport still knows the stream
  std::optional<std::string> error;  // why the stream no longer works (reset, lost), if so

  std::optional<Promise<Bytes>> read_promise;
  std::size_t read_max = 0;
  std::optional<Promise<std::size_t>> write_promise;
  Bytes write_data;  // the write in progress (copied at the call), sent from write_offset
  std::size_t write_offset = 0;
};

}  // namespace barrel_p2p::detail
