// The node's copy of the service registry for readers on any thread. The loop applies every
// service event (registered, unregistered, down) as it carries out the Engine's commands, so
// the table holds what the Engine's registry holds after each turn; lookups take a shared lock
// and never wait for the loop.
#pragma once

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "barrel_p2p/services.hpp"

namespace barrel_p2p::runtime {

class ServiceTable {
 public:
  /// Applies one event (loop thread).
  void apply(const ServiceEvent& event);
  /// Every instance under `name`, ordered by node name.
  [[nodiscard]] std::vector<ServiceInstance> lookup(std::string_view name) const;
  /// The instances under `name` whose process runs on `node`.
  [[nodiscard]] std::vector<ServiceInstance> lookup_on(std::string_view name,
                                                       std::string_view node) const;
  /// One instance under `name`: one on `local_node` when there is one, else one of the others
  /// picked by `pick` (a random number; the same number picks the same instance).
  [[nodiscard]] std::optional<ServiceInstance> choose(std::string_view name,
                                                      std::string_view local_node,
                                                      std::uint64_t pick) const;
  /// Names with an instance starting with `prefix`, ascending.
  [[nodiscard]] std::vector<std::string> list(std::string_view prefix) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::vector<ServiceInstance>, std::less<>> names_;
};

}  // namespace barrel_p2p::runtime
