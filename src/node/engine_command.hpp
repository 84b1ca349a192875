// What a node Engine asks its driver to do, drained with Engine::poll_command(). Every command
// is a value; none refers to the driver. The driver carries them out in order: I/O (transmit,
// dial, close, resolve, persist), mailboxes (deliver, process ended) and user-facing work
// (complete a call, run an rpc, emit an event) that it runs after the Engine's turn.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>

#include "barrel_p2p/envelope.hpp"
#include "barrel_p2p/events.hpp"
#include "barrel_p2p/membership.hpp"
#include "barrel_p2p/result.hpp"
#include "barrel_p2p/services.hpp"
#include "core/bytes.hpp"
#include "core/socket_address.hpp"
#include "node/peer_links.hpp"
#include "node/process_router.hpp"
#include "wire/path_message.hpp"

namespace barrel_p2p::node {

/// Write `frame` (one or more whole link frames, headers included) on `connection`'s stream
/// of `channel`. Small frames bound for one stream one after the other share one Transmit.
/// `frame` views either the Engine's output arena, valid until the next poll_command() call,
/// or `owned` (large frames), which the driver may move into the transport instead of copying.
/// When the transport's stream buffer is full, the driver hands the bytes back with
/// Engine::handle_transmit_blocked(), and also every later Transmit for that stream in the
/// same drain, so order is kept.
struct Transmit {
  std::uint64_t connection = 0;
  Channel channel = Channel::control;
  core::ByteView frame;
  core::Bytes owned;  ///< empty, or the bytes `frame` views
};

/// Open a QUIC connection to `address`; answer with Engine::handle_dial_started(dial, ...).
struct Dial {
  std::uint64_t dial = 0;
  core::SocketAddress address;
  /// The node expected to answer, when known (an on-demand dial, or a join through a contact
  /// string); the driver uses it for per-node connect options (decision 0022).
  std::string node;
};

/// Close `connection` gracefully with `code` and `reason` (queued bytes are delivered first).
struct Close {
  std::uint64_t connection = 0;
  CloseCode code = CloseCode::normal;
  std::string reason;
};

/// Find the address of `node`: `host` ("name:port") through DNS, or, when `host` is empty, in
/// the endpoint directory. Answer with Engine::handle_resolved(). It may block: not on the loop.
struct Resolve {
  std::string node;
  std::string host;
};

/// Persist a key pinned on first use (TOFU), or a pin moved by a rotation record (decision
/// 0023); the Engine's trust store already holds it.
struct PersistPin {
  std::string peer;
  std::array<std::uint8_t, 32> key{};
  /// The key a rotation moved the pin from (its file still holds it until this write).
  std::optional<std::array<std::uint8_t, 32>> previous;
};

/// Append `envelope` to local process `process`'s mailbox. When the mailbox is full, hand it
/// back with Engine::handle_delivery_refused().
struct Deliver {
  std::uint64_t process = 0;
  Envelope envelope;
};

/// Local process `process` ended: close its mailbox with `reason`, drop its handler.
struct ProcessEnded {
  std::uint64_t process = 0;
  ExitReason reason;
};

/// The call or rpc `ref` (returned by Engine::call / Engine::rpc) completed. Exactly once.
struct CallDone {
  std::uint64_t ref = 0;
  Result<core::Bytes> result;
};

/// Run the registered function `request.function`; answer with Engine::finish_rpc().
struct RunRpc {
  RpcRequest request;
};

/// The outcome of a connection the driver opened (Node::connect_and_wait): the peer's name once
/// it authenticated, or why it did not. At most once per connection.
struct ConnectionOutcome {
  std::uint64_t connection = 0;
  Result<std::string> peer;
};

/// Log one line (levels as spdlog's: 0 trace ... 5 critical). Only lines at or above
/// EngineConfig::log_level are produced.
struct Log {
  int level = 2;
  std::string text;
};

/// A peer event or message for the application (Node::next_event or the event handler).
struct EmitEvent {
  Event event;
};
/// A membership change for on_membership_event handlers.
struct EmitMembership {
  MembershipEvent event;
};
/// A broadcast delivered here, for subscribers of its tag.
struct EmitBroadcast {
  BroadcastMessage message;
};

/// A change of the service registry, for subscribers. The Engine never returns it from
/// poll_command(): it queues service events apart (Engine::poll_service_event), so a driver
/// can apply a local registration to what readers see before the call returns, ahead of the
/// turn's other commands. Drivers wrap them in this command to run with their other user work.
struct EmitService {
  ServiceEvent event;
};

/// The gather `ref` (returned by Engine::gather_views) completed. Exactly once.
struct ViewsGathered {
  std::uint64_t ref = 0;
  ClusterView view;
};

/// A path message from `peer` (wire/path_message.hpp): a request to move the connection of
/// the link to a new address of the peer, or the answer to ours (decision 0036). The driver,
/// which owns the sockets, acts on it.
struct PathMessageReceived {
  std::string peer;
  wire::PathMessage message;
};

using Command = std::variant<Transmit, Dial, Close, Resolve, PersistPin, Deliver, ProcessEnded,
                             CallDone, RunRpc, ConnectionOutcome, Log, EmitEvent, EmitMembership,
                             EmitBroadcast, EmitService, ViewsGathered, PathMessageReceived>;

}  // namespace barrel_p2p::node
