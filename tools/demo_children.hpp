// Node processes started by `barrel-p2p demo`: each is `barrel-p2p node` with its own TOML file
// and log file. The demo learns what a child does only from its log (the lines
// `barrel-p2p node` writes for membership events and delivered broadcasts), exactly as an
// operator would read it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p::cli {

/// One `barrel-p2p node` child process and what its log has said so far.
class DemoChild {
 public:
  /// Writes `<dir>/<name>.toml` and starts `executable node --config ... --subscribe <tag>`
  /// with stdout and stderr in `<dir>/<name>.log`. The child exits when the demo does.
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

  /// Reads the log lines written since the last call and updates the state below.
  void poll();

  [[nodiscard]] const std::string& name() const { return name_; }
  /// The UDP address the node logged at start; empty until then.
  [[nodiscard]] const std::string& address() const { return address_; }
  [[nodiscard]] bool joined() const { return joined_; }
  /// The active view as rebuilt from "neighbor up" / "neighbor down" lines.
  [[nodiscard]] const std::set<std::string>& active() const { return active_; }
  /// Broadcast payloads delivered, in order, with their hop count.
  [[nodiscard]] const std::vector<std::pair<std::string, unsigned>>& broadcasts() const {
    return broadcasts_;
  }
  /// When each neighbour was last seen going down / up (steady clock, as read by poll()).
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
  DemoChild(std::string name, pid_t pid, std::filesystem::path log);
  void on_line(const std::string& line);

  std::string name_;
  pid_t pid_ = -1;
  std::filesystem::path log_;
  std::size_t read_offset_ = 0;
  std::string partial_;
  std::string address_;
  bool joined_ = false;
  std::set<std::string> active_;
  std::vector<std::pair<std::string, unsigned>> broadcasts_;
  std::map<std::string, std::chrono::steady_clock::time_point> downs_;
  std::map<std::string, std::chrono::steady_clock::time_point> ups_;
};

}  // namespace barrel_p2p::cli
