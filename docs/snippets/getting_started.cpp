// docs/getting-started.md: its first program (built as the `snippet_hello` program) and the
// Runtime fragment. The text between the snippet markers is the doc's code block, checked by
// scripts/check-doc-snippets.py.
// snippet-begin: hello
#include <cstdio>
#include <string>
#include <vector>

#include <barrel_p2p/node.hpp>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  // usage: hello <name> <data-dir> <listen host:port> [peer host:port]
  if (argc < 4) return 2;
  barrel_p2p::Config config;
  config.node_name = argv[1];
  config.data_dir = argv[2];
  config.listen_address = argv[3];
  config.cluster_name = "hello";

  auto node = barrel_p2p::Node::start(config);
  if (!node) {
    std::fprintf(stderr, "start: %s\n", node.error().to_string().c_str());
    return 1;
  }
  std::printf("%s on %s, key %s\n", (*node)->name().c_str(), (*node)->address().c_str(),
              (*node)->fingerprint().c_str());

  if (argc > 4) {
    auto peer = (*node)->connect_and_wait(argv[4], 5s);
    if (!peer) {
      std::fprintf(stderr, "connect: %s\n", peer.error().to_string().c_str());
      return 1;
    }
    const std::string text = "hello from " + (*node)->name();
    const std::vector<std::uint8_t> payload(text.begin(), text.end());
    if (auto sent = (*node)->send(*peer, barrel_p2p::Channel::data, payload); !sent) {
      std::fprintf(stderr, "send: %s\n", sent.error().to_string().c_str());
    }
  }

  for (;;) {  // print events until none arrive for 30 s
    auto event = (*node)->next_event(30s);
    if (!event) break;
    if (auto* up = std::get_if<barrel_p2p::PeerUp>(&*event)) {
      std::printf("up: %s %s\n", up->peer.c_str(), up->fingerprint.c_str());
    } else if (auto* message = std::get_if<barrel_p2p::Message>(&*event)) {
      std::printf("from %s: %.*s\n", message->peer.c_str(),
                  static_cast<int>(message->payload.size()),
                  reinterpret_cast<const char*>(message->payload.data()));
    } else if (auto* down = std::get_if<barrel_p2p::PeerDown>(&*event)) {
      std::printf("down: %s (%s)\n", down->peer.c_str(), down->reason.c_str());
    } else if (auto* failure = std::get_if<barrel_p2p::AuthFailure>(&*event)) {
      std::printf("auth failed with %s: %s\n", failure->address.c_str(), failure->reason.c_str());
    }
  }
  (*node)->stop();  // says goodbye to every peer, then closes
}
// snippet-end: hello
