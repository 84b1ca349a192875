// docs/getting-started.md, "Many nodes in one process": the fragment runs as a function body.
// snippet-begin: runtime-include
#include <barrel_p2p/runtime.hpp>
// snippet-end: runtime-include

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <barrel_p2p/node.hpp>

namespace snippets {

int many_nodes() {
  // snippet-begin: runtime
  barrel_p2p::RuntimeOptions options;
  options.loop_threads = 2;  // 1 to 256
  auto runtime = barrel_p2p::Runtime::create(options);
  if (!runtime) return 1;
  std::vector<std::unique_ptr<barrel_p2p::Node>> nodes;
  for (int i = 0; i < 100; ++i) {
    barrel_p2p::Config config;
    config.node_name = "node-" + std::to_string(i);
    config.data_dir = "/tmp/many/" + config.node_name;  // one identity per node
    config.listen_address = "127.0.0.1:0";
    config.cluster_name = "hello";
    if (i > 0) config.membership.contacts = {nodes[0]->address()};
    auto node = (*runtime)->start_node(config);  // the next loop, round-robin
    if (!node) {
      std::fprintf(stderr, "start: %s\n", node.error().to_string().c_str());
      return 1;
    }
    nodes.push_back(std::move(node).value());
  }
  // snippet-end: runtime
  return 0;
}

}  // namespace snippets
