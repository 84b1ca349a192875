// Node configuration: one struct with documented defaults, validated once at start.
// Every key is described in docs/reference/configuration.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "barrel_p2p/events.hpp"
#include "barrel_p2p/membership.hpp"
#include "barrel_p2p/result.hpp"
#include "barrel_p2p/services.hpp"

namespace barrel_p2p {

/// How unknown peers are treated. In both modes a pinned key that differs from the presented
/// one is rejected, never replaced.
enum class TrustMode : std::uint8_t {
  tofu,    ///< Trust on first use: an unknown peer's key is pinned on first contact.
  strict,  ///< Only peers with a pre-provisioned pin are accepted.
};

/// "tofu" or "strict".
std::string_view trust_mode_name(TrustMode mode);

/// The HTTP admin endpoint that `barrel-p2p node` serves (docs/reference/admin-api.md). Node
/// itself never reads these; they sit in Config so that one file configures a node.
struct AdminConfig {
  /// "IP:PORT" to serve on (port 0 picks one); empty: no endpoint. A loopback address unless
  /// token_file is set.
  std::string listen;
  /// File holding the bearer token every request must then present (mode 0600 or 0400).
  /// Required when `listen` is not a loopback address.
  std::filesystem::path token_file;
};

/// Tagged streams (SPEC §2.8, decision 0019, docs/how-to/tagged-streams.md).
struct StreamsConfig {
  /// Inbound streams, over all peers, whose tag preamble is not complete yet (or whose link
  /// is not authenticated yet); a stream beyond it is reset and counted in
  /// NodeStats::stream_preamble_dropped["cap"].
  std::size_t max_pending_preambles = 64;
  /// Streams one peer may have open towards this node at once (QUIC stream credit); its next
  /// open_stream() fails with limit_reached until one closes.
  std::uint64_t max_inbound_per_peer = 128;
  /// Receive window per stream, in bytes: what a peer may send beyond what the application
  /// read. QUIC's window auto-tuning may grow it up to 32 MiB on a fast reader.
  std::uint64_t window = 1024 * 1024;
  /// Bytes a stream holds on the sending side until the peer acknowledges them; a write
  /// beyond it waits (back-pressure).
  std::size_t send_buffer = 1024 * 1024;
};

/// Everything a Node needs to start: one struct with documented defaults, checked once by
/// validate() (Node::start calls it). docs/reference/configuration.md gives each key's file
/// form.
struct Config {
  /// This node's name, unique in the cluster: 1-64 characters of [A-Za-z0-9._-].
  std::string node_name;
  /// Directory for keys, pins and the TLS certificate (created 0700 if missing).
  std::filesystem::path data_dir;
  /// UDP address to bind: a concrete IP and a port (0 = any free port).
  std::string listen_address = "127.0.0.1:0";
  /// Peers must present the same cluster name.
  std::string cluster_name = "default";
  /// Optional shared secret; when set, peers must prove they hold the same one.
  std::optional<std::string> cluster_secret;
  /// The file `cluster_secret` was read from, if any (the configuration loader sets it for
  /// `cluster.secret_file`). start() checks its mode as it checks keys/node.key.
  std::filesystem::path cluster_secret_file;
  /// start() refuses to start (unsafe_file) when a secret file (keys/node.key, quic/node.key,
  /// cluster_secret_file) is readable or writable by group or others. True accepts such
  /// files with a warning in the log; for file systems without Unix modes only.
  bool allow_insecure_file_modes = false;
  /// How peers without a pin are treated.
  TrustMode trust_mode = TrustMode::tofu;
  /// Authentication must complete within this time after it starts (the TLS handshake's end;
  /// on the accepting side, its 1-RTT keys: decision 0027).
  std::chrono::milliseconds handshake_budget{10'000};
  /// Accepted difference between a challenge's timestamp and our wall clock.
  std::chrono::milliseconds timestamp_skew{30'000};
  /// A connection with no packets for this long is closed (a silent peer is detected). QUIC
  /// restarts the idle timer when it sends a keep-alive PING, so a peer that dies is detected
  /// within idle_timeout + keep_alive: 4 s with the defaults, which leaves membership about a
  /// second to replace it within the 5 s the specification allows.
  std::chrono::milliseconds idle_timeout{3'000};
  /// Keep-alive interval on quiet connections; must be below idle_timeout.
  std::chrono::milliseconds keep_alive{1'000};
  /// Asks peers not to migrate the connections they dialed to this node (the QUIC transport
  /// parameter disable_active_migration): their Node::migrate_peer towards us then fails. A
  /// test hook, not a config-file key; a peer whose address changes without warning (NAT
  /// rebinding) keeps its connection either way.
  bool disable_active_migration = false;
  /// When a peer that accepted a connection this node dialed migrates its end
  /// (Node::migrate_peer there), this node moves its own end too, to a new socket of its own
  /// and the peer's new address (a QUIC migration, decision 0036): the same connection goes
  /// on. false: this node keeps its end where it is and the peer takes the link over with a
  /// new connection it dials to our listening address instead (decision 0020), which costs a
  /// handshake but keeps our traffic on the listening port (for hosts whose firewall lets
  /// nothing else through). Not a config-file key.
  bool follow_peer_migrations = true;
  /// Connections of any state at once; further connects fail with limit_reached.
  std::size_t max_connections = 1024;
  /// Connections still in their TLS handshake at once (inbound beyond it are dropped).
  std::size_t max_handshakes = 128;
  /// Largest frame payload sent or accepted.
  std::size_t max_frame_size = 16 * 1024 * 1024;
  /// Unacknowledged bytes queued per stream before send() returns limit_reached (at least
  /// max_frame_size). More buffering adds latency and memory, not throughput: a bulk sender
  /// that keeps 16 MiB queued reaches 2-3x the rate of one that keeps 64 MiB (decision 0028).
  std::size_t send_buffer_limit = 16 * 1024 * 1024;
  /// Events held for next_event() when no event_handler is set; beyond it new messages are
  /// dropped and counted in NodeStats::events_dropped (and logged).
  std::size_t event_queue_limit = 1 << 20;
  /// Called on the node's loop thread for every event instead of queuing it for next_event().
  /// It must not block; it may call any Node method except connect_and_wait() and stop().
  std::function<void(Event&&)> event_handler;
  /// Spin for this long before sleeping in the event loop (lower latency, more CPU).
  std::chrono::microseconds busy_poll{0};
  /// "trace", "debug", "info", "warn", "error" or "off".
  std::string log_level = "info";
  /// "text" (spdlog's default lines) or "json" (one JSON object per line,
  /// include/barrel_p2p/log_format.hpp).
  std::string log_format = "text";

  // Processes and on-demand connections (docs/concepts/processes.md).
  /// Envelopes one process mailbox holds (SpawnOptions::mailbox_limit overrides per process).
  std::size_t mailbox_limit = 100'000;
  /// Bytes of process traffic queued towards one node while its connection opens or its
  /// stream is flow-blocked; beyond it send() returns limit_reached and calls fail with it.
  std::size_t node_queue_limit = 16 * 1024 * 1024;
  /// Threads running Placement::worker processes and rpc functions (1-64).
  std::size_t worker_threads = 2;
  /// An on-demand connection must authenticate within this time, or the messages queued for
  /// it fail: calls with unreachable, monitors with noconnection.
  std::chrono::milliseconds connect_timeout{5'000};
  /// Static address book: node name -> "host:port" (host may be a DNS name), or a contact
  /// string "name@host:port#SHA256:<hex>" naming that node: every connection this node then
  /// dials to it (on demand, whatever address it dials) is refused unless the peer proves that
  /// name and key, even on first contact in TOFU mode (docs/how-to/pin-with-contact-strings.md).
  std::map<std::string, std::string> node_addresses;
  /// Shared endpoint directory (empty: unused). At start the node writes its address to
  /// `<dir>/<node_name>.endpoint`; names missing from node_addresses are looked up there.
  std::filesystem::path endpoint_dir;
  /// Idle reaper: a connection that carried application traffic (process messages, send())
  /// is not closed for being idle while younger than this. A link that only ever carried
  /// membership or broadcast messages is closed after 5 s without a frame whatever its age;
  /// one opened with Node::connect() is never reaped (docs/reference/configuration.md).
  std::chrono::milliseconds reaper_min_age{300'000};
  /// Idle reaper sweep interval for connections that carried application traffic (links that
  /// only carried membership messages are checked every 5 s, or this often if shorter); 0
  /// disables the reaper.
  std::chrono::milliseconds reaper_interval{60'000};

  /// Membership (HyParView) and broadcast (Plumtree); docs/concepts/membership.md.
  MembershipConfig membership;
  /// The cluster-wide service registry; docs/concepts/services.md.
  RegistryConfig registry;
  /// Tagged streams; docs/how-to/tagged-streams.md.
  StreamsConfig streams;

  /// The admin endpoint of `barrel-p2p node`; unused by Node.
  AdminConfig admin;

  /// Checks every field. Errors: invalid_argument naming the field and the bad value.
  [[nodiscard]] Result<void> validate() const;
};

}  // namespace barrel_p2p
