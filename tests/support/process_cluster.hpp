// Helpers for process tests: nodes that find each other through a shared endpoint directory
// (on-demand connections, no explicit connect), and small reusable process behaviours.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "barrel_p2p/node.hpp"
#include "support/test_support.hpp"

namespace barrel_p2p::testing {

/// `count` nodes named n0, n1, ... sharing one endpoint directory.
class ProcessCluster {
 public:
  explicit ProcessCluster(std::size_t count, const std::function<void(Config&)>& tune = {}) {
    for (std::size_t i = 0; i < count; ++i) {
      Config config = test_config("n" + std::to_string(i), dir.sub("n" + std::to_string(i)));
      config.endpoint_dir = dir.sub("endpoints");
      if (tune) tune(config);
      nodes.push_back(start_node(std::move(config)));
      ok = ok && nodes.back() != nullptr;
    }
  }
  Node& operator[](std::size_t i) { return *nodes[i]; }

  TempDir dir;
  std::vector<std::unique_ptr<Node>> nodes;
  bool ok = true;
};

/// Replies "pong:<request>" to calls; answers a message by sending it back to its sender.
inline Handler echo_handler() {
  return [](Process& self, Envelope&& message) {
    if (message.kind == EnvelopeKind::call) {
      std::string reply = "pong:" + text_of(message.payload);
      (void)self.reply(message, bytes_of(reply));
    } else if (message.kind == EnvelopeKind::message) {
      (void)self.send(message.from, message.payload);
    }
  };
}

/// A handler that ends its process when it receives "stop" (normal) or "crash" (user reason).
inline Handler stoppable_handler() {
  return [](Process& self, Envelope&& message) {
    std::string text = text_of(message.payload);
    if (text == "stop") self.stop();
    if (text == "crash") self.stop(ExitReason::user("crashed on purpose"));
  };
}

inline std::vector<std::uint8_t> u64_bytes(std::uint64_t value) {
  std::vector<std::uint8_t> out(8);
  std::memcpy(out.data(), &value, 8);
  return out;
}

inline std::uint64_t u64_of(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t value = 0;
  if (bytes.size() >= 8) std::memcpy(&value, bytes.data(), 8);
  return value;
}

}  // namespace barrel_p2p::testing
