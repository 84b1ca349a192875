// Node processes started by `barrel-p2p demo`: each is `barrel-p2p node` with its own TOML file,
// log file and admin endpoint. The demo learns what a child does only through the endpoint, with
// the requests the operator commands make (`members`, `info`'s stats), as an operator would.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "admin_client.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p::cli {

/// One `barrel-p2p node` child process and what its log has said so far.
class DemoChild {
 public:
  /// Writes `<dir>/<name>.toml` and starts `executable node --config ... --subscribe <tag>
  /// --admin 127.0.0.1:0 --admin-file <dir>/<name>.admin` with stdout and stderr in
  /// `<dir>/<name>.log`. The child exits when the demo does.
  /// Errors: io when the file cannot be written or the process cannot be started.
  static Result<DemoChild> start(const std::filesystem::path& executable,
                                 const std::filesystem::path& dir, const std::string& name,
                                 const std::string& contact, const std::string& tag);

  DemoChild(DemoChild&& other) noexcept;
  DemoChild& operator=(DemoChild&&) = delete;
  DemoChild(const DemoChild&) = delete;
  DemoChild& operator=(const DemoChild&) = delete;
  /// Kills the process (SIGKILL) if it still runs and reaps it.
  ~DemoChild();

  /// Asks the child's admin endpoint for its members (`GET /v1/members?cluster=0`) and its
  /// counters (`GET /v1/stats`) and updates the state below. Does nothing until the endpoint
  /// wrote its address file, or when a request fails (the next poll asks again).
  void poll();
  /// The child's admin endpoint; its address is empty until the child wrote its address file.
  [[nodiscard]] const AdminTarget& admin() const { return admin_; }

  [[nodiscard]] const std::string& name() const { return name_; }
  /// The node's UDP address; empty until the first successful poll.
  [[nodiscard]] const std::string& address() const { return address_; }
  [[nodiscard]] bool joined() const { return joined_; }
  /// The active view at the last poll.
  [[nodiscard]] const std::set<std::string>& active() const { return active_; }
  /// Broadcasts delivered on the node, its own included (NodeStats::broadcast_deliveries).
  [[nodiscard]] std::uint64_t deliveries() const { return deliveries_; }
  /// When each neighbour was last seen leaving / entering the active view (steady clock, at the
  /// poll that noticed it).
  [[nodiscard]] const std::map<std::string, std::chrono::steady_clock::time_point>& downs() const {
    return downs_;
  }
  [[nodiscard]] const std::map<std::string, std::chrono::steady_clock::time_point>& ups() const {
    return ups_;
  }
  [[nodiscard]] bool running() const { return pid_ > 0; }

  /// SIGKILL: the node dies without a word to its peers.
  void kill_abruptly();
  /// SIGTERM, then waits up to `timeout` for a clean exit. Returns the exit status, or -1 when
  /// it had to be killed or did not run.
  int stop(std::chrono::milliseconds timeout);

 private:
  DemoChild(std::string name, pid_t pid, std::filesystem::path admin_file);

  std::string name_;
  pid_t pid_ = -1;
  std::filesystem::path admin_file_;
  AdminTarget admin_;
  std::string address_;
  bool joined_ = false;
  std::set<std::string> active_;
  std::uint64_t deliveries_ = 0;
  std::map<std::string, std::chrono::steady_clock::time_point> downs_;
  std::map<std::string, std::chrono::steady_clock::time_point> ups_;
};

}  // namespace barrel_p2p::cli
