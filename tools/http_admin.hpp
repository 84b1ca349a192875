// The HTTP admin endpoint of `barrel-p2p node` (docs/reference/admin-api.md): JSON resources
// under /v1/, Server-Sent Events of membership events and Prometheus metrics, served by
// cpp-httplib from threads of its own. Handlers use the public, thread-safe Node API only:
// nothing runs on the node's event loop except the membership callback, which copies each
// event into a bounded feed and returns.
//
// Off unless asked for. Without a bearer token it binds loopback addresses only and accepts
// only requests whose Host is a loopback address or `localhost` (a web page cannot reach it
// through DNS rebinding), and POSTs only with `Content-Type: application/json` (a web page
// cannot send one without the endpoint's consent). With a token, every request must present
// it, whatever the address.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "barrel_p2p/node.hpp"
#include "barrel_p2p/result.hpp"
#include "barrel_p2p/subscription.hpp"

namespace barrel_p2p::cli {

/// Largest request body accepted (POST /v1/join, /v1/broadcast); larger ones get 413.
inline constexpr std::size_t kAdminBodyMax = 64 * 1024;
/// Threads serving requests (each open connection holds one while it is open).
inline constexpr std::size_t kAdminThreads = 8;
/// GET /v1/events streams open at once; more get 503, so requests always have threads.
inline constexpr std::size_t kAdminEventStreamsMax = 4;
/// Shortest bearer token accepted, in bytes (e.g. `openssl rand -hex 32` gives 64).
inline constexpr std::size_t kAdminTokenMin = 16;
/// Largest token file read.
inline constexpr std::size_t kAdminTokenFileMax = 4096;
/// An event stream with nothing to send writes an SSE comment this often, so proxies and
/// clients see a live connection and a closed client is noticed.
inline constexpr std::chrono::milliseconds kAdminEventHeartbeat{10'000};

/// How long GET /v1/members waits for the views of active peers, unless ?timeout_ms= says.
inline constexpr std::chrono::milliseconds kAdminClusterTimeout{1'000};
/// Longest wait ?timeout_ms= may ask for.
inline constexpr std::chrono::milliseconds kAdminClusterTimeoutMax{10'000};

/// How the endpoint is served.
struct AdminSettings {
  /// "IP:PORT", "[IPv6]:PORT" or "localhost:PORT"; port 0 picks one.
  std::string listen;
  /// Bearer token every request must present; empty: none (then loopback only).
  std::string token;
};

/// Reads the bearer token from `path`: at most kAdminTokenFileMax bytes, one trailing newline
/// dropped, at least kAdminTokenMin bytes left. Errors: unsafe_file when the file is readable
/// or writable by group or others (unless `allow_insecure_file_modes`), not_found / io /
/// limit_reached as read_file(), invalid_argument when the token is too short.
Result<std::string> read_admin_token(const std::filesystem::path& path,
                                     bool allow_insecure_file_modes);

/// Checks `settings` without binding: the address parses, and one that is not loopback comes
/// with a token. Errors: invalid_argument naming the address and what is missing.
Result<void> check_admin_settings(const AdminSettings& settings);

class HttpAdmin {
 public:
  /// Serves `node` (which must outlive the endpoint) on `settings.listen`. Errors: those of
  /// check_admin_settings(), io (bind failed) and those of Node::on_membership_event().
  static Result<std::unique_ptr<HttpAdmin>> start(Node& node, AdminSettings settings);

  HttpAdmin(const HttpAdmin&) = delete;
  HttpAdmin& operator=(const HttpAdmin&) = delete;
  /// stop().
  ~HttpAdmin();

  /// The bound address ("127.0.0.1:PORT", "[::1]:PORT"), with the port chosen when 0 was asked.
  [[nodiscard]] const std::string& address() const { return address_; }
  /// Ends event streams, stops serving and joins the server's threads (idempotent).
  void stop();

 private:
  class Server;
  explicit HttpAdmin(std::unique_ptr<Server> server);

  std::unique_ptr<Server> server_;
  std::string address_;
  std::thread thread_;  // runs the accept loop; the server's pool runs the requests
  std::atomic<bool> stopped_{false};
};

}  // namespace barrel_p2p::cli
