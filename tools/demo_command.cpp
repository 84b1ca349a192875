// `barrel-p2p demo`: a local cluster of N `barrel-p2p node` processes on loopback. It shows the
// nodes joining (HyParView active views), a broadcast reaching every node (Plumtree), and a
// node killed with SIGKILL being detected and replaced in its neighbours' views. It drives and
// watches the nodes only through their admin endpoints, with the requests of the operator
// commands: `members` for the views, `broadcast` to send, `info`'s stats for the deliveries.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin_client.hpp"
#include "commands.hpp"
#include "demo_children.hpp"

namespace barrel_p2p::cli {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kTag = "demo";
/// Longest any step may take before the demo gives up.
constexpr auto kStepTimeout = 30s;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

class ClusterDemo {
 public:
  ClusterDemo(int nodes, std::filesystem::path root) : nodes_(nodes), root_(std::move(root)) {}

  int run() {
    std::printf("barrel-p2p demo: %d node processes on 127.0.0.1 (files under %s)\n", nodes_,
                root_.c_str());
    if (!start_nodes() || !broadcast("hello from demo", "1. first") || !kill_and_repair() ||
        !broadcast("hello again", "2. after the kill")) {
      return 1;
    }
    return stop_all();
  }

 private:
  bool start_nodes() {
    std::printf("\n== Joining ==\n");
    const auto self = std::filesystem::read_symlink("/proc/self/exe");
    const auto started = Clock::now();
    auto first = DemoChild::start(self, root_, "node-1", "", kTag);
    if (!first) return failed("start node-1", first.error().message);
    children_.push_back(std::move(*first));
    if (!wait_until("node-1 to listen", [&] { return !children_[0].address().empty(); })) {
      return false;
    }
    contact_ = children_[0].address();
    std::printf("node-1 listens on %s; node-2..node-%d join through it, all at once\n",
                contact_.c_str(), nodes_);
    for (int i = 2; i <= nodes_; ++i) {
      auto child = DemoChild::start(self, root_, "node-" + std::to_string(i), contact_, kTag);
      if (!child) return failed("start a node", child.error().message);
      children_.push_back(std::move(*child));
    }
    if (!wait_until("every node to join with symmetric views", [&] { return views_settled(); })) {
      return false;
    }
    std::printf("all %d nodes joined, views symmetric, %.0f ms after the first start\n", nodes_,
                ms_since(started));
    print_views();
    return true;
  }

  /// Broadcasts `payload` from the first live node, as `barrel-p2p broadcast` does, and waits
  /// until every live node's delivery counter moved.
  bool broadcast(const std::string& payload, const std::string& label) {
    std::printf("\n== Broadcast %s ==\n", label.c_str());
    const auto sender = std::find_if(children_.begin(), children_.end(),
                                     [](const DemoChild& child) { return child.running(); });
    std::map<std::string, std::uint64_t> before;
    for (auto& child : children_) {
      child.poll();
      before[child.name()] = child.deliveries();
    }
    const auto started = Clock::now();
    const nlohmann::json request = {{"tag", kTag}, {"payload", payload}};
    auto sent = admin_post(sender->admin(), "/v1/broadcast", request.dump());
    if (!sent || sent->status != 202) {
      return failed("broadcast from " + sender->name(),
                    sent ? "HTTP status " + std::to_string(sent->status) + ": " + sent->body
                         : sent.error().message);
    }
    const auto live = std::count_if(children_.begin(), children_.end(),
                                    [](const DemoChild& child) { return child.running(); });
    const auto reached = [&] {
      return std::count_if(children_.begin(), children_.end(), [&](const DemoChild& child) {
        return child.running() && child.deliveries() > before[child.name()];
      });
    };
    if (!wait_until("the broadcast to reach every node", [&] { return reached() == live; })) {
      return false;
    }
    std::printf(
        "\"%s\" from %s reached %ld of %ld live nodes within %.0f ms (their "
        "broadcast_deliveries counters, GET /v1/stats)\n",
        payload.c_str(), sender->name().c_str(), live, live, ms_since(started));
    return true;
  }

  bool kill_and_repair() {
    std::printf("\n== A node dies ==\n");
    // The victim: the node (not node-1) with the most neighbours among the other nodes.
    std::size_t victim = 1;
    for (std::size_t i = 1; i < children_.size(); ++i) {
      if (children_[i].active().size() > children_[victim].active().size()) victim = i;
    }
    const std::string name = children_[victim].name();
    std::vector<std::size_t> neighbours;
    std::map<std::size_t, std::size_t> size_before;
    std::map<std::size_t, std::set<std::string>> view_before;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].active().count(name)) neighbours.push_back(i);
      size_before[i] = children_[i].active().size();
      view_before[i] = children_[i].active();
    }
    std::printf("killing %s with SIGKILL (no goodbye); its neighbours:", name.c_str());
    for (auto i : neighbours) std::printf(" %s", children_[i].name().c_str());
    std::printf("\n");
    const auto killed = Clock::now();
    children_[victim].kill_abruptly();
    const auto repaired = [&] {
      for (std::size_t i = 0; i < children_.size(); ++i) {
        const DemoChild& child = children_[i];
        if (!child.running()) continue;
        if (child.active().count(name)) return false;
        // A view cannot hold more than the other live nodes (nodes_ - 2 after the kill).
        if (child.active().size() < std::min<std::size_t>(size_before[i], nodes_ - 2)) {
          return false;
        }
      }
      return views_symmetric();
    };
    if (!wait_until(name + " to be replaced in every view", repaired)) return false;
    for (auto i : neighbours) {
      const DemoChild& child = children_[i];
      const auto down = child.downs().at(name);
      // The replacement: the first of the node's neighbours now that was not one before the
      // kill. (Naming the last peer, by name, that came up after the down line was read
      // named the wrong node when the node took a new neighbour before it noticed the loss,
      // or took more than one.)
      std::string replacement = "no replacement needed";
      std::optional<Clock::time_point> first_up;
      for (const auto& peer : child.active()) {
        if (view_before[i].count(peer) || !child.ups().count(peer)) continue;
        const auto at = child.ups().at(peer);
        if (first_up && at >= *first_up) continue;
        first_up = at;
        replacement = "replaced by " + peer;
      }
      std::printf("  %s: %s down after %.1f s, %s\n", child.name().c_str(), name.c_str(),
                  std::chrono::duration<double>(down - killed).count(), replacement.c_str());
    }
    std::printf("every view repaired %.1f s after the kill\n", ms_since(killed) / 1000.0);
    print_views();
    return true;
  }

  int stop_all() {
    std::printf("\n== Stopping ==\n");
    int unclean = 0;
    for (auto& child : children_) {
      if (child.running() && child.stop(10s) != 0) ++unclean;
    }
    if (unclean != 0) {
      std::printf("demo failed: %d nodes did not stop cleanly\n", unclean);
      return 1;
    }
    std::printf(
        "demo finished: %d nodes joined, both broadcasts reached every live node, the "
        "killed node was replaced\n",
        nodes_);
    return 0;
  }

  // ---- helpers ----------------------------------------------------------------------------

  /// Every live node joined and every active view is symmetric among the nodes.
  bool views_settled() {
    for (const auto& child : children_) {
      if (child.running() && (!child.joined() || child.active().empty())) return false;
    }
    return views_symmetric();
  }

  bool views_symmetric() const {
    for (const auto& child : children_) {
      if (!child.running()) continue;
      for (const auto& peer : child.active()) {
        const auto other = std::find_if(children_.begin(), children_.end(),
                                        [&](const DemoChild& c) { return c.name() == peer; });
        if (other == children_.end() || !other->running() || !other->active().count(child.name())) {
          return false;
        }
      }
    }
    return true;
  }

  void print_views() const {
    std::printf("active views (at most 5 peers each; HyParView):\n");
    for (const auto& child : children_) {
      if (!child.running()) continue;
      std::printf("  %-8s", child.name().c_str());
      for (const auto& peer : child.active()) std::printf(" %s", peer.c_str());
      std::printf("\n");
    }
  }

  /// Polls the admin endpoints until `done` holds; prints a failure after kStepTimeout.
  bool wait_until(const std::string& what, const std::function<bool()>& done) {
    const auto deadline = Clock::now() + kStepTimeout;
    while (Clock::now() < deadline) {
      for (auto& child : children_) child.poll();
      if (done()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return failed("waiting for " + what, "no result within 30 s (logs in " + root_.string() + ")");
  }

  static bool failed(const std::string& what, const std::string& why) {
    std::fprintf(stderr, "demo failed: %s: %s\n", what.c_str(), why.c_str());
    return false;
  }

  int nodes_;
  std::filesystem::path root_;
  std::vector<DemoChild> children_;
  std::string contact_;
};

int run_demo(int nodes, const std::string& data_dir) {
  std::filesystem::path root = data_dir;
  const bool temporary = root.empty();
  if (temporary) {
    std::string pattern = (std::filesystem::temp_directory_path() / "barrel-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "demo failed: cannot create a temporary directory\n");
      return 1;
    }
    root = pattern;
  }
  std::filesystem::create_directories(root);
  const int rc = ClusterDemo(nodes, root).run();
  if (temporary && rc == 0) std::filesystem::remove_all(root);
  return rc;
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* demo = app.add_subcommand(
      "demo",
      "start a cluster of node processes on loopback: join, broadcast, kill one, watch it heal");
  static int nodes = 8;
  static std::string data_dir;
  demo->add_option("--nodes", nodes, "node processes to start")->check(CLI::Range(3, 64));
  demo->add_option("--data-dir", data_dir, "keep identities and logs here (default: a temp dir)");
  demo->callback([] { std::exit(run_demo(nodes, data_dir)); });
}

}  // namespace barrel_p2p::cli
