// libFuzzer target: registry::decode_message on hostile bytes. An accepted envelope re-encodes
// to the same bytes, and its body (DELTA or STATE) goes through registry::decode() and a
// merge into a registry with small bounds, as the Engine does with peer frames; a ROUTE_REPLY's
// instances go through decode() and a RouteTable waiting for that walk, a ROUTE_REQUEST
// through the forwarding decision; a HEARTBEAT's node hides and shows its entries in a replica
// (the Engine's lease expiry and renewal); a STATE's exit causes go into a bounded memory.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.hpp"
#include "proto/registry/exit_causes.hpp"
#include "proto/registry/registry_message.hpp"
#include "proto/registry/route_table.hpp"
#include "proto/registry/service_registry.hpp"

namespace {
// A route message meets a RouteTable as the Engine's: a request the forwarding decision, a
// reply's instances (decoded with the delta limits) the walk waiting for its id.
void fuzz_route(const barrel_p2p::registry::Message& message) {
  namespace registry = barrel_p2p::registry;
  const auto now = barrel_p2p::core::Instant::from_nanos(1'000'000'000);
  registry::RouteConfig config;
  config.max_in_flight = 1;
  registry::RouteTable table(config, message.request_id);
  if (message.type == registry::Message::Type::route_request) {
    (void)table.on_request(now, message.origin, message.request_id, message.ttl, false);
    BARREL_ASSERT(table.on_request(now, message.origin, message.request_id, message.ttl, true) ==
                      registry::RouteDecision::drop,
                  "a duplicate request was not dropped");
    return;
  }
  auto delta = registry::decode(message.body, registry::Config{}.delta_limits());
  if (!delta) return;
  auto started = table.start(now, "svc", 0);
  BARREL_ASSERT(started.has_value(), "the first query was refused");
  std::vector<registry::RoutedInstance> instances;
  for (const registry::NodeSlice& slice : delta->nodes) {
    for (const registry::DeltaEntry& entry : slice.entries) {
      instances.push_back(registry::RoutedInstance{slice.node, entry});
    }
  }
  (void)table.on_reply(now, started->second.request_id, std::move(instances));
  BARREL_ASSERT(table.in_flight() <= 1, "the in-flight bound was exceeded");
}

// A heartbeat's node (any 1-64 bytes) meets a replica holding an entry of it: hiding and showing
// it leaves the state, and so the digest, as it was.
void fuzz_heartbeat(const barrel_p2p::registry::Message& message) {
  namespace registry = barrel_p2p::registry;
  using barrel_p2p::core::Bytes;
  const barrel_p2p::core::WallTime wall{1'000'000};
  registry::ServiceRegistry replica(registry::Config{}, "m", wall);
  const registry::Delta delta{{registry::NodeSlice{
      message.origin, {}, {}, {{barrel_p2p::hlc::Timestamp{1'000, 0}, "svc", Bytes{1}, {}}}}}};
  // This node's own entries are never hidden; a node that is not a valid name is refused.
  if (message.origin == replica.self() || !replica.merge(wall, delta)) return;
  const Bytes before = registry::encode(replica.export_state());
  if (replica.hide_node(message.origin)) {
    BARREL_ASSERT(replica.lookup("svc").empty(), "a hidden entry was visible");
  }
  (void)replica.show_node(message.origin);
  BARREL_ASSERT(registry::encode(replica.export_state()) == before, "hiding changed the state");
  BARREL_ASSERT(replica.lookup("svc").size() == 1, "a shown entry was not visible");
}
}  // namespace

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  namespace registry = barrel_p2p::registry;
  using barrel_p2p::core::Bytes;
  const barrel_p2p::core::ByteView input(data, size);
  auto message = registry::decode_message(input, 1 << 20);
  if (!message) return 0;
  const Bytes body(message->body.begin(), message->body.end());
  Bytes again;
  switch (message->type) {
    case registry::Message::Type::delta:
      again = registry::encode_delta_message(body, message->exit);
      break;
    case registry::Message::Type::digest:
      again = registry::encode_digest_message(message->digest);
      break;
    case registry::Message::Type::state:
      again = registry::encode_state_message(body, message->reply, message->causes);
      break;
    case registry::Message::Type::route_request:
      again = registry::encode_route_request(
          {message->request_id, message->ttl, message->origin, message->address, message->name});
      break;
    case registry::Message::Type::route_reply:
      again = registry::encode_route_reply(message->request_id, body);
      break;
    case registry::Message::Type::heartbeat:
      again = registry::encode_heartbeat(message->origin, message->stamp);
      break;
  }
  // Non-canonical exit texts are refused, so every accepted envelope has one encoding.
  BARREL_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data),
                "decode/encode round trip changed the bytes");
  if (message->type == registry::Message::Type::digest) return 0;
  if (message->type == registry::Message::Type::heartbeat) {
    fuzz_heartbeat(*message);
    return 0;
  }
  if (message->type == registry::Message::Type::route_request ||
      message->type == registry::Message::Type::route_reply) {
    fuzz_route(*message);
    return 0;
  }
  // A STATE's causes meet the Engine's memory of them: bounded whatever they hold.
  registry::RecentExitCauses causes(4, std::chrono::seconds(60));
  for (const registry::DotCause& cause : message->causes) {
    causes.remember(barrel_p2p::core::Instant{}, cause);
    BARREL_ASSERT(causes.find(cause.node, cause.stamp) != nullptr, "a cause was not kept");
  }
  BARREL_ASSERT(causes.size() <= 4, "the causes bound was exceeded");
  registry::Config config;
  config.max_names = 8;
  config.max_entries_per_name = 4;
  config.max_entries = 16;
  config.max_tombstones = 16;
  config.max_nodes = 8;
  registry::ServiceRegistry replica(config, "m", barrel_p2p::core::WallTime{1'000'000});
  const auto kind = message->type == registry::Message::Type::delta ? registry::Kind::delta
                                                                    : registry::Kind::state;
  (void)replica.merge_encoded(barrel_p2p::core::WallTime{1'000'000}, message->body, kind);
  BARREL_ASSERT(replica.entries() <= config.max_entries && replica.nodes() <= config.max_nodes,
                "a bound was exceeded");
  return 0;
}
