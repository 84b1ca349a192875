// Registry deltas: the replicated unit of the service registry's OR-Map (SPEC §2.6), both for
// incremental deltas and for the full state exchanged by anti-entropy (a full state is the
// delta of everything). Peer bytes are hostile: the whole message has a size limit, every
// field a length limit, varints are canonical and lists strictly ordered, so each delta has
// exactly one valid encoding (decode(b) succeeds ⇒ encode(decode(b)) == b), and nothing is
// allocated beyond the input's own size.
//
//   message   = u8 type (1 = delta) | count | slice*            (slices by node, ascending)
//   slice     = string node | timestamp floor | count | timestamp* (removed, ascending)
//               | count | entry*                                (entries by stamp, ascending)
//   entry     = timestamp stamp | string name | string pid | string metadata
//   count     = canonical varint;  string = canonical varint length | bytes
//   timestamp = 12 bytes (proto/hlc: u64 wall_ms | u32 logical, big-endian)
//
// Meaning (the causal context of Almeida, Shoker, Baquero, "Delta State Replicated Data
// Types", JPDC 2018, §7, kept per node): a slice of node N says that its sender knows every
// dot (N, t) with t ≤ floor, every dot in `removed` and every dot in `entries`; of those, the
// entries are live and every other one has been removed. See service_registry.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "proto/hlc/hlc_timestamp.hpp"

namespace barrel_p2p::registry {

/// One live registration in a slice: the add's dot is (slice node, stamp).
struct DeltaEntry {
  hlc::Timestamp stamp;  ///< Non-zero; unique within its slice.
  std::string name;      ///< Service name, 1..max_name_size bytes (any bytes).
  core::Bytes pid;       ///< Serialized pid (src/node's Pid::serialize()), 1..max_pid_size.
  core::Bytes metadata;  ///< Opaque, 0..max_metadata_size bytes.
  bool operator==(const DeltaEntry&) const = default;
};

/// What a delta says about the dots of one node. Never empty: a non-zero floor, a removed dot
/// or an entry.
struct NodeSlice {
  std::string node;                     ///< Node name (wire::is_valid_name()).
  hlc::Timestamp floor;                 ///< Every dot of `node` at or below is known; {0,0}: none.
  std::vector<hlc::Timestamp> removed;  ///< Removed dots above `floor`, strictly ascending.
  std::vector<DeltaEntry> entries;      ///< Live dots, strictly ascending by stamp.
  bool operator==(const NodeSlice&) const = default;
};

/// A delta or a full state: slices in strictly ascending node order (at most one per node).
struct Delta {
  std::vector<NodeSlice> nodes;
  /// True when the delta carries nothing.
  [[nodiscard]] bool empty() const { return nodes.empty(); }
  bool operator==(const Delta&) const = default;
};

/// Why a delta (or a local operation) was refused. Each reason has a counter in RegistryStats.
enum class Refusal : std::uint8_t {
  malformed,         ///< Truncated, unknown type, non-canonical, out of order, empty slice, ...
  too_large,         ///< Encoded size above max_delta_size (max_state_size for a full state).
  name_size,         ///< A name empty or longer than max_name_size.
  pid_size,          ///< A pid empty or longer than max_pid_size.
  metadata_size,     ///< Metadata longer than max_metadata_size.
  names,             ///< Would hold more than max_names names.
  entries_per_name,  ///< Would hold more than max_entries_per_name entries under one name.
  entries,           ///< Would hold more than max_entries entries in all.
  tombstones,        ///< Would hold more than max_tombstones removed dots.
  nodes,             ///< Would know more than max_nodes nodes.
  foreign_dot,       ///< Claims a dot of this node that this node never made.
};
/// Number of Refusal values (size of per-reason counter arrays).
inline constexpr std::size_t kRefusalCount = 11;

/// snake_case name of a refusal reason, e.g. "entries_per_name" (for metrics and messages).
std::string_view refusal_name(Refusal reason) noexcept;

/// Decoding and shape limits; take them from Config::delta_limits() or state_limits().
struct Limits {
  std::size_t max_size = 1024 * 1024;  ///< Largest encoded message accepted, in bytes.
  std::size_t max_name_size = 255;
  std::size_t max_pid_size = 128;
  std::size_t max_metadata_size = 1024;
};

/// A refused input: the reason class and what exactly was wrong.
struct ShapeError {
  Refusal reason = Refusal::malformed;
  std::string detail;
};

/// Checks every rule of the format above on an in-memory delta except its encoded size:
/// node order and names, non-empty slices, removed order and > floor, entries' order, non-zero
/// stamps, no stamp both live and removed, and field sizes against `limits`.
/// Returns the first rule broken, or nullopt.
[[nodiscard]] std::optional<ShapeError> check_shape(const Delta& delta, const Limits& limits);

/// Bytes encode(delta) would write.
[[nodiscard]] std::size_t encoded_size(const Delta& delta);

/// Encodes `delta` canonically. Precondition: !check_shape(delta, <large limits>) (asserted
/// by the fuzz round trip, not checked here).
[[nodiscard]] core::Bytes encode(const Delta& delta);

/// Decodes one whole message from hostile bytes; never asserts on peer input. On failure,
/// `why` (when given) receives the reason class.
/// Errors: protocol, "registry delta: <what>" (too large, truncated, unknown type,
/// non-canonical varint, trailing bytes, or any check_shape() rule).
[[nodiscard]] Result<Delta> decode(core::ByteView bytes, const Limits& limits,
                                   Refusal* why = nullptr);

}  // namespace barrel_p2p::registry
