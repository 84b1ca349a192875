// The example relay of docs/how-to/relay-a-connection.md, as a program:
//
//   udp_relay relay LISTEN        # runs the relay at LISTEN ("127.0.0.1:9000") until SIGINT/TERM
//   udp_relay gateway RELAY SESSION NODE
//                                 # the accepting node's side: registers SESSION at RELAY and
//                                 # forwards it to the node listening at NODE, until SIGINT/TERM
//   udp_relay demo DATA_DIR       # a relay, two nodes and a gateway in this process: node "a"
//                                 # dials node "b" through the relay (used as a test)
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <barrel_p2p/node.hpp>

#include "udp_relay_adapter.hpp"
#include "udp_relay_server.hpp"

using namespace barrel_p2p;
using namespace std::chrono_literals;

namespace {

void wait_for_signal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  (void)sigwait(&signals, &received);
}

Config config_for(const std::string& name, const std::string& data_dir) {
  Config config;
  config.node_name = name;
  config.data_dir = data_dir + "/" + name;
  config.listen_address = "127.0.0.1:0";
  config.cluster_name = "relay-example";
  config.log_level = "warn";
  return config;
}

int demo(const std::string& data_dir) {
  auto relay = relay_example::UdpRelay::start({});
  auto b = Node::start(config_for("b", data_dir));
  auto a = Node::start(config_for("a", data_dir));
  if (!relay || !a || !b) {
    std::cerr << "demo: could not start the relay or the nodes\n";
    return 1;
  }
  constexpr std::uint64_t kSession = 42;
  // b's side: a gateway next to b passes the session's datagrams to b's UDP port.
  auto gateway =
      relay_example::UdpRelayGateway::start((*relay)->address(), kSession, (*b)->address());
  if (!gateway) {
    std::cerr << "demo: gateway: " << gateway.error().to_string() << "\n";
    return 1;
  }
  // a's side: the next connection to b runs over the adapter instead of a's UDP socket.
  ConnectOptions options;
  options.transport =
      std::make_shared<relay_example::UdpRelayAdapter>((*relay)->address(), kSession);
  if (auto set = (*a)->set_connect_options("b", options); !set) {
    std::cerr << "demo: " << set.error().to_string() << "\n";
    return 1;
  }
  auto peer = (*a)->connect_and_wait((*b)->contact(), 10s);
  if (!peer) {
    std::cerr << "demo: connect: " << peer.error().to_string() << "\n";
    return 1;
  }
  const std::string text = "hello through the relay";
  (void)(*a)->send("b", Channel::data,
                   {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  for (int i = 0; i < 100; ++i) {
    auto event = (*b)->next_event(100ms);
    auto* message = event ? std::get_if<Message>(&*event) : nullptr;
    if (message == nullptr) continue;
    auto path = (*a)->path_stats("b");
    std::cout << "b got \"" << std::string(message->payload.begin(), message->payload.end())
              << "\" from " << message->peer
              << "; a's path to b: " << (path ? path->local_address : std::string("?")) << " -> "
              << (path ? path->remote_address : std::string("?")) << "; the relay forwarded "
              << (*relay)->forwarded() << " datagrams\n";
    return 0;
  }
  std::cerr << "demo: b got no message\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "demo" && argc == 3) return demo(argv[2]);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: sigwait gets them
  if (mode == "relay" && argc == 3) {
    relay_example::UdpRelay::Options options;
    options.listen = argv[2];
    auto relay = relay_example::UdpRelay::start(options);
    if (!relay) {
      std::cerr << "relay: " << relay.error().to_string() << "\n";
      return 1;
    }
    std::cout << "relay at " << (*relay)->address() << std::endl;
    wait_for_signal();
    return 0;
  }
  if (mode == "gateway" && argc == 5) {
    auto gateway = relay_example::UdpRelayGateway::start(
        argv[2], std::strtoull(argv[3], nullptr, 10), argv[4]);
    if (!gateway) {
      std::cerr << "gateway: " << gateway.error().to_string() << "\n";
      return 1;
    }
    wait_for_signal();
    return 0;
  }
  std::cerr << "usage: udp_relay relay LISTEN | gateway RELAY SESSION NODE | demo DATA_DIR\n";
  return 2;
}
