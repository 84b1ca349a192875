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

namespace barrel_p2p::cli {

namespace {

/// The text after `marker` in `line`, or empty when `line` does not contain it.
std::string after(const std::string& line, std::string_view marker) {
  const auto at = line.find(marker);
  return at == std::string::npos ? std::string() : line.substr(at + marker.size());
}

/// The first word of `text` (up to a space, a comma or the end).
std::string first_word(const std::string& text) { return text.substr(0, text.find_first_of(" ,")); }

}  // namespace

Result<DemoChild> DemoChild::start(const std::filesystem::path& executable,
                                   const std::filesystem::path& dir, const std::string& name,
                                   const std::string& contact, const std::string& tag) {
  const auto config = dir / (name + ".toml");
  const auto log = dir / (name + ".log");
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
  std::vector<std::string> args = {"barrel-p2p",  "node", "--config",          config.string(),
                                   "--subscribe", tag,    "--exit-with-parent"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, executable.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return fail(Errc::io, "cannot start " + executable.string() + ": " + std::strerror(rc));
  }
  return DemoChild(name, pid, log);
}

DemoChild::DemoChild(std::string name, pid_t pid, std::filesystem::path log)
    : name_(std::move(name)), pid_(pid), log_(std::move(log)) {}

DemoChild::DemoChild(DemoChild&& other) noexcept
    : name_(std::move(other.name_)),
      pid_(std::exchange(other.pid_, -1)),
      log_(std::move(other.log_)),
      read_offset_(other.read_offset_),
      partial_(std::move(other.partial_)),
      address_(std::move(other.address_)),
      joined_(other.joined_),
      active_(std::move(other.active_)),
      broadcasts_(std::move(other.broadcasts_)),
      downs_(std::move(other.downs_)),
      ups_(std::move(other.ups_)) {}

DemoChild::~DemoChild() { kill_abruptly(); }

void DemoChild::poll() {
  std::ifstream in(log_, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(read_offset_));
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  read_offset_ += chunk.size();
  partial_ += chunk;
  std::size_t start = 0;
  for (auto end = partial_.find('\n'); end != std::string::npos; end = partial_.find('\n', start)) {
    on_line(partial_.substr(start, end - start));
    start = end + 1;
  }
  partial_.erase(0, start);
}

void DemoChild::on_line(const std::string& line) {
  const auto now = std::chrono::steady_clock::now();
  if (std::string text = after(line, "listening on "); !text.empty()) {
    address_ = first_word(text);
  } else if (line.find("joined the cluster") != std::string::npos) {
    joined_ = true;
  } else if (std::string up = after(line, "neighbor up: "); !up.empty()) {
    active_.insert(first_word(up));
    ups_[first_word(up)] = now;
  } else if (std::string down = after(line, "neighbor down: "); !down.empty()) {
    active_.erase(first_word(down));
    downs_[first_word(down)] = now;
  } else if (std::string broadcast = after(line, "broadcast "); !broadcast.empty()) {
    // "broadcast <tag> from <origin> (<hops> hops): <payload>"
    const std::string hops = after(broadcast, " (");
    const std::string payload = after(broadcast, "): ");
    broadcasts_.emplace_back(payload, static_cast<unsigned>(std::atoi(hops.c_str())));
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
