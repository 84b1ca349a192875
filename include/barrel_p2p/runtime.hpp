// barrel_p2p::Runtime: many nodes on a few event-loop threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "barrel_p2p/config.hpp"
#include "barrel_p2p/node.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

/// Settings of a Runtime.
struct RuntimeOptions {
  /// Event-loop threads (1-256). Nodes are spread over them round-robin.
  std::size_t loop_threads = 1;
  /// Each loop spins this long before sleeping (see Config::busy_poll, which a shared loop
  /// ignores: the loop's setting applies to all its nodes).
  std::chrono::microseconds busy_poll{0};
};

/// A set of event-loop threads that run many nodes, each with its own UDP socket, keys and
/// state: 1,000 nodes in one process need 2 threads, not 1,000. A node started here behaves
/// as one from Node::start; nodes on one loop take turns, so a blocking handler stalls them
/// all (use Placement::worker for handlers that block).
///
/// Thread-safe. The Runtime may be destroyed before its nodes: each node keeps its loop
/// thread running until it is destroyed itself.
class Runtime {
 public:
  /// Starts `options.loop_threads` loops. Errors: invalid_argument (loop_threads out of
  /// range), io (the kernel refused an epoll, timer or event descriptor).
  static Result<std::unique_ptr<Runtime>> create(RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Starts a node on the next loop (round-robin). Errors: as Node::start.
  Result<std::unique_ptr<Node>> start_node(Config config);
  /// Starts a node on loop `loop` (0 to loop_threads()-1). Errors: as Node::start, and
  /// invalid_argument for a loop out of range.
  Result<std::unique_ptr<Node>> start_node(Config config, std::size_t loop);
  /// The number of loop threads.
  [[nodiscard]] std::size_t loop_threads() const;

 private:
  struct Loops;
  explicit Runtime(std::unique_ptr<Loops> loops);
  std::unique_ptr<Loops> loops_;
};

}  // namespace barrel_p2p
