// barrel_p2p::Runtime: a fixed set of LoopThreads; nodes are placed on them round-robin.
#include "barrel_p2p/runtime.hpp"

#include <atomic>
#include <vector>

#include "runtime/loop_thread.hpp"
#include "runtime/node_driver.hpp"

namespace barrel_p2p {

namespace {
constexpr std::size_t kMaxLoopThreads = 256;
}  // namespace

struct Runtime::Loops {
  std::vector<std::shared_ptr<runtime::LoopThread>> threads;
  std::atomic<std::size_t> next{0};
};

Result<std::unique_ptr<Runtime>> Runtime::create(RuntimeOptions options) {
  if (options.loop_threads == 0 || options.loop_threads > kMaxLoopThreads) {
    return fail(Errc::invalid_argument, "loop_threads must be 1-" +
                                            std::to_string(kMaxLoopThreads) + ", not " +
                                            std::to_string(options.loop_threads));
  }
  auto loops = std::make_unique<Loops>();
  runtime::EventLoopOptions loop_options;
  loop_options.spin_before_sleep = options.busy_poll;
  for (std::size_t i = 0; i < options.loop_threads; ++i) {
    auto thread = runtime::LoopThread::start(loop_options);
    if (!thread) return Unexpected(thread.error());
    loops->threads.push_back(std::move(thread).value());
  }
  return std::unique_ptr<Runtime>(new Runtime(std::move(loops)));
}

Runtime::Runtime(std::unique_ptr<Loops> loops) : loops_(std::move(loops)) {}
Runtime::~Runtime() = default;

std::size_t Runtime::loop_threads() const { return loops_->threads.size(); }

Result<std::unique_ptr<Node>> Runtime::start_node(Config config) {
  const std::size_t loop = loops_->next.fetch_add(1) % loops_->threads.size();
  return start_node(std::move(config), loop);
}

Result<std::unique_ptr<Node>> Runtime::start_node(Config config, std::size_t loop) {
  if (loop >= loops_->threads.size()) {
    return fail(Errc::invalid_argument, "no loop " + std::to_string(loop) + " (the runtime has " +
                                            std::to_string(loops_->threads.size()) + ")");
  }
  auto impl = NodeImpl::create(std::move(config), loops_->threads[loop]);
  if (!impl) return Unexpected(impl.error());
  return std::unique_ptr<Node>(new Node(std::move(impl).value()));
}

}  // namespace barrel_p2p
