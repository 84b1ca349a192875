// docs/concepts/services.md.
#include <barrel_p2p/node.hpp>

using namespace barrel_p2p;
using namespace std::chrono_literals;

namespace snippets {

void services(Node& node, Node& other_node, const Handler& handler, BytesView metadata,
              BytesView request) {
  // snippet-begin: services
  auto pid = node.spawn(handler);
  (void)node.register_service("db.primary", *pid, metadata);  // visible everywhere shortly
  auto reply = other_node.call_service("db.primary", request, 1s).get();
  auto all = other_node.lookup_service("db.primary");  // every instance, any node
  auto sub = other_node.subscribe_services(ServiceFilter::starting_with("db."),
                                           [](const ServiceEvent&) { /* registered, ... */ });
  // snippet-end: services
}

}  // namespace snippets
