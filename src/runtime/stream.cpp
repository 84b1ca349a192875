// barrel_p2p::Stream: a handle that forwards to the node's driver (node_driver_streams.cpp).
#include "barrel_p2p/stream.hpp"

#include "runtime/node_driver.hpp"
#include "runtime/stream_state.hpp"

namespace barrel_p2p {

namespace {
const std::string kEmpty;
Unexpected empty_handle() { return fail(Errc::invalid_argument, "empty Stream handle"); }
Unexpected on_loop() {
  return fail(Errc::invalid_argument,
              "a blocking stream call would block the event loop; use the Future form");
}
}  // namespace

namespace detail {
void StreamReleaser::release(const std::shared_ptr<StreamState>& state) {
  std::lock_guard lock(mutex_);
  if (node_ != nullptr) node_->stream_released(state);
}

void StreamReleaser::detach() {
  std::lock_guard lock(mutex_);
  node_ = nullptr;
}
}  // namespace detail

Stream::Stream(NodeImpl* node, std::shared_ptr<detail::StreamHandle> handle)
    : node_(node), handle_(std::move(handle)), state_(handle_->state) {}

const std::string& Stream::peer() const { return state_ ? state_->peer : kEmpty; }
const std::string& Stream::tag() const { return state_ ? state_->tag : kEmpty; }
bool Stream::inbound() const { return state_ && state_->inbound; }

Future<std::size_t> Stream::write(BytesView data) {
  if (!state_) return Future<std::size_t>::ready(empty_handle());
  return node_->stream_write(state_, data);
}

Result<std::size_t> Stream::write(BytesView data, std::chrono::milliseconds timeout) {
  if (!state_) return empty_handle();
  if (detail::on_event_loop_thread()) return on_loop();
  auto future = node_->stream_write(state_, data);
  if (!future.wait_for(timeout)) node_->stream_cancel(state_, true);
  return future.get();
}

Future<Bytes> Stream::read(std::size_t max_bytes) {
  if (!state_) return Future<Bytes>::ready(empty_handle());
  if (max_bytes == 0) return Future<Bytes>::ready(fail(Errc::invalid_argument, "max_bytes is 0"));
  return node_->stream_read(state_, max_bytes);
}

Result<Bytes> Stream::read(std::size_t max_bytes, std::chrono::milliseconds timeout) {
  if (!state_) return empty_handle();
  if (max_bytes == 0) return fail(Errc::invalid_argument, "max_bytes is 0");
  if (detail::on_event_loop_thread()) return on_loop();
  auto future = node_->stream_read(state_, max_bytes);
  if (!future.wait_for(timeout)) node_->stream_cancel(state_, false);
  return future.get();
}

Result<void> Stream::finish() {
  if (!state_) return empty_handle();
  return node_->stream_finish(state_);
}

Result<void> Stream::reset(std::uint64_t code) {
  if (!state_) return empty_handle();
  return node_->stream_reset(state_, code);
}

}  // namespace barrel_p2p
