// Authenticated peer links: the sans-IO core between the QUIC transport and the application.
// For every connection it runs the mutual authentication (proto/auth) over the control stream,
// splits both streams into frames (wire/link_frame), keeps one link per peer name (resolving
// simultaneous dials deterministically) and reports peers coming and going.
// Inputs: transport events with time and randomness. Outputs: commands for the transport and
// events for the application, drained with poll_command() / poll_event().
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "barrel_p2p/histogram.hpp"
#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "core/fifo.hpp"
#include "core/rng.hpp"
#include "core/time.hpp"
#include "proto/auth/auth_session.hpp"
#include "proto/auth/identity.hpp"
#include "proto/auth/trust_store.hpp"
#include "wire/auth_message.hpp"
#include "wire/link_frame.hpp"

namespace barrel_p2p::node {

/// Which of a link's two streams: control frames never queue behind data frames.
enum class Channel : std::uint8_t { control = 0, data = 1 };

struct LinkConfig {
  auth::AuthConfig auth;
  /// Largest frame payload accepted from a peer; a larger one closes the connection.
  std::size_t max_frame_size = 16 * 1024 * 1024;
  /// Data-stream bytes accepted before authentication finishes (they may overtake the OK
  /// on the control stream); beyond it the connection is closed as a protocol violation.
  std::size_t max_pre_auth_data = 1024 * 1024;
  /// A retired duplicate link is closed at the latest this long after it was retired, even
  /// when the peer's retire marker never came.
  core::Duration retire_grace = std::chrono::seconds(10);
};

/// Payload of the goodbye frame that ends the data stream of a retired duplicate link.
inline constexpr std::string_view kRetiredMarker = "retired";
/// Payload of the goodbye frame that ends the data stream of a link closed quietly
/// (PeerLinks::close_quietly); the reason travels in the control stream's goodbye.
inline constexpr std::string_view kClosingMarker = "closing";

/// Application error codes sent in CONNECTION_CLOSE (QUIC application error space).
enum class CloseCode : std::uint64_t {
  normal = 0,
  auth_failed = 1,
  protocol_violation = 2,
  duplicate_link = 3,
  /// Both ends closed the link quietly (PeerLinks::close_quietly): each had the other's
  /// goodbyes, so no application frame either sent is lost. The close waits for our own
  /// frames' ACKs.
  closed_quietly = 4,
};

// Commands for the transport.
struct SendBytes {
  std::uint64_t connection = 0;
  Channel channel = Channel::control;
  core::Bytes bytes;
};
struct CloseConnection {
  std::uint64_t connection = 0;
  CloseCode code = CloseCode::normal;
  std::string reason;
};
using LinkCommand = std::variant<SendBytes, CloseConnection>;

// Events for the application.
struct PeerUp {
  std::uint64_t connection = 0;
  std::string peer;
  auth::PublicKey key;
  std::string address;
  bool newly_trusted = false;  ///< TOFU: no pin existed; the runtime pins and persists it.
};
struct PeerDown {
  std::string peer;
  std::string reason;
};
struct FrameReceived {
  std::string peer;
  Channel channel = Channel::control;
  core::Bytes payload;
  wire::FrameType type = wire::FrameType::control;  ///< control, data, process, membership...
};
struct AuthFailed {
  std::uint64_t connection = 0;
  std::string address;
  std::string peer;  ///< Claimed name if HELLO arrived, else empty.
  wire::AuthFailure reason{};
  std::string detail;
  bool local = true;  ///< We rejected the peer (true) or the peer rejected us (false).
};
/// A connection authenticated as `peer` (also when it then loses a duplicate-link race).
struct LinkAuthenticated {
  std::uint64_t connection = 0;
  std::string peer;
  /// The peer showed a valid rotation record from this pinned key to `key` (decision 0023):
  /// the Engine moves the pin and persists it.
  std::optional<auth::PublicKey> rotated_from;
  auth::PublicKey key;  ///< The key the peer proved.
};
/// A duplicate link to `peer` lost the simultaneous-dial race: the route moved to (or stays
/// on) the survivor. Frames written on `connection` before this still arrive, after which it
/// closes; a sender that used it must hold new frames until it closed to keep their order.
struct LinkRetired {
  std::uint64_t connection = 0;
  std::string peer;
};
using LinkEvent =
    std::variant<PeerUp, PeerDown, FrameReceived, AuthFailed, LinkAuthenticated, LinkRetired>;

/// Receives application frames directly (the hot path), instead of FrameReceived events.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  /// An application frame of `type` (control, data, process, membership or broadcast).
  virtual void on_frame(const std::string& peer, wire::FrameType type, core::Bytes&& payload) = 0;
};

/// Authentication outcomes, for metrics.
struct LinkStats {
  std::uint64_t auth_succeeded = 0;
  std::uint64_t auth_failed = 0;
  std::map<std::string, std::uint64_t> auth_failed_by_reason;
  /// From on_connected() to the outcome, by outcome.
  DurationHistogram auth_succeeded_duration;
  DurationHistogram auth_failed_duration;
  std::uint64_t duplicate_links_closed = 0;
  /// Links closed with close_quietly(), by either side.
  std::uint64_t links_closed_quietly = 0;
  /// Membership, broadcast, registry and views frames that arrived on a link we were closing
  /// quietly, dropped (application frames are delivered).
  std::uint64_t frames_dropped_closing = 0;
  /// Links replaced by a takeover connection (decision 0020), on either side.
  std::uint64_t takeovers = 0;
  std::uint64_t protocol_violations = 0;
};

class PeerLinks {
 public:
  /// `keys` and `trust` must outlive this object.
  PeerLinks(LinkConfig config, std::string local_name, const auth::KeyPair& keys,
            const auth::TrustStore& trust);
  ~PeerLinks();

  /// A QUIC connection can carry link bytes (a client: its TLS handshake ended; a server: its
  /// 1-RTT keys exist, decision 0027): starts authentication on it. `expected`:
  /// the identity the peer must prove, when we dialed a contact string (AuthSession).
  void on_connected(core::Instant now, core::WallTime wall, core::Rng& rng,
                    std::uint64_t connection, bool is_client,
                    const std::array<std::uint8_t, 32>& server_cert_sha256, std::string address,
                    std::optional<auth::ExpectedPeer> expected = std::nullopt,
                    bool takeover = false);
  /// Bytes arrived on the peer's stream of `channel`.
  void on_stream_data(core::Instant now, core::WallTime wall, core::Rng& rng,
                      std::uint64_t connection, Channel channel, core::ByteView data);
  /// The connection ended (any reason); reports PeerDown when it carried the peer's link.
  void on_closed(std::uint64_t connection, const std::string& reason);

  /// Delivers application frames to `sink` as they arrive (it must outlive this object);
  /// frames still come as FrameReceived events while other events wait, to keep order.
  void set_frame_sink(FrameSink* sink) { frame_sink_ = sink; }

  /// The connection carrying the authenticated link to `peer`.
  /// Errors: not_found when no authenticated link exists.
  [[nodiscard]] Result<std::uint64_t> route(std::string_view peer) const;
  /// The peer authenticated on `connection` (also while its link is being retired), or
  /// nothing when the connection is unknown or not authenticated yet.
  [[nodiscard]] std::optional<std::string> peer_of(std::uint64_t connection) const;
  /// Sends a goodbye frame with `reason` and closes the link at once: frames the peer sent
  /// that had not arrived yet are lost. Errors: not_found.
  Result<void> disconnect(std::string_view peer, std::string_view reason);
  /// Closes the link to `peer` without losing an application frame either side sent: the
  /// route goes and PeerDown is reported at once (a new frame for `peer` needs a new link), a
  /// goodbye ends each of our streams, the peer answers with its own once it stopped sending,
  /// and the connection closes when both of the peer's goodbyes arrived (or after
  /// retire_grace). The peer's process, control and data frames sent before it learned of the
  /// close are still delivered; its membership, broadcast, registry and views frames are
  /// dropped (counted). For links closed by the node itself (idle, membership).
  /// Errors: not_found.
  Result<void> close_quietly(core::Instant now, std::string_view peer, std::string_view reason);
  /// Names of peers with an authenticated link, sorted.
  [[nodiscard]] std::vector<std::string> peers() const;
  /// True when the authenticated link to `peer` runs on a connection this node dialed; false
  /// when the peer dialed it, or when no authenticated link to `peer` exists.
  [[nodiscard]] bool dialed(std::string_view peer) const;

  [[nodiscard]] core::Instant next_deadline() const;
  void on_timeout(core::Instant now);

  std::optional<LinkCommand> poll_command();
  [[nodiscard]] bool has_output() const { return !commands_.empty() || !events_.empty(); }
  std::optional<LinkEvent> poll_event();
  [[nodiscard]] const LinkStats& stats() const { return stats_; }

 private:
  struct Link;
  void pump_auth(Link& link, core::Instant now, core::WallTime wall, core::Rng* rng);
  void handle_frame(Link& link, core::Instant now, core::WallTime wall, core::Rng& rng,
                    Channel channel, wire::Frame&& frame);
  void authenticated(Link& link, const auth::Authenticated& result, core::Instant now);
  void retire(Link& link, core::Instant now);
  void begin_quiet_close(Link& link, core::Instant now, std::string_view reason,
                         std::string down_reason);
  void peer_goodbye(Link& link, core::Instant now, Channel channel, std::string text);
  void violation(Link& link, core::Instant now, std::string reason);
  void close_link(Link& link, CloseCode code, std::string reason);
  void send_frame(std::uint64_t connection, Channel channel, wire::FrameType type,
                  core::ByteView payload);
  bool keeps_new_link(const Link& existing, const Link& candidate) const;
  void drain_decoder(Link& link, core::Instant now, core::WallTime wall, core::Rng& rng,
                     Channel channel);

  LinkConfig config_;
  std::string local_name_;
  const auth::KeyPair& keys_;                                       // outlives this object
  const auth::TrustStore& trust_;                                   // outlives this object
  std::unordered_map<std::uint64_t, std::unique_ptr<Link>> links_;  // by connection
  std::map<std::string, std::uint64_t, std::less<>> routes_;        // peer -> connection
  // Drained by the runtime after every input, so each holds at most one input's output.
  core::Fifo<LinkCommand> commands_;
  core::Fifo<LinkEvent> events_;
  LinkStats stats_;
  FrameSink* frame_sink_ = nullptr;  // outlives this object when set
};

}  // namespace barrel_p2p::node
