// Views messages: the payloads of views frames (FrameType::views, control stream). A node asks
// an active peer for its views (REQUEST) and the peer answers with its advertised address, its
// active view, the size of its passive view and the nodes it holds on-demand links to (REPLY).
// The admin endpoint's member list and live page gather the cluster this way
// (docs/reference/admin-api.md). The reporter's name is not on the wire: it is the name the
// link authenticated, which a peer cannot forge.
//
// Peer bytes are hostile: names are checked (is_valid_name), addresses, lists and counts are
// bounded, varints are canonical and no trailing byte is accepted, so every message has
// exactly one encoding.
//   message  = u8 type | varint request
//   REQUEST (1) = (nothing more)
//   REPLY   (2) = string address (0-255) | list of peer active (≤ kMaxViewsActive)
//                 | varint passive_size (≤ kMaxViewsCount) | list of string on_demand
//                 (≤ kMaxViewsOnDemand names)
//   peer     = string name (1-64) | string address (0-255)
//   string   = canonical varint length | bytes;  list = canonical varint count | items
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::wire {

/// Longest address a views message carries ("host:port").
inline constexpr std::size_t kMaxViewsAddressSize = 255;
/// Most active peers a REPLY lists (active views are configured far smaller).
inline constexpr std::size_t kMaxViewsActive = 64;
/// Most on-demand peers a REPLY lists; the encoder lists the first ones only.
inline constexpr std::size_t kMaxViewsOnDemand = 64;
/// Largest passive-view size a REPLY may state.
inline constexpr std::uint64_t kMaxViewsCount = std::uint64_t{1} << 20U;
/// Largest encoded views message: what a REPLY at every bound takes, rounded up.
inline constexpr std::size_t kMaxViewsMessageSize = 40 * 1024;

/// A node in a REPLY's active view.
struct ViewsPeer {
  std::string name;     ///< is_valid_name()
  std::string address;  ///< ≤ kMaxViewsAddressSize bytes, may be empty
  bool operator==(const ViewsPeer&) const = default;
};

/// Asks the receiver for its views; the REPLY carries the same `request`.
struct ViewsRequest {
  std::uint64_t request = 0;  ///< < 2^62
  bool operator==(const ViewsRequest&) const = default;
};

/// The sender's views, answering REQUEST `request`.
struct ViewsReply {
  std::uint64_t request = 0;  ///< < 2^62
  std::string address;        ///< the sender's advertised address
  std::vector<ViewsPeer> active;
  std::uint64_t passive_size = 0;
  std::vector<std::string> on_demand;  ///< nodes linked outside the active view
  bool operator==(const ViewsReply&) const = default;
};

using ViewsMessage = std::variant<ViewsRequest, ViewsReply>;

/// The encoding of `message`. Lists over their bound are cut to it, an address over
/// kMaxViewsAddressSize is left empty and a passive size over kMaxViewsCount is stated as
/// kMaxViewsCount, so the result always decodes. Precondition: names are valid.
[[nodiscard]] core::Bytes encode_views(const ViewsMessage& message);

/// Decodes one whole views message.
/// Errors: protocol, "views message: <what>" (empty, larger than kMaxViewsMessageSize,
/// unknown type, truncated, a field or list over its bound, an invalid name, a non-minimal
/// varint, trailing bytes).
[[nodiscard]] Result<ViewsMessage> decode_views(core::ByteView bytes);

}  // namespace barrel_p2p::wire
