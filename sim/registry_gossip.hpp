// Test helper: a Plumtree GOSSIP frame under the registry's reserved tag, as a hostile node
// would send it on its links (registry_input_test, registry_lease_test).
#pragma once

#include <cstdint>
#include <string>

#include "core/bytes.hpp"
#include "proto/plumtree/plumtree_message.hpp"
#include "wire/link_frame.hpp"

namespace barrel_p2p::sim {

/// A broadcast frame carrying `payload` under "barrel_p2p:registry" from `origin`; `serial`
/// and `fill` make its message id (distinct pairs, distinct ids).
inline core::Bytes registry_gossip_frame(std::uint8_t serial, const std::string& origin,
                                         core::Bytes payload, std::uint8_t fill = 0xa5) {
  plumtree::Gossip gossip;
  gossip.id.bytes.fill(fill);
  gossip.id.bytes[0] = serial;
  gossip.round = 0;
  gossip.origin = origin;
  gossip.tag = "barrel_p2p:registry";
  gossip.payload = std::move(payload);
  core::Bytes frame;
  wire::encode_frame(frame, wire::FrameType::broadcast, plumtree::encode(gossip));
  return frame;
}

}  // namespace barrel_p2p::sim
