#include "runtime/loop_thread.hpp"

#include <future>

#include "core/assert.hpp"

namespace barrel_p2p {

namespace {
thread_local bool loop_thread_flag = false;
}  // namespace

namespace detail {
bool on_event_loop_thread() { return loop_thread_flag; }
}  // namespace detail

namespace runtime {

bool on_any_loop_thread() { return loop_thread_flag; }

Result<std::shared_ptr<LoopThread>> LoopThread::start(const EventLoopOptions& options) {
  auto loop = EventLoop::create(options);
  if (!loop) return Unexpected(loop.error());
  std::shared_ptr<LoopThread> self(new LoopThread(std::move(loop).value()));
  std::promise<void> running;
  auto started = running.get_future();
  LoopThread* raw = self.get();
  self->thread_ = std::thread([raw, &running] {
    loop_thread_flag = true;
    raw->thread_id_.store(std::this_thread::get_id(), std::memory_order_release);
    running.set_value();
    raw->loop_->run();
  });
  started.wait();
  return self;
}

LoopThread::~LoopThread() {
  BARREL_ASSERT(!in_loop_thread(), "a LoopThread cannot be destroyed on its own thread");
  loop_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace runtime
}  // namespace barrel_p2p
