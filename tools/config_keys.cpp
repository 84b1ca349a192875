// The configuration key table (see config_keys.hpp) and the conversions it needs.
#include "config_keys.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <vector>

#include "barrel_p2p/files.hpp"

namespace barrel_p2p::cli {

namespace {

/// Longest duration any *_ms key accepts: a week. Far beyond any useful timeout, and far from
/// the int64 nanosecond overflow a larger value could cause once converted to steady_clock.
constexpr std::int64_t kDurationMsMax = 7LL * 24 * 3600 * 1000;
/// Longest busy-poll spin: one second of CPU per loop wake-up is already absurd.
constexpr std::int64_t kBusyPollUsMax = 1'000'000;
/// Largest cluster secret file read (the secret is a password, not a document).
constexpr std::size_t kSecretFileSizeMax = 4096;
/// Most entries of a string_map key (e.g. connections.addresses); beyond it the value is refused.
constexpr std::size_t kStringMapEntriesMax = 10'000;
/// Most items of a string_list key (e.g. membership.contacts).
constexpr std::size_t kStringListItemsMax = 1'000;

/// Largest max_frame_size Config::validate() accepts (1 GiB).
constexpr std::int64_t kFrameSizeMax = std::int64_t{1} << 30;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// ---- Rules --------------------------------------------------------------------------------

constexpr ValueRule integer_rule(std::int64_t min, std::int64_t max) {
  return ValueRule{.kind = KeyKind::integer, .min = min, .max = max, .choices = {}};
}
constexpr ValueRule choice_rule(std::string_view choices) {
  return ValueRule{.kind = KeyKind::choice, .min = 0, .max = 0, .choices = choices};
}
constexpr ValueRule string_rule{.kind = KeyKind::string, .min = 0, .max = 0, .choices = {}};
constexpr ValueRule path_rule{.kind = KeyKind::path, .min = 0, .max = 0, .choices = {}};
constexpr ValueRule map_rule{.kind = KeyKind::string_map, .min = 0, .max = 0, .choices = {}};
constexpr ValueRule list_rule{.kind = KeyKind::string_list, .min = 0, .max = 0, .choices = {}};
constexpr ValueRule positive_rule = integer_rule(1, kInt64Max);
constexpr ValueRule duration_rule = integer_rule(1, kDurationMsMax);
constexpr ValueRule duration_or_zero_rule = integer_rule(0, kDurationMsMax);

// ---- Accessors: one pair of functions per Config member type -------------------------------

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// The Config member reached through `Members` (one member pointer, or a chain such as
/// &Config::membership, &MembershipConfig::contacts).
template <auto... Members, typename Root>
auto& member(Root& root) {
  return (root.*....*Members);
}

template <auto... Members>
ConfigAccess string_field() {
  return {[](Config& config, const ConfigValue& value) -> Result<void> {
            member<Members...>(config) = value.text;
            return {};
          },
          [](const Config& config) { return toml_string(member<Members...>(config)); }};
}

template <auto... Members>
ConfigAccess path_field() {
  return {[](Config& config, const ConfigValue& value) -> Result<void> {
            member<Members...>(config) = std::filesystem::path(value.text);
            return {};
          },
          [](const Config& config) { return toml_string(member<Members...>(config).string()); }};
}

template <auto... Members>
ConfigAccess size_field() {
  return {[](Config& config, const ConfigValue& value) -> Result<void> {
            member<Members...>(config) = static_cast<std::size_t>(value.number);
            return {};
          },
          [](const Config& config) { return std::to_string(member<Members...>(config)); }};
}

/// A std::chrono::duration member set from an integer count of its own unit.
template <auto... Members>
ConfigAccess duration_field() {
  return {[](Config& config, const ConfigValue& value) -> Result<void> {
            using Duration = std::remove_reference_t<decltype(member<Members...>(config))>;
            member<Members...>(config) = Duration(value.number);
            return {};
          },
          [](const Config& config) { return std::to_string(member<Members...>(config).count()); }};
}

template <auto... Members>
ConfigAccess string_map_field() {
  return {[](Config& config, const ConfigValue& value) -> Result<void> {
            const auto& entries = value.entries;
            member<Members...>(config) = {entries.begin(), entries.end()};
            return {};
          },
          [](const Config& config) {
            std::string out = "{";
            for (const auto& [name, text] : member<Members...>(config)) {
              out += (out.size() > 1 ? ", " : " ") + name + " = " + toml_string(text);
            }
            return out + (out.size() > 1 ? " }" : "}");
          }};
}

template <auto... Members>
ConfigAccess string_list_field() {
  return {[](Config& config, const ConfigValue& value) -> Result<void> {
            member<Members...>(config) = value.items;
            return {};
          },
          [](const Config& config) {
            std::string out = "[";
            for (const auto& item : member<Members...>(config)) {
              out += (out.size() > 1 ? ", " : "") + toml_string(item);
            }
            return out + "]";
          }};
}

ConfigAccess trust_mode_field() {
  return {[](Config& config, const ConfigValue& value) -> Result<void> {
            config.trust_mode = value.text == "strict" ? TrustMode::strict : TrustMode::tofu;
            return {};
          },
          [](const Config& config) { return toml_string(trust_mode_name(config.trust_mode)); }};
}

std::string show_secret(const Config& config) {
  return config.cluster_secret ? "<hidden>" : "unset";
}

ConfigAccess cluster_secret_field() {
  return {[](Config& config, const ConfigValue& value) -> Result<void> {
            config.cluster_secret = value.text;
            return {};
          },
          show_secret};
}

/// cluster.secret_file: the secret is read when the key is applied. One trailing newline
/// (LF or CRLF) is dropped, since editors add one.
ConfigAccess cluster_secret_file_field() {
  return {[](Config& config, const ConfigValue& value) -> Result<void> {
            const std::filesystem::path path(value.text);
            auto bytes = read_file(path, kSecretFileSizeMax);
            if (!bytes) {
              return fail(bytes.error().code, "cannot read the secret: " + bytes.error().message);
            }
            std::string secret(bytes->begin(), bytes->end());
            if (!secret.empty() && secret.back() == '\n') secret.pop_back();
            if (!secret.empty() && secret.back() == '\r') secret.pop_back();
            config.cluster_secret = std::move(secret);
            config.cluster_secret_file = path;  // the node checks its mode at start
            return {};
          },
          show_secret};
}

// ---- The table ------------------------------------------------------------------------------

// Entries name only the members they set; `required` and `excludes` default. GCC 12 warns
// about designated initializers that leave a defaulted member out (GCC bug 96868), which is
// exactly the readable form a data table wants, so the warning is off for the table alone.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const std::vector<ConfigKey>& key_table() {
  static const std::vector<ConfigKey> keys = {
      // [node]
      {.table = "node",
       .name = "name",
       .field = "node_name",
       .rule = string_rule,
       .access = string_field<&Config::node_name>(),
       .doc =
           "This node's name, unique in the cluster: 1-64 characters of `[A-Za-z0-9._-]`, not `.` "
           "or `..`. Peers pin this node's key under this name.",
       .required = true},
      {.table = "node",
       .name = "data_dir",
       .field = "data_dir",
       .rule = path_rule,
       .access = path_field<&Config::data_dir>(),
       .doc = "Directory for keys, pins and the TLS certificate, created with mode 0700 if missing "
              "(see [files under data_dir](#files-under-data_dir)).",
       .required = true},
      {.table = "node",
       .name = "listen",
       .field = "listen_address",
       .rule = string_rule,
       .access = string_field<&Config::listen_address>(),
       .doc = "UDP address to bind: an IP and a port. Port 0 picks a free port; `barrel-p2p node` "
              "logs it. The wildcard `0.0.0.0` or `[::]` needs `membership.advertise_address`, "
              "since peers cannot dial a wildcard: without it the node refuses to start (exit 2)."},
      {.table = "node",
       .name = "event_queue_limit",
       .field = "event_queue_limit",
       .rule = positive_rule,
       .access = size_field<&Config::event_queue_limit>(),
       .doc =
           "Events held for `Node::next_event()` when no event handler is set; beyond it new "
           "messages are dropped and counted. `barrel-p2p node` installs a handler, so this only "
           "matters to programs that load a file with the library's loader."},
      {.table = "node",
       .name = "busy_poll_us",
       .field = "busy_poll",
       .rule = integer_rule(0, kBusyPollUsMax),
       .access = duration_field<&Config::busy_poll>(),
       .doc = "Microseconds the event loop polls before it sleeps: lower latency, more CPU while "
              "idle. 0 never spins."},
      // [cluster]
      {.table = "cluster",
       .name = "name",
       .field = "cluster_name",
       .rule = string_rule,
       .access = string_field<&Config::cluster_name>(),
       .doc = "Peers must present the same cluster name (`cluster_mismatch` otherwise). Same "
              "characters as `node.name`."},
      {.table = "cluster",
       .name = "secret",
       .field = "cluster_secret",
       .rule = string_rule,
       .access = cluster_secret_field(),
       .doc =
           "Shared secret: when set, peers must prove they hold the same one (a keyed MAC; the "
           "secret is never sent). Not empty. Prefer `cluster.secret_file`, which keeps the secret "
           "out of the configuration file.",
       .required = false,
       .excludes = "cluster.secret_file"},
      {.table = "cluster",
       .name = "secret_file",
       .field = "cluster_secret",
       .rule = path_rule,
       .access = cluster_secret_file_field(),
       .doc = "File holding the cluster secret (at most 4096 bytes; one trailing newline is "
              "dropped). Must not be readable by group or others (mode 0600 or 0400): the node "
              "refuses to "
              "start otherwise (exit 3). Sets the same secret as `cluster.secret`.",
       .required = false,
       .excludes = "cluster.secret"},
      // [trust]
      {.table = "trust",
       .name = "mode",
       .field = "trust_mode",
       .rule = choice_rule("tofu|strict"),
       .access = trust_mode_field(),
       .doc = "`tofu` pins an unknown peer's key on first contact; `strict` accepts only pinned "
              "peers (`barrel-p2p keys trust pin`). In both modes a pin that differs from the "
              "presented key is rejected."},
      // [auth]
      {.table = "auth",
       .name = "handshake_budget_ms",
       .field = "handshake_budget",
       .rule = duration_rule,
       .access = duration_field<&Config::handshake_budget>(),
       .doc = "Milliseconds the Ed25519 authentication may take after the TLS handshake before the "
              "connection is closed (`budget_exceeded`)."},
      {.table = "auth",
       .name = "timestamp_skew_ms",
       .field = "timestamp_skew",
       .rule = duration_rule,
       .access = duration_field<&Config::timestamp_skew>(),
       .doc = "Largest accepted difference, in milliseconds, between a CHALLENGE timestamp and our "
              "wall clock."},
      // [transport]
      {.table = "transport",
       .name = "idle_timeout_ms",
       .field = "idle_timeout",
       .rule = duration_rule,
       .access = duration_field<&Config::idle_timeout>(),
       .doc = "A connection that receives no packet for this many milliseconds is closed. QUIC "
              "restarts this timer when it sends a keep-alive, so a silent or dead peer is "
              "detected within `idle_timeout_ms + keep_alive_ms` (4 s by default)."},
      {.table = "transport",
       .name = "keep_alive_ms",
       .field = "keep_alive",
       .rule = duration_rule,
       .access = duration_field<&Config::keep_alive>(),
       .doc = "Interval, in milliseconds, of PINGs on a quiet connection. Below "
              "`transport.idle_timeout_ms`."},
      {.table = "transport",
       .name = "max_connections",
       .field = "max_connections",
       .rule = positive_rule,
       .access = size_field<&Config::max_connections>(),
       .doc = "Connections in any state at once. Beyond it connects fail with `limit_reached` and "
              "inbound connections are dropped."},
      {.table = "transport",
       .name = "max_handshakes",
       .field = "max_handshakes",
       .rule = positive_rule,
       .access = size_field<&Config::max_handshakes>(),
       .doc = "Connections still in their TLS handshake at once, both directions. Beyond it "
              "connects fail with `limit_reached` and inbound connections are dropped."},
      {.table = "transport",
       .name = "max_frame_size",
       .field = "max_frame_size",
       .rule = integer_rule(1, kFrameSizeMax),
       .access = size_field<&Config::max_frame_size>(),
       .doc = "Largest message payload sent or accepted, in bytes (at most 1 GiB). A larger frame "
              "from a peer closes its connection, so every node of a cluster should agree."},
      {.table = "transport",
       .name = "send_buffer_limit",
       .field = "send_buffer_limit",
       .rule = positive_rule,
       .access = size_field<&Config::send_buffer_limit>(),
       .doc = "Bytes queued but not yet acknowledged per stream; beyond it sends fail with "
              "`limit_reached`. At least `transport.max_frame_size`. A larger value buffers "
              "more, which costs memory and latency and does not send faster (decision 0028)."},
      // [processes]
      {.table = "processes",
       .name = "mailbox_limit",
       .field = "mailbox_limit",
       .rule = positive_rule,
       .access = size_field<&Config::mailbox_limit>(),
       .doc = "Envelopes one process mailbox holds (a spawn option may override it per process)."},
      {.table = "processes",
       .name = "node_queue_limit",
       .field = "node_queue_limit",
       .rule = positive_rule,
       .access = size_field<&Config::node_queue_limit>(),
       .doc = "Bytes of process traffic queued towards one node while its connection opens or is "
              "flow-blocked; beyond it sends fail with `limit_reached`. At least "
              "`transport.max_frame_size`."},
      {.table = "processes",
       .name = "worker_threads",
       .field = "worker_threads",
       .rule = integer_rule(1, 64),
       .access = size_field<&Config::worker_threads>(),
       .doc = "Threads running worker-placed processes and rpc functions."},
      // [connections]
      {.table = "connections",
       .name = "connect_timeout_ms",
       .field = "connect_timeout",
       .rule = duration_rule,
       .access = duration_field<&Config::connect_timeout>(),
       .doc = "An on-demand connection must authenticate within this many milliseconds, or the "
              "messages queued for it fail (`unreachable`, monitors `noconnection`)."},
      {.table = "connections",
       .name = "addresses",
       .field = "node_addresses",
       .rule = map_rule,
       .access = string_map_field<&Config::node_addresses>(),
       .doc =
           "Static address book for on-demand connections: a table of node name = "
           "`\"host:port\"` (host may be a DNS name), e.g. `addresses = { bob = \"10.0.0.2:4000\" "
           "}`, or = a contact string `\"bob@10.0.0.2:4000#SHA256:<hex>\"` (`barrel-p2p keys "
           "show` prints a node's) under the name it names: every link under that name, dialed "
           "or accepted, must then prove that key, even on first contact in TOFU mode; strict "
           "mode accepts it without a pin (docs/how-to/pin-with-contact-strings.md). An "
           "override replaces the whole table: "
           "`bob=10.0.0.2:4000,carol=10.0.0.3:4000`."},
      {.table = "connections",
       .name = "endpoint_dir",
       .field = "endpoint_dir",
       .rule = path_rule,
       .access = path_field<&Config::endpoint_dir>(),
       .doc = "Shared endpoint directory (empty: unused). At start the node writes its address to "
              "`<dir>/<node.name>.endpoint`; names missing from `connections.addresses` are looked "
              "up there."},
      {.table = "connections",
       .name = "reaper_min_age_ms",
       .field = "reaper_min_age",
       .rule = duration_or_zero_rule,
       .access = duration_field<&Config::reaper_min_age>(),
       .doc = "A connection that carried application traffic (process messages, `Node::send`) "
              "is not closed for being idle while younger than this many milliseconds. A link "
              "that only carried membership or broadcast messages closes after 5 s without a "
              "frame whatever its age, and one opened with `connect()` is never reaped (see "
              "[fixed settings](#fixed-settings))."},
      {.table = "connections",
       .name = "reaper_interval_ms",
       .field = "reaper_interval",
       .rule = duration_or_zero_rule,
       .access = duration_field<&Config::reaper_interval>(),
       .doc = "Milliseconds between idle-reaper sweeps of connections that carried application "
              "traffic (links that only carried membership messages are checked every 5 s, or "
              "this often if shorter); 0 disables the reaper."},
      // [membership]
      {.table = "membership",
       .name = "contacts",
       .field = "membership.contacts",
       .rule = list_rule,
       .access = string_list_field<&Config::membership, &MembershipConfig::contacts>(),
       .doc = "Nodes to join through at start, `\"ip:port\"` each (a numeric IP or `localhost`), "
              "e.g. `contacts = [\"10.0.0.1:4000\"]`, or contact strings "
              "`\"name@ip:port#SHA256:<hex>\"` (printed by `barrel-p2p keys show`): the node "
              "there must then prove that name and key, even on first contact, and so must every "
              "link under that name (decision 0024). Tried in turn "
              "until one answers, again every `membership.contact_retry_ms` while no peer is "
              "active. Empty: this node waits for others to join it. Override: "
              "`10.0.0.1:4000,10.0.0.2:4000`."},
      {.table = "membership",
       .name = "contact_retry_ms",
       .field = "membership.contact_retry",
       .rule = duration_rule,
       .access = duration_field<&Config::membership, &MembershipConfig::contact_retry>(),
       .doc = "Milliseconds between join attempts while the active view is empty; each wait is "
              "jittered to 0.5 to 1.5 times this, so nodes started together do not retry in "
              "step."},
      {.table = "membership",
       .name = "advertise_address",
       .field = "membership.advertise_address",
       .rule = string_rule,
       .access = string_field<&Config::membership, &MembershipConfig::advertise_address>(),
       .doc = "`host:port` other nodes should dial to reach this one (host may be a DNS name), "
              "sent in membership messages and written to the endpoint directory. Empty: the "
              "bound `node.listen` address. Required when `node.listen` is a wildcard; set it "
              "behind NAT too. Not a wildcard, not port 0."},
      {.table = "membership",
       .name = "active_view_size",
       .field = "membership.active_view_size",
       .rule = integer_rule(1, 64),
       .access = size_field<&Config::membership, &MembershipConfig::active_view_size>(),
       .doc = "Gossip peers kept connected (HyParView active view). Every node of a cluster "
              "should use the same value."},
      {.table = "membership",
       .name = "passive_view_size",
       .field = "membership.passive_view_size",
       .rule = integer_rule(0, 1024),
       .access = size_field<&Config::membership, &MembershipConfig::passive_view_size>(),
       .doc = "Known peers kept, unconnected, to replace failed active peers."},
      {.table = "membership",
       .name = "active_random_walk",
       .field = "membership.active_random_walk",
       .rule = integer_rule(1, 32),
       .access = size_field<&Config::membership, &MembershipConfig::active_random_walk>(),
       .doc = "Hops a JOIN travels (FORWARD_JOIN time to live)."},
      {.table = "membership",
       .name = "passive_random_walk",
       .field = "membership.passive_random_walk",
       .rule = integer_rule(0, 32),
       .access = size_field<&Config::membership, &MembershipConfig::passive_random_walk>(),
       .doc = "The hop of a JOIN's walk at which the joiner enters the passive view; at most "
              "`membership.active_random_walk`."},
      {.table = "membership",
       .name = "shuffle_interval_ms",
       .field = "membership.shuffle_interval",
       .rule = duration_rule,
       .access = duration_field<&Config::membership, &MembershipConfig::shuffle_interval>(),
       .doc = "Milliseconds between SHUFFLEs, which refresh the passive view. The first "
              "comes 0.05 to 0.15 intervals after start, so a new node soon knows peers to "
              "repair with."},
      {.table = "membership",
       .name = "shuffle_size",
       .field = "membership.shuffle_size",
       .rule = integer_rule(2, 64),
       .access = size_field<&Config::membership, &MembershipConfig::shuffle_size>(),
       .doc = "Peers offered in one SHUFFLE."},
      {.table = "membership",
       .name = "ihave_timeout_ms",
       .field = "membership.ihave_timeout",
       .rule = duration_rule,
       .access = duration_field<&Config::membership, &MembershipConfig::ihave_timeout>(),
       .doc = "Milliseconds a broadcast announced by IHAVE may take to arrive before this node "
              "asks for it (GRAFT)."},
      {.table = "membership",
       .name = "max_broadcast_size",
       .field = "membership.max_broadcast_size",
       .rule = integer_rule(1, 64 << 20),
       .access = size_field<&Config::membership, &MembershipConfig::max_broadcast_size>(),
       .doc = "Largest broadcast payload in bytes (at most 64 MiB; also below "
              "`transport.max_frame_size`)."},
      // [admin]
      {.table = "admin",
       .name = "listen",
       .field = "admin.listen",
       .rule = string_rule,
       .access = string_field<&Config::admin, &AdminConfig::listen>(),
       .doc = "TCP address of the HTTP admin endpoint (`IP:PORT`, port 0 picks one; see "
              "[admin-api.md](admin-api.md)). Empty: no endpoint. Any address that is not "
              "loopback (`127.0.0.0/8`, `::1`) needs `admin.token_file`: without it the node "
              "refuses to start (exit 2). `barrel-p2p node --admin` overrides it."},
      {.table = "admin",
       .name = "token_file",
       .field = "admin.token_file",
       .rule = path_rule,
       .access = path_field<&Config::admin, &AdminConfig::token_file>(),
       .doc = "File holding the admin endpoint's bearer token (16 to 4096 bytes; one trailing "
              "newline is dropped). When set, every request must send `Authorization: Bearer "
              "TOKEN`. Mode 0600 or 0400, as `cluster.secret_file` (exit 3 otherwise)."},
      // [registry]
      {.table = "registry",
       .name = "anti_entropy_interval_ms",
       .field = "registry.anti_entropy_interval",
       .rule = integer_rule(0, 86'400'000),
       .access = duration_field<&Config::registry, &RegistryConfig::anti_entropy_interval>(),
       .doc = "Milliseconds between registry digest comparisons with a random active peer "
              "(jittered); full states follow only when the digests differ. 0 turns the "
              "periodic comparison off (new links still compare)."},
      {.table = "registry",
       .name = "max_names",
       .field = "registry.max_names",
       .rule = integer_rule(1, 1 << 24),
       .access = size_field<&Config::registry, &RegistryConfig::max_names>(),
       .doc = "Service names with at least one instance, at most."},
      {.table = "registry",
       .name = "max_entries_per_name",
       .field = "registry.max_entries_per_name",
       .rule = integer_rule(1, 1 << 20),
       .access = size_field<&Config::registry, &RegistryConfig::max_entries_per_name>(),
       .doc = "Instances under one name, at most."},
      {.table = "registry",
       .name = "max_entries",
       .field = "registry.max_entries",
       .rule = integer_rule(1, 1 << 24),
       .access = size_field<&Config::registry, &RegistryConfig::max_entries>(),
       .doc = "Instances in all, at most."},
      {.table = "registry",
       .name = "max_name_size",
       .field = "registry.max_name_size",
       .rule = integer_rule(1, 4096),
       .access = size_field<&Config::registry, &RegistryConfig::max_name_size>(),
       .doc = "Longest service name in bytes."},
      {.table = "registry",
       .name = "max_metadata_size",
       .field = "registry.max_metadata_size",
       .rule = integer_rule(0, 1 << 20),
       .access = size_field<&Config::registry, &RegistryConfig::max_metadata_size>(),
       .doc = "Longest metadata of one instance in bytes."},
      {.table = "registry",
       .name = "max_tombstones",
       .field = "registry.max_tombstones",
       .rule = integer_rule(1, 1 << 24),
       .access = size_field<&Config::registry, &RegistryConfig::max_tombstones>(),
       .doc = "Removed entries remembered until anti-entropy lets them go; at the bound, "
              "removals that need more wait."},
      {.table = "registry",
       .name = "max_state_size",
       .field = "registry.max_state_size",
       .rule = integer_rule(4096, 1 << 30),
       .access = size_field<&Config::registry, &RegistryConfig::max_state_size>(),
       .doc = "Largest full registry state exchanged with a peer, in bytes (one frame: also "
              "below `transport.max_frame_size`)."},
      {.table = "registry",
       .name = "max_clock_skew_ms",
       .field = "registry.max_clock_skew",
       .rule = integer_rule(1, 86'400'000),
       .access = duration_field<&Config::registry, &RegistryConfig::max_clock_skew>(),
       .doc = "A registry stamp further ahead of this node's wall clock is not adopted by its "
              "hybrid logical clock (counted)."},
      {.table = "registry",
       .name = "route_ttl",
       .field = "registry.route_ttl",
       .rule = integer_rule(0, 32),
       .access = size_field<&Config::registry, &RegistryConfig::route_ttl>(),
       .doc = "Hops an overlay route request (whereis_service with retries, when this node "
              "does not know the name) walks over active views after its first one."},
      {.table = "registry",
       .name = "route_fanout",
       .field = "registry.route_fanout",
       .rule = integer_rule(1, 16),
       .access = size_field<&Config::registry, &RegistryConfig::route_fanout>(),
       .doc = "Active peers each overlay route request starts from."},
      {.table = "registry",
       .name = "route_timeout_ms",
       .field = "registry.route_timeout",
       .rule = integer_rule(1, 3'600'000),
       .access = duration_field<&Config::registry, &RegistryConfig::route_timeout>(),
       .doc = "Milliseconds one overlay route request waits for its answer before the next "
              "retry (or not_found)."},
      {.table = "registry",
       .name = "route_cache_ttl_ms",
       .field = "registry.route_cache_ttl",
       .rule = integer_rule(0, 86'400'000),
       .access = duration_field<&Config::registry, &RegistryConfig::route_cache_ttl>(),
       .doc = "Milliseconds an overlay route answer stays cached on the asking node (0: not "
              "cached)."},
      {.table = "registry",
       .name = "route_max_in_flight",
       .field = "registry.route_max_in_flight",
       .rule = integer_rule(1, 65'536),
       .access = size_field<&Config::registry, &RegistryConfig::route_max_in_flight>(),
       .doc = "Overlay route requests waiting at once on this node; beyond, whereis_service "
              "fails with overloaded."},
      {.table = "registry",
       .name = "lease_ms",
       .field = "registry.lease",
       .rule = integer_rule(0, 86'400'000),
       .access = duration_field<&Config::registry, &RegistryConfig::lease>(),
       .doc = "Milliseconds without news from a node (heartbeat, change, direct link) after which "
              "its services are hidden here, each reported `down` (noconnection, \"lease "
              "expired\"); they come back when the node is heard from again, and are pruned after "
              "60 leases. 0 turns leases off (a crashed node's services stay until it restarts). "
              "Use the same value on every node."},
      {.table = "registry",
       .name = "lease_renew_interval_ms",
       .field = "registry.lease_renew_interval",
       .rule = integer_rule(1, 86'400'000),
       .access = duration_field<&Config::registry, &RegistryConfig::lease_renew_interval>(),
       .doc = "Milliseconds between the heartbeats of a node with services of its own (and "
              "between lease checks); below `registry.lease_ms`."},
      // [streams]
      {.table = "streams",
       .name = "max_pending_preambles",
       .field = "streams.max_pending_preambles",
       .rule = integer_rule(1, 65'536),
       .access = size_field<&Config::streams, &StreamsConfig::max_pending_preambles>(),
       .doc = "Inbound tagged streams, over all peers, whose tag preamble is not complete yet; "
              "a stream beyond it is reset and counted (`stream_preamble_dropped` `cap`)."},
      {.table = "streams",
       .name = "max_inbound_per_peer",
       .field = "streams.max_inbound_per_peer",
       .rule = integer_rule(1, 1 << 20),
       .access = size_field<&Config::streams, &StreamsConfig::max_inbound_per_peer>(),
       .doc = "Tagged streams one peer may have open towards this node at once; its next "
              "`open_stream` fails with `limit_reached` until one closes."},
      {.table = "streams",
       .name = "window",
       .field = "streams.window",
       .rule = integer_rule(1024, std::int64_t{1} << 30),
       .access = size_field<&Config::streams, &StreamsConfig::window>(),
       .doc = "Receive window per tagged stream in bytes: what a peer may send beyond what the "
              "application read (auto-tuning may grow it up to 32 MiB for a fast reader)."},
      {.table = "streams",
       .name = "send_buffer",
       .field = "streams.send_buffer",
       .rule = integer_rule(1024, std::int64_t{1} << 30),
       .access = size_field<&Config::streams, &StreamsConfig::send_buffer>(),
       .doc = "Bytes one tagged stream holds on the sending side until acknowledged; a write "
              "beyond it waits (back-pressure)."},
      // [log]
      {.table = "log",
       .name = "level",
       .field = "log_level",
       .rule = choice_rule("trace|debug|info|warn|error|off"),
       .access = string_field<&Config::log_level>(),
       .doc = "Log level of the node's logger (stderr). Logs never contain key material or the "
              "cluster secret."},
      {.table = "log",
       .name = "format",
       .field = "log_format",
       .rule = choice_rule("text|json"),
       .access = string_field<&Config::log_format>(),
       .doc = "text: spdlog's lines; json: one JSON object per line (time in UTC, level, logger, "
              "msg), for the node's logger and the barrel-p2p command's own lines."},
  };
  return keys;
}
#pragma GCC diagnostic pop

std::vector<std::string_view> split_choices(std::string_view choices) {
  std::vector<std::string_view> out;
  while (!choices.empty()) {
    const auto bar = choices.find('|');
    out.push_back(choices.substr(0, bar));
    choices = bar == std::string_view::npos ? std::string_view{} : choices.substr(bar + 1);
  }
  return out;
}

std::string join(const std::vector<std::string_view>& parts, std::string_view separator,
                 std::string_view quote = "") {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += std::string(quote) + std::string(part) + std::string(quote);
  }
  return out;
}

std::string describe(const ConfigValue& value) {
  switch (value.kind) {
    case KeyKind::integer: return std::to_string(value.number);
    case KeyKind::string_map: return "a table";
    case KeyKind::string_list: return "an array";
    case KeyKind::string:
    case KeyKind::path:
    case KeyKind::choice: break;
  }
  return "'" + value.text + "'";
}

Result<std::map<std::string, std::string>> map_from_text(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const auto equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return fail(Errc::invalid_argument, "'" + std::string(item) + "' is not name=value");
    }
    out[std::string(item.substr(0, equals))] = std::string(item.substr(equals + 1));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

/// "a,b,,c" -> {"a", "b", "c"}: empty items are skipped, so "" is the empty list.
std::vector<std::string> list_from_text(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

std::string type_text(const ConfigKey& key) {
  const ValueRule& rule = key.rule;
  switch (rule.kind) {
    case KeyKind::string: return "string";
    case KeyKind::path: return "string (path)";
    case KeyKind::string_map: return "table of strings";
    case KeyKind::string_list: return "array of strings";
    case KeyKind::choice: return join(split_choices(rule.choices), ", ", "`");
    case KeyKind::integer: break;
  }
  if (rule.max == kInt64Max) return "integer ≥ " + std::to_string(rule.min);
  const std::string range =
      "integer, " + std::to_string(rule.min) + " to " + std::to_string(rule.max);
  return rule.max == kDurationMsMax ? range + " (7 days)" : range;
}

}  // namespace

ConfigValue ConfigValue::of_text(KeyKind kind, std::string text) {
  ConfigValue value;
  value.kind = kind;
  value.text = std::move(text);
  return value;
}

ConfigValue ConfigValue::of_number(std::int64_t number) {
  ConfigValue value;
  value.kind = KeyKind::integer;
  value.number = number;
  return value;
}

ConfigValue ConfigValue::of_items(std::vector<std::string> items) {
  ConfigValue value;
  value.kind = KeyKind::string_list;
  value.items = std::move(items);
  return value;
}

ConfigValue ConfigValue::of_entries(std::map<std::string, std::string> entries) {
  ConfigValue value;
  value.kind = KeyKind::string_map;
  value.entries = std::move(entries);
  return value;
}

std::span<const ConfigKey> config_keys() { return key_table(); }

std::span<const std::string_view> config_tables() {
  static const std::vector<std::string_view> tables = [] {
    std::vector<std::string_view> out;
    for (const ConfigKey& key : key_table()) {
      if (std::find(out.begin(), out.end(), key.table) == out.end()) out.push_back(key.table);
    }
    return out;
  }();
  return tables;
}

const ConfigKey* find_config_key(std::string_view table, std::string_view name) {
  for (const ConfigKey& key : key_table()) {
    if (key.table == table && key.name == name) return &key;
  }
  return nullptr;
}

const ConfigKey* find_config_key(std::string_view dotted) {
  const auto dot = dotted.find('.');
  if (dot == std::string_view::npos) return nullptr;
  return find_config_key(dotted.substr(0, dot), dotted.substr(dot + 1));
}

std::string dotted_name(const ConfigKey& key) {
  return std::string(key.table) + "." + std::string(key.name);
}

std::string environment_name(const ConfigKey& key) {
  std::string out = "BARREL_" + std::string(key.table) + "_" + std::string(key.name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string expected_text(const ConfigKey& key) {
  const ValueRule& rule = key.rule;
  switch (rule.kind) {
    case KeyKind::string: return "a string";
    case KeyKind::path: return "a string (a path)";
    case KeyKind::string_map: return "a table of strings (name = \"value\")";
    case KeyKind::string_list: return "an array of strings ([\"a\", \"b\"])";
    case KeyKind::choice: return "one of " + join(split_choices(rule.choices), ", ");
    case KeyKind::integer: break;
  }
  if (rule.min == 0 || rule.min == 1) {
    const std::string sign = rule.min == 1 ? "a positive integer" : "a non-negative integer";
    return rule.max == kInt64Max ? sign : sign + " up to " + std::to_string(rule.max);
  }
  const std::string low = "an integer of at least " + std::to_string(rule.min);
  return rule.max == kInt64Max ? low : low + " up to " + std::to_string(rule.max);
}

Result<void> check_value(const ConfigKey& key, const ConfigValue& value) {
  const ValueRule& rule = key.rule;
  const bool text_kind =
      rule.kind == KeyKind::string || rule.kind == KeyKind::path || rule.kind == KeyKind::choice;
  const bool same_kind = text_kind ? value.kind == KeyKind::string || value.kind == KeyKind::path ||
                                         value.kind == KeyKind::choice
                                   : value.kind == rule.kind;
  bool accepted = same_kind;
  if (same_kind && rule.kind == KeyKind::choice) {
    const auto choices = split_choices(rule.choices);
    accepted = std::find(choices.begin(), choices.end(), value.text) != choices.end();
  } else if (same_kind && rule.kind == KeyKind::integer) {
    accepted = value.number >= rule.min && value.number <= rule.max;
  } else if (same_kind && rule.kind == KeyKind::string_map &&
             value.entries.size() > kStringMapEntriesMax) {
    return fail(Errc::invalid_argument,
                "more than " + std::to_string(kStringMapEntriesMax) + " entries");
  } else if (same_kind && rule.kind == KeyKind::string_list &&
             value.items.size() > kStringListItemsMax) {
    return fail(Errc::invalid_argument,
                "more than " + std::to_string(kStringListItemsMax) + " items");
  }
  if (accepted) return {};
  // The secret's value never reaches a message.
  const bool secret = key.field == "cluster_secret" && key.rule.kind == KeyKind::string;
  return fail(Errc::invalid_argument,
              "expected " + expected_text(key) + ", got " +
                  (secret ? std::string("another value") : describe(value)));
}

Result<ConfigValue> value_from_text(const ConfigKey& key, std::string_view text) {
  switch (key.rule.kind) {
    case KeyKind::string:
    case KeyKind::path:
    case KeyKind::choice: return ConfigValue::of_text(key.rule.kind, std::string(text));
    case KeyKind::string_map: {
      auto entries = map_from_text(text);
      if (!entries) {
        return fail(Errc::invalid_argument,
                    "expected name=value[,name=value...]: " + entries.error().message);
      }
      return ConfigValue::of_entries(std::move(entries).value());
    }
    case KeyKind::string_list: return ConfigValue::of_items(list_from_text(text));
    case KeyKind::integer: break;
  }
  std::int64_t number = 0;
  const char* end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, number);
  if (text.empty() || parsed.ec != std::errc{} || parsed.ptr != end) {
    return fail(Errc::invalid_argument,
                "expected " + expected_text(key) + ", got '" + std::string(text) + "'");
  }
  return ConfigValue::of_number(number);
}

std::string render_reference_table() {
  const Config defaults;
  std::string out =
      "| key | type | default | environment | meaning |\n"
      "|---|---|---|---|---|\n";
  for (const ConfigKey& key : key_table()) {
    const std::string fallback = key.required ? "(required)" : key.access.show(defaults);
    out += "| `" + dotted_name(key) + "` | " + type_text(key) + " | " +
           (key.required || fallback == "unset" ? fallback : "`" + fallback + "`") + " | `" +
           environment_name(key) + "` | " + std::string(key.doc) + " |\n";
  }
  return out;
}

}  // namespace barrel_p2p::cli
