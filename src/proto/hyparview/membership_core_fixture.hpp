// Test fixture: one Membership core driven by hand, its outputs drained after each input
// (membership_trace_test.cpp, membership_remerge_test.cpp).
#pragma once

#include <string>
#include <vector>

#include "core/rng.hpp"
#include "proto/hyparview/membership.hpp"

namespace barrel_p2p::hyparview::testing_support {

using namespace std::chrono_literals;

inline PeerInfo peer(const std::string& name) { return {name, name + ":7000"}; }

// Settings for a test that drives the core by hand: no shuffle timer gets in the way.
inline Config quiet_config(std::size_t active_size) {
  Config config;
  config.active_size = active_size;
  config.shuffle_interval = std::chrono::hours(10);
  return config;
}

// A core under test plus helpers that drain its outputs after each input.
class Core {
 public:
  explicit Core(Config config = {}, std::uint64_t seed = 42)
      : rng_(seed), core_(config, peer("me"), rng_) {}

  Membership& operator*() { return core_; }
  Membership* operator->() { return &core_; }

  std::vector<Command> commands() {
    std::vector<Command> out;
    while (auto command = core_.poll_command()) out.push_back(std::move(*command));
    return out;
  }
  std::vector<MembershipEvent> events() {
    std::vector<MembershipEvent> out;
    while (auto event = core_.poll_event()) out.push_back(std::move(*event));
    return out;
  }
  /// Makes `names` active through high-priority NEIGHBOR requests, draining the answers.
  void make_active(const std::vector<std::string>& names) {
    for (const auto& name : names) core_.on_message(now, name, Neighbor{peer(name), true, false});
    commands();
    events();
  }
  /// Jumps to the next deadline and fires it; the commands it produced.
  std::vector<Command> fire_next() {
    now = core_.next_deadline();
    core_.on_timeout(now);
    return commands();
  }

  core::Instant now = core::Instant::from_nanos(5'000'000'000);

 private:
  core::SeededRng rng_;
  Membership core_;
};

}  // namespace barrel_p2p::hyparview::testing_support
