// NodeImpl: the service registry's API. Changes go through the Engine on the loop; reads use
// the ServiceTable the loop keeps in step with the Engine's registry, from any thread.
#include <atomic>

#include "runtime/node_driver.hpp"

namespace barrel_p2p {

namespace {
// A well-mixed number per call (splitmix64 of a counter) for choosing among instances.
std::uint64_t next_pick() {
  static std::atomic<std::uint64_t> counter{0x9e3779b97f4a7c15ULL};
  std::uint64_t z = counter.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}
}  // namespace

Result<void> NodeImpl::register_service(std::string_view name, const Pid& pid, BytesView metadata) {
  return call_on_loop([&] {
    auto done = engine_->register_service(now(), clock_.wall_now(), name, pid, metadata);
    drain_service_events();  // read-your-writes: lookups see it once this returns
    return done;
  });
}

Result<void> NodeImpl::unregister_service(std::string_view name) {
  return call_on_loop([&] {
    auto done = engine_->unregister_service(now(), name);
    drain_service_events();
    return done;
  });
}

std::vector<ServiceInstance> NodeImpl::lookup_service(std::string_view name) const {
  return services_.lookup(name);
}

std::vector<ServiceInstance> NodeImpl::lookup_local_service(std::string_view name) const {
  return services_.lookup_on(name, config_.node_name);
}

std::vector<std::string> NodeImpl::list_services(std::string_view prefix) const {
  return services_.list(prefix);
}

Result<ServiceInstance> NodeImpl::whereis_service(std::string_view name) const {
  if (auto instance = services_.choose(name, config_.node_name, next_pick())) {
    return std::move(*instance);
  }
  return fail(Errc::not_found, "no instance of service '" + std::string(name) + "' is known");
}

Future<ServiceInstance> NodeImpl::whereis_service(std::string_view name, std::uint32_t retries) {
  if (auto instance = services_.choose(name, config_.node_name, next_pick())) {
    return Future<ServiceInstance>::ready(std::move(*instance));
  }
  Promise<ServiceInstance> promise;
  auto future = promise.future();
  auto started = on_loop([this, promise, name = std::string(name), retries] {
    auto query = engine_->find_service(now(), name, retries);
    if (!query) {
      promise.set(Unexpected(std::move(query).error()));
    } else if (!query->found.empty()) {
      promise.set(std::move(query->found[next_pick() % query->found.size()]));
    } else {
      service_promises_.emplace(query->query, promise);
    }
  });
  if (!started) promise.set(Unexpected(std::move(started).error()));
  return future;
}

bool NodeImpl::complete_service_queries() {
  bool ran = false;
  while (!service_found_.empty()) {
    node::ServiceFound found = std::move(service_found_.front());
    service_found_.pop_front();
    auto it = service_promises_.find(found.query);
    if (it == service_promises_.end()) continue;
    Promise<ServiceInstance> promise = std::move(it->second);
    service_promises_.erase(it);
    ran = true;
    if (!found.found) {
      promise.set(Unexpected(std::move(found.found).error()));
    } else if (found.found->empty()) {
      promise.set(fail(Errc::not_found, "the overlay's answer holds no usable instance"));
    } else {
      promise.set(std::move((*found.found)[next_pick() % found.found->size()]));
    }
  }
  return ran;
}

Result<Subscription> NodeImpl::subscribe_services(
    ServiceFilter filter, std::function<void(const ServiceEvent&)> handler) {
  if (!handler) return fail(Errc::invalid_argument, "subscribe_services: no handler");
  if (stopped_.load()) return fail(Errc::closed, "node stopped");
  const std::uint64_t id = subscriptions_->add_services(std::move(filter), std::move(handler));
  return subscription_of(id);
}

Result<void> NodeImpl::send_service(const Pid& from, std::string_view name, BytesView payload) {
  auto instance = whereis_service(name);
  if (!instance) return Unexpected(instance.error());
  return process_send(from, instance->pid, payload);
}

Future<Bytes> NodeImpl::call_service(const Pid& from, std::string_view name, BytesView request,
                                     std::chrono::milliseconds timeout) {
  auto instance = whereis_service(name);
  if (!instance) return Future<Bytes>::ready(Unexpected(instance.error()));
  return process_call(from, instance->pid, request, timeout);
}

void NodeImpl::drain_service_events() {
  while (auto event = engine_->poll_service_event()) {
    services_.apply(*event);  // before any user code of this turn runs
    user_work_.emplace_back(node::EmitService{std::move(*event)});
  }
  while (auto found = engine_->poll_service_found()) service_found_.push_back(std::move(*found));
}

}  // namespace barrel_p2p
