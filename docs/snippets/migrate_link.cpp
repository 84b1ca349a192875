// docs/how-to/migrate-a-link.md.
#include <iostream>

#include <barrel_p2p/node.hpp>

using namespace std::chrono_literals;

namespace snippets {

void migrate(const barrel_p2p::Config& config_a, const barrel_p2p::Config& config_b) {
  // snippet-begin: migrate
  auto alice = barrel_p2p::Node::start(config_a).value();
  auto bob = barrel_p2p::Node::start(config_b).value();
  // alice dials (and so can migrate); value() on a failed Result is a bug: check it in real code
  auto peer = alice->connect_and_wait(bob->address(), 10s).value();

  // Messages keep flowing while the link moves; nothing is lost or reordered.
  if (auto moved = alice->migrate_peer("bob", 2s); !moved) {
    std::cerr << "migration failed: " << moved.error().to_string() << "\n";
  }
  // snippet-end: migrate
}

}  // namespace snippets
