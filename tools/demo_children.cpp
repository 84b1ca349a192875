#include "demo_children.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace barrel_p2p::cli {

Result<DemoChild> DemoChild::start(const std::filesystem::path& executable,
                                   const std::filesystem::path& dir, const std::string& name,
                                   const std::string& contact, const std::string& tag) {
  const auto config = dir / (name + ".toml");
  const auto log = dir / (name + ".log");
  const auto admin_file = dir / (name + ".admin");
  {
    std::ofstream out(config, std::ios::trunc);
    out << "[node]\nname = \"" << name << "\"\ndata_dir = \"" << (dir / name).string()
        << "\"\n[cluster]\nname = \"demo\"\n";
    if (!contact.empty()) out << "[membership]\ncontacts = [\"" << contact << "\"]\n";
    if (!out) return fail(Errc::io, "cannot write " + config.string());
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> args = {
      "barrel-p2p", "node",        "--config",     config.string(),     "--subscribe",       tag,
      "--admin",    "127.0.0.1:0", "--admin-file", admin_file.string(), "--exit-with-parent"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, executable.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return fail(Errc::io, "cannot start " + executable.string() + ": " + std::strerror(rc));
  }
  return DemoChild(name, pid, admin_file);
}

DemoChild::DemoChild(std::string name, pid_t pid, std::filesystem::path admin_file)
    : name_(std::move(name)), pid_(pid), admin_file_(std::move(admin_file)) {}

DemoChild::DemoChild(DemoChild&& other) noexcept
    : name_(std::move(other.name_)),
      pid_(std::exchange(other.pid_, -1)),
      admin_file_(std::move(other.admin_file_)),
      admin_(std::move(other.admin_)),
      address_(std::move(other.address_)),
      joined_(other.joined_),
      active_(std::move(other.active_)),
      deliveries_(other.deliveries_),
      downs_(std::move(other.downs_)),
      ups_(std::move(other.ups_)) {}

DemoChild::~DemoChild() { kill_abruptly(); }

void DemoChild::poll() {
  if (pid_ <= 0) return;
  if (admin_.address.empty()) {
    std::ifstream in(admin_file_);
    std::string address;
    if (!(in >> address)) return;  // not written yet
    admin_.address = address;
  }
  // What `members --format json` and `info` ask for.
  auto members = admin_get(admin_, "/v1/members?cluster=0");
  auto stats = admin_get(admin_, "/v1/stats");
  if (!members || members->status != 200 || !stats || stats->status != 200) return;
  const auto view = nlohmann::json::parse(members->body, nullptr, false);
  const auto counters = nlohmann::json::parse(stats->body, nullptr, false);
  if (!view.is_object() || !view["active"].is_array() || !counters.is_object()) return;
  std::set<std::string> active;
  for (const auto& peer : view["active"]) {
    if (peer.is_object() && peer["name"].is_string())
      active.insert(peer["name"].get<std::string>());
  }
  const auto now = std::chrono::steady_clock::now();
  for (const auto& peer : active) {
    if (!active_.count(peer)) ups_[peer] = now;
  }
  for (const auto& peer : active_) {
    if (!active.count(peer)) downs_[peer] = now;
  }
  active_ = std::move(active);
  joined_ = joined_ || !active_.empty();
  if (view["node"].is_object() && view["node"]["address"].is_string()) {
    address_ = view["node"]["address"].get<std::string>();
  }
  if (counters["broadcast_deliveries"].is_number_unsigned()) {
    deliveries_ = counters["broadcast_deliveries"].get<std::uint64_t>();
  }
}

void DemoChild::kill_abruptly() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int DemoChild::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill_abruptly();
  return -1;
}

}  // namespace barrel_p2p::cli
