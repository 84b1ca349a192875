// Helpers for integration tests: temporary data directories, node configs and event waits.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "barrel_p2p/node.hpp"

namespace barrel_p2p::testing {

using namespace std::chrono_literals;

/// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "barrel-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path sub(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// A loopback config with short timeouts suitable for tests.
inline Config test_config(const std::string& name, const std::filesystem::path& data_dir) {
  Config config;
  config.node_name = name;
  config.data_dir = data_dir;
  config.listen_address = "127.0.0.1:0";
  config.cluster_name = "test";
  config.log_level = "warn";
  // BARREL_TEST_LOG=debug (or trace, info) shows what the nodes did, to chase a rare failure.
  if (const char* level = std::getenv("BARREL_TEST_LOG"); level != nullptr && *level != 0) {
    config.log_level = level;
  }
  return config;
}

/// Starts a node or fails the test with the error.
inline std::unique_ptr<Node> start_node(Config config) {
  auto node = Node::start(std::move(config));
  EXPECT_TRUE(node) << (node ? "" : node.error().to_string());
  return node ? std::move(node).value() : nullptr;
}

/// Reads events from `node` until one of type T satisfies `predicate` or `timeout` passes.
/// Events of other kinds are kept in `skipped` (when given).
template <typename T, typename Predicate>
requires std::is_invocable_r_v<bool, Predicate, const T&> std::optional<T> wait_for(
    Node& node, Predicate predicate, std::chrono::milliseconds timeout = 10s,
    std::vector<Event>* skipped = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto event = node.next_event(std::max(left, 1ms));
    if (!event) continue;
    if (auto* match = std::get_if<T>(&*event); match != nullptr && predicate(*match)) {
      return std::move(*match);
    }
    if (skipped != nullptr) skipped->push_back(std::move(*event));
  }
  return std::nullopt;
}

template <typename T>
std::optional<T> wait_for(Node& node, std::chrono::milliseconds timeout = 10s) {
  return wait_for<T>(
      node, [](const T&) { return true; }, timeout);
}

/// Two nodes, alice (a) and bob (b), authenticated to each other: alice dialed, and bob has
/// reported PeerUp. Tests check `linked` first.
/// `configure` adjusts both test configs before the nodes start.
struct LinkedPair {
  explicit LinkedPair(const std::function<void(Config&)>& configure = {}) {
    auto config = [&](const std::string& name, const char* sub) {
      Config out = test_config(name, dir.sub(sub));
      if (configure) configure(out);
      return out;
    };
    a = start_node(config("alice", "a"));
    b = start_node(config("bob", "b"));
    linked = a && b && a->connect_and_wait(b->address(), 10s).has_value() &&
             wait_for<PeerUp>(*b).has_value();
  }
  TempDir dir;
  std::unique_ptr<Node> a;
  std::unique_ptr<Node> b;
  bool linked = false;
};

/// Polls `condition` every 5 ms until it holds or `timeout` passes; returns its last value.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

inline std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

inline std::string text_of(const std::vector<std::uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

}  // namespace barrel_p2p::testing
