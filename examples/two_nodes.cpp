// Two nodes, one process each side of a "greeter" service: the worked example of
// docs/how-to/two-node-messaging.md.
//
//   two_nodes greeter DATA_DIR [LISTEN [ADVERTISE]]
//       prints "greeter at <address>", serves until killed; LISTEN is the UDP address to bind
//       (default 127.0.0.1:0), ADVERTISE the one visitors dial when LISTEN is a wildcard
//   two_nodes visitor DATA_DIR ADDRESS [--watch]
//       calls the greeter at ADDRESS, prints the replies; --watch then waits up to 60 s for
//       the greeter to go down and prints the DOWN's reason
//   two_nodes both DATA_DIR                  # both nodes in this process (used as a test)
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include <barrel_p2p/codec.hpp>
#include <barrel_p2p/node.hpp>

using namespace barrel_p2p;
using namespace std::chrono_literals;

namespace {

Config config_for(const std::string& name, const std::string& data_dir) {
  Config config;
  config.node_name = name;
  config.data_dir = data_dir + "/" + name;
  config.cluster_name = "example";
  config.log_level = "warn";
  return config;
}

// The greeter: answers calls with a greeting, counts visitors in a registered process.
std::unique_ptr<Node> start_greeter(const std::string& data_dir, const std::string& listen = "",
                                    const std::string& advertise = "") {
  Config config = config_for("greeter", data_dir);
  if (!listen.empty()) config.listen_address = listen;
  config.membership.advertise_address = advertise;
  auto node = Node::start(config);
  if (!node) {
    std::cerr << "greeter: " << node.error().to_string() << "\n";
    return nullptr;
  }
  SpawnOptions options;
  options.name = "greeter";  // reachable as ("greeter", "greeter") from any node
  auto count = std::make_shared<int>(0);
  auto greeter = (*node)->spawn(
      [count](Process& self, Envelope&& message) {
        if (message.kind != EnvelopeKind::call) return;
        auto name = decode_as<std::string>(message).value_or("stranger");
        std::string greeting = "hello " + name + ", you are visitor " + std::to_string(++*count);
        (void)self.reply(message, encode(greeting));
      },
      options);
  if (!greeter) {
    std::cerr << "greeter: " << greeter.error().to_string() << "\n";
    return nullptr;
  }
  // A remote function that tells visitors the greeter's pid.
  auto pid = *greeter;
  (void)(*node)->register_function("greeter_pid",
                                   [pid](BytesView) -> Result<Bytes> { return pid.serialize(); });
  return std::move(node).value();
}

int visit(const std::string& data_dir, const std::string& greeter_address, bool watch = false) {
  auto node = Node::start(config_for("visitor", data_dir));
  if (!node) {
    std::cerr << "visitor: " << node.error().to_string() << "\n";
    return 1;
  }
  (void)(*node)->add_address("greeter", greeter_address);
  auto me = (*node)->mailbox().value();
  // 1. rpc: ask the greeter node for its service's pid (connects on demand).
  auto pid_bytes = (*node)->rpc("greeter", "greeter_pid", {}, 5s).get();
  if (!pid_bytes) {
    std::cerr << "visitor: rpc failed: " << pid_bytes.error().to_string() << "\n";
    return 1;
  }
  Pid greeter = Pid::deserialize(*pid_bytes).value();
  // 2. monitor it, then call it twice.
  auto ref = me->monitor(greeter).value();
  for (std::string name : {"ada", "grace"}) {
    auto reply = me->call(greeter, encode(name), 5s).get();
    if (!reply) {
      std::cerr << "visitor: call failed: " << reply.error().to_string() << "\n";
      return 1;
    }
    std::cout << decode<std::string>(*reply).value() << "\n";
  }
  // 3. no DOWN arrived: the greeter is alive.
  auto down = me->receive_if([&](const Envelope& e) { return e.monitor == ref; }, 100ms);
  std::cout << (down ? "greeter went down" : "greeter still up") << std::endl;
  if (watch && !down) {
    // 4. stop the greeter now: exactly one DOWN arrives (noconnection, or shutdown when the
    // greeter stopped cleanly and said so).
    down = me->receive_if([&](const Envelope& e) { return e.monitor == ref; }, 60s);
    if (!down) {
      std::cerr << "visitor: no DOWN within 60 s\n";
      return 1;
    }
    std::cout << "greeter went down: " << down->reason.to_string() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "greeter" && argc >= 3 && argc <= 5) {
    auto node = start_greeter(argv[2], argc > 3 ? argv[3] : "", argc > 4 ? argv[4] : "");
    if (!node) return 1;
    std::cout << "greeter at " << node->address() << std::endl;
    while (true) std::this_thread::sleep_for(1s);
  }
  if (mode == "visitor" && argc == 4) return visit(argv[2], argv[3]);
  if (mode == "visitor" && argc == 5 && std::string(argv[4]) == "--watch") {
    return visit(argv[2], argv[3], true);
  }
  if (mode == "both" && argc == 3) {
    auto greeter = start_greeter(argv[2]);
    if (!greeter) return 1;
    return visit(argv[2], greeter->address());
  }
  std::cerr << "usage: two_nodes greeter DIR [LISTEN [ADVERTISE]] | visitor DIR ADDRESS "
               "[--watch] | both DIR\n";
  return 2;
}
