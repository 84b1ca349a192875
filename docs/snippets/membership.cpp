// docs/concepts/membership.md: joining, watching the views, broadcasts.
#include <string>
#include <variant>
#include <vector>

#include <barrel_p2p/node.hpp>

using namespace barrel_p2p;

namespace snippets {

void log(const std::string& text);
void apply(const std::vector<std::uint8_t>& payload);

void join_and_views() {
  // snippet-begin: join
  Config config;                                   // ... node_name, data_dir, listen_address
  config.membership.contacts = {"10.0.0.1:4400"};  // tried at start, retried every second
  auto node = Node::start(config).value();
  (void)node->join("10.0.0.2:4400");  // or join explicitly (errors: bad address, closed)
  auto active = node->active_view();  // [{name, address}, ...] at most active_view_size
  auto passive = node->passive_view();
  auto linked = node->peers();  // every node we hold an authenticated link to now
  (void)node->leave();          // peers drop us at once (DISCONNECT, not a timeout)
  // snippet-end: join
}

void watch(Node* node) {
  // snippet-begin: events
  auto watch = node->on_membership_event([](const MembershipEvent& event) {
                     if (auto* up = std::get_if<NeighborUp>(&event)) log(up->node.name);
                   })
                   .value();
  // ...
  watch.cancel();  // no call after this returns (except one already running on the loop)
  // snippet-end: events
}

void broadcasts(Node* node, const std::vector<std::uint8_t>& bytes) {
  // snippet-begin: broadcast
  auto sub = node->subscribe("config", [](const BroadcastMessage& m) { apply(m.payload); });
  (void)node->broadcast("config", bytes);  // every node's "config" subscribers, exactly once
  sub->cancel();                           // stop receiving "config" here
  // snippet-end: broadcast
}

}  // namespace snippets
