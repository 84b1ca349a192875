// docs/concepts/path-statistics.md.
#include <cstdio>

#include <barrel_p2p/node.hpp>

namespace snippets {

void print_path(barrel_p2p::Node* node) {
  // snippet-begin: path-stats
  auto path = node->path_stats("bob");
  if (!path) {
    // not_found: no authenticated link to bob (connect or send first); closed: node stopped
    std::fprintf(stderr, "%s\n", path.error().to_string().c_str());
  } else {
    const std::chrono::duration<double, std::milli> rtt = path->smoothed_rtt;
    std::printf("rtt %.3f ms over %s -> %s\n", rtt.count(), path->local_address.c_str(),
                path->remote_address.c_str());
  }
  // snippet-end: path-stats
}

}  // namespace snippets
