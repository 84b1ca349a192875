// The admin endpoint of `barrel-p2p node --admin ADDRESS`: a TCP listener on a loopback
// address that answers one request line per connection with one JSON line (views,
// connections, stats). Off unless asked for. It has no authentication: anyone who can open a
// loopback connection on the host can read what it shows (names, addresses, counters; never
// keys or secrets), so it refuses any address that is not loopback.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "barrel_p2p/node.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p::cli {

/// Longest request line accepted (longer: an error answer, then the connection is closed).
inline constexpr std::size_t kAdminRequestMax = 256;

/// The answer to one request line: `views`, `connections` or `stats`, one JSON object per
/// line ({"error": ...} for anything else). Runs the node's thread-safe queries.
std::string admin_answer(Node& node, const std::string& request);

/// `text` as a JSON string literal (quotes, backslashes and control characters escaped).
std::string json_string(const std::string& text);

class AdminEndpoint {
 public:
  /// Listens on `address` ("127.0.0.1:PORT", "[::1]:PORT"; port 0 picks one) and serves
  /// `node`, which must outlive the endpoint, from a thread of its own. Errors:
  /// invalid_argument (not an address, or not loopback), io (bind or listen failed).
  static Result<std::unique_ptr<AdminEndpoint>> start(Node& node, const std::string& address);

  AdminEndpoint(const AdminEndpoint&) = delete;
  AdminEndpoint& operator=(const AdminEndpoint&) = delete;
  /// stop().
  ~AdminEndpoint();

  /// The bound address, with the port chosen when 0 was asked.
  [[nodiscard]] const std::string& address() const { return address_; }
  /// Stops serving and closes the listener (idempotent).
  void stop();

 private:
  AdminEndpoint(Node& node, int listener, int wake, std::string address);
  void serve();
  void answer(int client);

  Node& node_;
  int listener_;
  int wake_;  // eventfd: stop() wakes the serving thread
  std::string address_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

/// Sends `request` to the admin endpoint at `address` and returns its answer line (without
/// the newline). Errors: invalid_argument (bad address), io (cannot connect, no answer within
/// 5 s).
Result<std::string> admin_request(const std::string& address, const std::string& request);

}  // namespace barrel_p2p::cli
