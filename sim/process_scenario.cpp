#include "sim/process_scenario.hpp"

#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "sim/simulation.hpp"

namespace barrel_p2p::sim {

namespace {

using namespace std::chrono_literals;

constexpr core::Duration kStep = 25ms;
constexpr core::Duration kCallTimeout = 1s;
// After the last operation: partition healed, calls timed out, every loss detected (4 s),
// dials failed (3 s), retired duplicate links gone (10 s) and repairs made, with room to spare.
constexpr core::Duration kQuiet = 60s;
// A crashed node restarts at the earliest this long after its crash: after its peers saw it
// go (detect_delay, 4 s). See run_process_scenario() for earlier restarts.
constexpr core::Duration kRestartAfter = 6s;

core::Bytes number_bytes(std::uint64_t value) {
  core::Bytes out(sizeof value);
  std::memcpy(out.data(), &value, sizeof value);
  return out;
}

std::uint64_t bytes_number(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t value = 0;
  if (bytes.size() == sizeof value) std::memcpy(&value, bytes.data(), sizeof value);
  return value;
}

class Workload final : public ProcessObserver {
 public:
  Workload(Simulation& simulation, std::uint64_t seed, std::size_t processes, bool early_restarts)
      : sim_(simulation),
        rng_(seed * 6151 + 3),
        processes_(processes),
        early_restarts_(early_restarts) {
    sim_.set_process_observer(this);
  }
  ~Workload() override { sim_.set_process_observer(nullptr); }
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  void spawn_all(std::size_t node);
  void step();
  void heal() { sim_.partition({}); }
  void check_end();
  ProcessOutcome outcome() const { return outcome_; }

  // ProcessObserver
  void delivered(std::size_t node, std::uint64_t process, const Envelope& envelope) override;
  void ended(std::size_t node, std::uint64_t process, const ExitReason& reason) override;
  void call_done(std::size_t node, std::uint64_t ref, const Result<core::Bytes>& result) override;

 private:
  struct CallRecord {
    core::Bytes request;
    int done = 0;
  };
  using CallKey = std::tuple<std::size_t, std::uint64_t, std::uint64_t>;  // node, run, ref
  using LinkCounts = std::map<std::pair<Pid, Pid>, int>;  // (receiver, from) -> exits

  Pid pid_of(std::size_t node, std::uint64_t process) {
    return Pid{sim_.name(node), process, sim_.engine(node).processes().incarnation()};
  }
  std::optional<Pid> pick_live();
  void problem(const std::string& text) {
    if (outcome_.problem.empty()) outcome_.problem = text;
  }
  void send();
  void call();
  void monitor();
  void link();
  void end_one();
  void crash_one();
  void restart_one();
  void partition();

  Simulation& sim_;  // outlives this object
  core::SeededRng rng_;
  std::size_t processes_;
  bool early_restarts_;
  std::map<Pid, std::size_t> node_of_;
  std::set<Pid> live_;
  std::map<std::pair<Pid, Pid>, std::uint64_t> sent_;      // (from, to) -> last seq sent
  std::map<std::pair<Pid, Pid>, std::uint64_t> received_;  // (from, to) -> last seq seen
  std::map<std::pair<Pid, std::uint64_t>, std::pair<Pid, int>> monitors_;  // -> target, downs
  std::map<std::pair<Pid, Pid>, Pid> links_;  // (smaller, larger) -> the one that linked
  LinkCounts exits_;
  std::map<CallKey, CallRecord> calls_;
  std::map<std::size_t, core::Instant> crashed_at_;
  bool partitioned_ = false;
  ProcessOutcome outcome_;
};

void Workload::spawn_all(std::size_t node) {
  for (std::size_t i = 0; i < processes_; ++i) {
    const Pid pid = sim_.engine(node).processes().spawn(true);  // traps exits: they arrive
    node_of_[pid] = node;
    live_.insert(pid);
  }
}

std::optional<Pid> Workload::pick_live() {
  if (live_.empty()) return std::nullopt;
  auto it = live_.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(rng_.uniform(live_.size())));
  return *it;
}

void Workload::step() {
  const std::uint64_t roll = rng_.uniform(1000);
  if (roll < 300) {
    send();
  } else if (roll < 450) {
    call();
  } else if (roll < 600) {
    monitor();
  } else if (roll < 700) {
    link();
  } else if (roll < 750) {
    end_one();
  } else if (roll < 765) {
    crash_one();
  } else if (roll < 800) {
    restart_one();
  } else if (roll < 808) {
    partition();
  } else if (roll < 840 && partitioned_) {
    heal();
    partitioned_ = false;
  }
}

void Workload::send() {
  auto from = pick_live();
  auto to = pick_live();
  if (!from || !to || *from == *to) return;
  const std::size_t node = node_of_.at(*from);
  const std::uint64_t seq = ++sent_[{*from, *to}];
  if (sim_.engine(node).processes().send(*from, *to, number_bytes(seq))) ++outcome_.messages_sent;
  sim_.drain(node);
}

void Workload::call() {
  auto from = pick_live();
  auto to = pick_live();
  if (!from || !to || *from == *to) return;
  const std::size_t node = node_of_.at(*from);
  core::Bytes request = number_bytes(rng_.next_u64());
  request.front() = rng_.uniform(5) == 0 ? 1 : 0;  // 1: the callee ignores it (a timeout)
  auto& engine = sim_.engine(node);
  const std::uint64_t ref = engine.call(sim_.now(), *from, *to, request, kCallTimeout);
  calls_[{node, engine.processes().incarnation(), ref}] = CallRecord{request, 0};
  ++outcome_.calls;
  sim_.drain(node);
}

void Workload::monitor() {
  auto watcher = pick_live();
  auto target = pick_live();
  if (!watcher || !target || *watcher == *target) return;
  const std::size_t node = node_of_.at(*watcher);
  auto ref = sim_.engine(node).processes().monitor(*watcher, *target);
  if (ref) {
    monitors_[{*watcher, ref->value}] = {*target, 0};
    ++outcome_.monitors;
  }
  sim_.drain(node);  // a DOWN (noproc) may come at once: the monitor is recorded first
}

void Workload::link() {
  auto a = pick_live();
  auto b = pick_live();
  if (!a || !b || *a == *b) return;
  const auto key = *a < *b ? std::pair{*a, *b} : std::pair{*b, *a};
  if (links_.contains(key)) return;
  const std::size_t node = node_of_.at(*a);
  if (sim_.engine(node).processes().link(*a, *b)) {
    links_.emplace(key, *a);
    ++outcome_.links;
  }
  sim_.drain(node);
}

void Workload::end_one() {
  auto pid = pick_live();
  if (!pid) return;
  const std::size_t node = node_of_.at(*pid);
  live_.erase(*pid);
  sim_.engine(node).processes().end_process(*pid, ExitReason::user("ended by the scenario"));
  sim_.drain(node);
}

void Workload::crash_one() {
  if (sim_.live_count() * 3 <= sim_.size() * 2) return;  // keep two thirds running
  const auto node = static_cast<std::size_t>(rng_.uniform(sim_.size()));
  if (!sim_.alive(node)) return;
  const std::uint64_t run = sim_.engine(node).processes().incarnation();
  std::erase_if(live_,
                [&](const Pid& pid) { return node_of_.at(pid) == node && pid.incarnation == run; });
  sim_.crash(node);
  crashed_at_[node] = sim_.now();
  ++outcome_.crashes;
}

void Workload::restart_one() {
  const auto node = static_cast<std::size_t>(rng_.uniform(sim_.size()));
  if (sim_.alive(node)) return;
  if (!early_restarts_ && sim_.now() - crashed_at_[node] < kRestartAfter) return;
  std::size_t contact = node;
  for (std::size_t i = 0; i < sim_.size() && contact == node; ++i) {
    if (sim_.alive(i)) contact = i;
  }
  if (contact == node) return;
  sim_.restart(node, contact);
  spawn_all(node);
}

void Workload::partition() {
  if (partitioned_) return;
  std::vector<int> groups(sim_.size());
  for (std::size_t i = 0; i < groups.size(); ++i) groups[i] = static_cast<int>(rng_.uniform(2));
  groups[0] = 0;
  groups[1] = 1;  // both sides hold a node
  sim_.partition(groups);
  partitioned_ = true;
  ++outcome_.partitions;
}

// ---- observer ----------------------------------------------------------------------------

void Workload::delivered(std::size_t node, std::uint64_t process, const Envelope& envelope) {
  const Pid self = pid_of(node, process);
  switch (envelope.kind) {
    case EnvelopeKind::message: {
      ++outcome_.messages_received;
      const std::uint64_t seq = bytes_number(envelope.payload);
      std::uint64_t& last = received_[{envelope.from, self}];
      if (seq <= last) {
        problem("FIFO: " + self.to_string() + " got message " + std::to_string(seq) + " from " +
                envelope.from.to_string() + " after " + std::to_string(last));
      }
      last = std::max(last, seq);
      return;
    }
    case EnvelopeKind::call: return;  // the driver answers it
    case EnvelopeKind::down: {
      ++outcome_.downs;
      auto it = monitors_.find({self, envelope.monitor.value});
      if (it == monitors_.end()) {
        problem("DOWN for an unknown monitor at " + self.to_string());
      } else if (++it->second.second > 1) {
        problem("second DOWN for monitor " + std::to_string(envelope.monitor.value) + " of " +
                self.to_string() + " on " + it->second.first.to_string());
      }
      return;
    }
    case EnvelopeKind::exit: {
      ++outcome_.exits;
      const auto key =
          self < envelope.from ? std::pair{self, envelope.from} : std::pair{envelope.from, self};
      if (!links_.contains(key)) {
        problem("exit signal without a link at " + self.to_string());
      } else if (++exits_[{self, envelope.from}] > 1) {
        problem("second exit signal at " + self.to_string() + " from " + envelope.from.to_string());
      }
      return;
    }
  }
}

void Workload::ended(std::size_t node, std::uint64_t process, const ExitReason& /*reason*/) {
  live_.erase(pid_of(node, process));
}

void Workload::call_done(std::size_t node, std::uint64_t ref, const Result<core::Bytes>& result) {
  const CallKey key{node, sim_.engine(node).processes().incarnation(), ref};
  auto it = calls_.find(key);
  if (it == calls_.end()) {
    problem("CallDone for an unknown call " + std::to_string(ref) + " on " + sim_.name(node));
    return;
  }
  if (++it->second.done > 1) {
    problem("call " + std::to_string(ref) + " on " + sim_.name(node) + " completed twice");
  }
  if (result) {
    ++outcome_.calls_answered;
    if (*result != it->second.request) problem("a call's reply is not its request's echo");
    return;
  }
  const Errc code = result.error().code;
  if (code != Errc::timeout && code != Errc::noproc && code != Errc::unreachable) {
    problem("call " + std::to_string(ref) + " ended with " + result.error().to_string());
  }
}

// ---- the end -----------------------------------------------------------------------------

void Workload::check_end() {
  for (const auto& [key, state] : monitors_) {
    const auto& [watcher, ref] = key;
    if (live_.contains(watcher) && !live_.contains(state.first) && state.second != 1) {
      problem(watcher.to_string() + " got " + std::to_string(state.second) + " DOWNs for " +
              state.first.to_string() + ", which is gone");
    }
  }
  for (const auto& [pair, requester] : links_) {
    const auto& [a, b] = pair;
    for (const auto& [receiver, from] : {std::pair{a, b}, std::pair{b, a}}) {
      // The requester's side holds the link from the start. The other side holds it only once
      // the LINK arrived, which a lost connection can prevent: at most one exit there
      // (checked as they come), exactly one when both live on one node.
      if (receiver != requester && receiver.node != from.node) continue;
      const auto it = exits_.find({receiver, from});
      const int count = it == exits_.end() ? 0 : it->second;
      if (live_.contains(receiver) && !live_.contains(from) && count != 1) {
        problem(receiver.to_string() + " got " + std::to_string(count) +
                " exit signals from linked " + from.to_string() + ", which is gone");
      }
    }
  }
  for (const auto& [key, call] : calls_) {
    const auto& [node, run, ref] = key;
    if (!sim_.alive(node) || sim_.engine(node).processes().incarnation() != run) continue;
    if (call.done != 1) {
      problem("call " + std::to_string(ref) + " on " + sim_.name(node) + " completed " +
              std::to_string(call.done) + " times");
    }
  }
  for (std::size_t x = 0; x < sim_.size(); ++x) {
    if (!sim_.alive(x)) continue;
    const auto& engine = sim_.engine(x);
    if (engine.processes().stats().pending_calls != 0) problem(sim_.name(x) + ": calls pending");
    for (std::size_t y = 0; y < sim_.size(); ++y) {
      if (sim_.alive(y)) continue;
      if (engine.processes().node_in_use(sim_.name(y))) {
        problem(sim_.name(x) + " still holds process state for " + sim_.name(y) + ", down");
      }
      // Membership may be trying a dead passive peer right now; frames wait only for a dial.
      const auto queue = engine.queue_towards(sim_.name(y));
      if (queue.frames != 0 && !queue.dialing) {
        problem(sim_.name(x) + " holds " + std::to_string(queue.frames) + " frames for " +
                sim_.name(y) + ", which is down, with no dial under way");
      }
    }
  }
}

}  // namespace

ProcessOutcome run_process_scenario(std::uint64_t seed, std::size_t nodes, std::size_t processes,
                                    std::size_t steps, bool early_restarts) {
  SimConfig config;
  config.seed = seed;
  // Odd seeds run with 5% of frames retransmitted: late (head-of-line blocked), never missing.
  config.loss = seed % 2 == 1 ? 0.05 : 0.0;
  Simulation simulation(config);
  simulation.grow(nodes - 1, 2ms);
  simulation.run_for(5s);
  Workload workload(simulation, seed, processes, early_restarts);
  for (std::size_t node = 0; node < simulation.size(); ++node) workload.spawn_all(node);
  for (std::size_t i = 0; i < steps; ++i) {
    workload.step();
    simulation.run_for(kStep);
  }
  workload.heal();
  simulation.run_for(kQuiet);
  workload.check_end();
  ProcessOutcome outcome = workload.outcome();
  if (!outcome.problem.empty()) outcome.problem += " (--seed=" + std::to_string(seed) + ")";
  return outcome;
}

}  // namespace barrel_p2p::sim
