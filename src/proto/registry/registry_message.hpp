// Registry messages between nodes (SPEC §2.6): the envelope around registry deltas and states
// on the wire. Deltas travel through Plumtree (payload of the reserved tag
// "barrel_p2p:registry"); digests and states travel on a link's control stream, in frames of
// their own type (wire::FrameType::registry). Peer bytes are hostile: fixed limits, canonical
// fields, no trailing bytes; the delta or state itself is decoded by registry::decode() with
// the registry's limits.
//
//   message = u8 type | body
//   DELTA  (1) = u8 cause (0 = an operation, 1 = the registered process ended)
//                | [cause 1: u8 exit code | string reason ≤ 255 bytes] | delta (rest)
//   DIGEST (2) = u64 digest of the sender's exported state (big-endian)
//   STATE  (3) = u8 flags (bit 0 reply: the receiver answers with its own STATE; bit 1 causes)
//                | [causes: varint count 1-kMaxStateCauses | cause…] | state (rest)
//     cause = string node (1-64 bytes) | 12-byte HLC stamp | u8 exit code
//             | string reason ≤ kMaxStateCauseText bytes
//   ROUTE_REQUEST (4) = u64 request id | u8 ttl | string origin node (1-64 bytes)
//                | string origin address (≤ 64 bytes) | string name (1-kMaxRouteNameSize)
//   ROUTE_REPLY   (5) = u64 request id | delta (rest: the instances, each with its stamp)
//   HEARTBEAT     (6) = string node (1-64 bytes) | 12-byte HLC stamp (hlc_timestamp.hpp)
//
// Heartbeats (leases, decision 0025) travel through Plumtree like deltas: a node with live
// entries of its own broadcasts one every lease_renew_interval, and each receiver renews the
// lease of that node's entries. The node must be the gossip's origin; a stamp not above the
// last one seen from that node renews nothing (a replayed or reordered heartbeat).
//
// Route requests (whereis_service step 3, route_table.hpp) walk the active views, one hop per
// link frame; the first node whose table has the name sends ROUTE_REPLY straight to the
// origin (an on-demand link to the origin address). Strings are canonical varint lengths.
//
// Anti-entropy and new links: a node sends DIGEST; a receiver whose own digest differs
// answers STATE with reply = 1, merged on the other side, which answers STATE with reply = 0.
// Equal states cost two 9-byte messages; different ones one state each way.
//
// A STATE's causes are why recently removed entries ended (dot → exit cause, exit_causes.hpp):
// a removal that reaches a node through a state instead of its DELTA (the delta was late or
// lost) is still reported as service `down` with its reason. They are not part of the state
// nor of its digest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "proto/hlc/hlc_timestamp.hpp"
#include "proto/registry/registry_delta.hpp"

namespace barrel_p2p::registry {

/// Longest process-exit reason text a DELTA carries (longer texts are cut by the encoder).
inline constexpr std::size_t kMaxExitText = 255;
/// Longest service name a ROUTE_REQUEST carries (the registry's own max_name_size bound).
inline constexpr std::size_t kMaxRouteNameSize = 4096;
/// Longest node name and origin address in a ROUTE_REQUEST, and node name in a HEARTBEAT.
inline constexpr std::size_t kMaxRouteOriginSize = 64;
/// Size of the largest HEARTBEAT: type, a 64-byte name with its 2-byte varint length, the stamp.
inline constexpr std::size_t kMaxHeartbeatSize = 1 + 2 + kMaxRouteOriginSize + 12;

/// Why a DELTA's entries were removed, when their process ended (drives service_down events).
struct ExitCause {
  std::uint8_t code = 0;  ///< barrel_p2p::ExitCode value (not checked here: the Engine maps it).
  std::string text;       ///< ≤ kMaxExitText bytes.
  bool operator==(const ExitCause&) const = default;
};

/// Most causes one STATE carries, and the longest reason text of each (cut by the encoder).
inline constexpr std::size_t kMaxStateCauses = 64;
inline constexpr std::size_t kMaxStateCauseText = kMaxExitText;
/// Largest encoded causes section of a STATE (decode_message() allows it beyond max_size).
inline constexpr std::size_t kMaxStateCausesSize =
    2 + kMaxStateCauses * (2 + kMaxRouteOriginSize + 12 + 1 + 2 + kMaxStateCauseText);

/// Why the entry with dot (node, stamp) was removed: its process ended with `cause`.
struct DotCause {
  std::string node;  ///< 1-kMaxRouteOriginSize bytes.
  hlc::Timestamp stamp;
  ExitCause cause;  ///< text ≤ kMaxStateCauseText bytes.
  bool operator==(const DotCause&) const = default;
};

/// One decoded message. `body` views the input: the encoded delta (DELTA) or state (STATE).
struct Message {
  enum class Type : std::uint8_t {
    delta = 1,
    digest = 2,
    state = 3,
    route_request = 4,
    route_reply = 5,
    heartbeat = 6
  };
  Type type = Type::delta;
  std::optional<ExitCause> exit;  ///< DELTA only: set when cause is 1.
  std::uint64_t digest = 0;       ///< DIGEST only.
  bool reply = false;             ///< STATE only.
  std::vector<DotCause> causes;   ///< STATE only: exit causes of recently removed entries.
  core::ByteView body;  ///< DELTA, STATE and ROUTE_REPLY: the registry_delta bytes (not decoded).
  std::uint64_t request_id = 0;  ///< ROUTE_REQUEST and ROUTE_REPLY.
  std::uint8_t ttl = 0;          ///< ROUTE_REQUEST: hops left after the receiver.
  std::string origin;    ///< ROUTE_REQUEST: the asking node; HEARTBEAT: the sender (1-64 bytes).
  hlc::Timestamp stamp;  ///< HEARTBEAT: the sender's clock when it sent it.
  std::string address;   ///< ROUTE_REQUEST: where the asking node listens (may be "").
  std::string name;      ///< ROUTE_REQUEST: the service name (1-kMaxRouteNameSize).
};

/// What a ROUTE_REQUEST asks (the fields of Message it uses).
struct RouteRequest {
  std::uint64_t request_id = 0;
  std::uint8_t ttl = 0;
  std::string origin;   ///< 1-kMaxRouteOriginSize bytes.
  std::string address;  ///< ≤ kMaxRouteOriginSize bytes.
  std::string name;     ///< 1-kMaxRouteNameSize bytes.
};

/// A DELTA around `delta` (already encoded). A text over kMaxExitText is cut.
[[nodiscard]] core::Bytes encode_delta_message(const core::Bytes& delta,
                                               const std::optional<ExitCause>& exit = {});
/// A DIGEST.
[[nodiscard]] core::Bytes encode_digest_message(std::uint64_t digest);
/// A STATE around `state` (already encoded), with the first kMaxStateCauses of `causes`.
/// Precondition: each cause's node is 1-kMaxRouteOriginSize bytes (asserted); a longer text is
/// cut to kMaxStateCauseText.
[[nodiscard]] core::Bytes encode_state_message(const core::Bytes& state, bool reply,
                                               const std::vector<DotCause>& causes = {});

/// A ROUTE_REQUEST. Precondition: the field sizes RouteRequest states (asserted).
[[nodiscard]] core::Bytes encode_route_request(const RouteRequest& request);
/// A ROUTE_REPLY around `instances` (an encoded delta holding only entries).
[[nodiscard]] core::Bytes encode_route_reply(std::uint64_t request_id,
                                             const core::Bytes& instances);

/// A HEARTBEAT of `node` at `stamp`. Precondition: `node` is 1-kMaxRouteOriginSize bytes
/// (asserted).
[[nodiscard]] core::Bytes encode_heartbeat(std::string_view node, const hlc::Timestamp& stamp);

/// Decodes the envelope of one whole message of at most `max_size` bytes (take the
/// registry's max_state_size; a STATE may exceed it by its causes, kMaxStateCausesSize). The
/// body is not decoded.
/// Errors: protocol, "registry message: <what>" (empty, too large, unknown type, bad cause or
/// STATE flags, a STATE cause count of 0 or over kMaxStateCauses, a cause node empty or over
/// its limit, truncated, trailing bytes after a DIGEST, ROUTE_REQUEST or HEARTBEAT, empty
/// body, a ROUTE_REQUEST or HEARTBEAT string empty or over its limit).
[[nodiscard]] Result<Message> decode_message(core::ByteView bytes, std::size_t max_size);

/// 64-bit digest of an encoded state (FNV-1a): equal states have equal digests, since each
/// state has exactly one encoding. Not a security measure: a forged digest only skips or
/// causes one exchange.
[[nodiscard]] std::uint64_t digest_of(core::ByteView encoded_state);

}  // namespace barrel_p2p::registry
