// Test support: many Membership cores on an in-memory network with instant delivery, a
// simulated clock and crashes. Used by the unit and property tests (not by the library).
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "proto/hyparview/membership.hpp"

namespace barrel_p2p::hyparview::testing_support {

class Net {
 public:
  struct Traced {
    std::string from;
    std::string to;
    Message message;
  };

  explicit Net(std::uint64_t seed, Config config = {}) : rng_(seed), config_(config) {}

  void add(const std::string& name) {
    nodes_[name] = std::make_unique<Membership>(config_, info(name), rng_);
  }
  [[nodiscard]] PeerInfo info(const std::string& name) const { return {name, name + ":1"}; }
  Membership& node(const std::string& name) { return *nodes_.at(name); }
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, node] : nodes_) {
      if (!crashed_.contains(name)) out.push_back(name);
    }
    return out;
  }
  [[nodiscard]] bool crashed(const std::string& name) const { return crashed_.contains(name); }

  /// Delivers every pending command and event until nothing moves (bounded). Each round
  /// collects what every node produced, then delivers it; everything in one round was sent at
  /// the same moment. A node closes a link the moment it outputs DropLink, so a message its
  /// peer sent toward it in the same round was in flight on the closing connection and is lost
  /// (as with a real connection); the node's own messages before the DropLink still arrive.
  void settle() {
    for (int round = 0; round < 10'000; ++round) {
      bool moved = false;
      for (auto& [name, node] : nodes_) {
        if (crashed_.contains(name)) continue;
        while (auto event = node->poll_event()) {
          events_[name].push_back(*event);
          moved = true;
        }
        while (auto command = node->poll_command()) {
          moved = true;
          // An aggregate: emplace_back(name, ...) needs C++20 parenthesised aggregate init,
          // which clang 14 (the fuzz and tidy compiler) lacks.
          pending_.push_back({name, std::move(*command)});  // NOLINT(modernize-use-emplace)
        }
      }
      closing_.clear();
      for (const auto& [from, command] : pending_) {
        if (const auto* drop = std::get_if<DropLink>(&command)) closing_.insert({from, drop->peer});
      }
      while (!pending_.empty()) {
        auto [from, command] = std::move(pending_.front());
        pending_.pop_front();
        deliver(from, std::move(command));
        moved = true;
      }
      if (!moved) return;
    }
  }

  /// Moves the clock by `step`, fires due timers, settles.
  void advance(core::Duration step) {
    now += step;
    for (auto& [name, node] : nodes_) {
      if (!crashed_.contains(name) && node->next_deadline() <= now) node->on_timeout(now);
    }
    settle();
  }
  void run_for(core::Duration total, core::Duration step = std::chrono::milliseconds(100)) {
    for (core::Duration t{0}; t < total; t += step) advance(step);
  }

  /// The node stops; every node linked to it sees its link go down.
  void crash(const std::string& name) {
    crashed_.insert(name);
    for (auto& [other, node] : nodes_) {
      if (other == name || crashed_.contains(other)) continue;
      if (links_.contains(link(other, name))) node->on_link_down(now, name);
    }
    std::erase_if(links_,
                  [&](const auto& pair) { return pair.first == name || pair.second == name; });
    settle();
  }

  /// The link between `a` and `b` breaks (both ends see it, as with a real connection).
  void cut(const std::string& a, const std::string& b) {
    if (a == b || links_.erase(link(a, b)) == 0) return;
    if (!crashed_.contains(a)) nodes_.at(a)->on_link_down(now, b);
    if (!crashed_.contains(b)) nodes_.at(b)->on_link_down(now, a);
    settle();
  }

  /// Nodes in different groups cannot reach each other: links across the cut break (both ends
  /// see it) and sends across it are unreachable. A node not named is in group 0; empty heals.
  void partition(const std::map<std::string, int>& group_of) {
    group_ = group_of;
    std::vector<std::pair<std::string, std::string>> across;
    for (const auto& [a, b] : links_) {
      if (group(a) != group(b)) across.emplace_back(a, b);
    }
    for (const auto& [a, b] : across) cut(a, b);
  }
  [[nodiscard]] int group(const std::string& name) const {
    auto it = group_.find(name);
    return it == group_.end() ? 0 : it->second;
  }
  /// Connected components of the active-view graph over live nodes.
  [[nodiscard]] std::size_t components() const {
    std::set<std::string> seen;
    std::size_t count = 0;
    for (const auto& start : names()) {
      if (!seen.insert(start).second) continue;
      ++count;
      std::vector<std::string> stack{start};
      while (!stack.empty()) {
        std::string current = stack.back();
        stack.pop_back();
        for (const auto& peer : nodes_.at(current)->active_view()) {
          if (!crashed_.contains(peer.name) && seen.insert(peer.name).second) {
            stack.push_back(peer.name);
          }
        }
      }
    }
    return count;
  }
  [[nodiscard]] const std::vector<MembershipEvent>& events(const std::string& name) {
    return events_[name];
  }

  template <typename T>
  [[nodiscard]] std::size_t events_of(const std::string& name) const {
    auto it = events_.find(name);
    if (it == events_.end()) return 0;
    return static_cast<std::size_t>(
        std::count_if(it->second.begin(), it->second.end(),
                      [](const auto& e) { return std::holds_alternative<T>(e); }));
  }

  // ---- invariants ----
  [[nodiscard]] bool bounded() const {
    for (const auto& [name, node] : nodes_) {
      if (crashed_.contains(name)) continue;
      if (node->active_view().size() > config_.active_size) return false;
      if (node->passive_view().size() > config_.passive_size) return false;
      for (const auto& peer : node->active_view()) {
        if (peer.name == name || node->is_passive(peer.name)) return false;
      }
      for (const auto& peer : node->passive_view()) {
        if (peer.name == name) return false;
      }
    }
    return true;
  }
  [[nodiscard]] bool symmetric() const {
    for (const auto& [name, node] : nodes_) {
      if (crashed_.contains(name)) continue;
      for (const auto& peer : node->active_view()) {
        if (crashed_.contains(peer.name) || !nodes_.at(peer.name)->is_active(name)) return false;
      }
    }
    return true;
  }
  [[nodiscard]] bool connected() const { return components() <= 1; }

  core::Instant now = core::Instant::from_nanos(1'000'000'000);
  std::vector<Traced> trace;
  std::vector<Traced> lost;
  std::vector<std::string>* journal =
      nullptr;  // when set, a line per delivery (debugging)  // messages that crossed a DropLink of
                // their receiver

 private:
  static std::pair<std::string, std::string> link(const std::string& a, const std::string& b) {
    return a < b ? std::pair{a, b} : std::pair{b, a};
  }

  void deliver(const std::string& from, Command command) {
    if (auto* drop = std::get_if<DropLink>(&command)) {
      if (journal) journal->push_back(from + " droplink " + drop->peer);
      if (links_.erase(link(from, drop->peer)) > 0 && !crashed_.contains(drop->peer)) {
        nodes_.at(drop->peer)->on_link_down(now, from);
      }
      return;
    }
    auto& send = std::get<Send>(command);
    if (closing_.contains({send.to.name, from})) {  // lost with the closing link
      if (journal) journal->push_back(from + " -> " + send.to.name + " LOST");
      lost.push_back({from, send.to.name, std::move(send.message)});
      return;
    }
    if (journal) {
      journal->push_back(from + " -> " + send.to.name + " " +
                         message_type_name(send.message.index()));
    }
    trace.push_back({from, send.to.name, send.message});
    auto target = nodes_.find(send.to.name);
    if (target == nodes_.end() || crashed_.contains(send.to.name) ||
        group(from) != group(send.to.name)) {
      nodes_.at(from)->on_unreachable(now, send.to.name);
      return;
    }
    links_.insert(link(from, send.to.name));
    target->second->on_message(now, from, std::move(send.message));
  }

  core::SeededRng rng_;
  Config config_;
  std::map<std::string, std::unique_ptr<Membership>> nodes_;
  std::map<std::string, std::vector<MembershipEvent>> events_;
  std::set<std::string> crashed_;
  std::map<std::string, int> group_;
  std::set<std::pair<std::string, std::string>> links_;
  std::set<std::pair<std::string, std::string>> closing_;  // (closer, peer) this round
  std::deque<std::pair<std::string, Command>> pending_;
};

}  // namespace barrel_p2p::hyparview::testing_support
