// The client side of the admin endpoint, for the CLI commands that ask a running node:
// one HTTP request, its status and body.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p::cli {

/// Where the endpoint is and how to authenticate to it.
struct AdminTarget {
  std::string address;  ///< "127.0.0.1:PORT", "[::1]:PORT", "host:PORT"
  std::string token;    ///< bearer token; empty: none
};

/// An answer of the endpoint.
struct AdminReply {
  int status = 0;
  std::string body;
};

/// GET `path`. Errors: invalid_argument (bad address), io (cannot connect, no answer in 5 s).
Result<AdminReply> admin_get(const AdminTarget& target, const std::string& path);

/// POST `path` with the JSON text `body`. Errors: as admin_get().
Result<AdminReply> admin_post(const AdminTarget& target, const std::string& path,
                              const std::string& body);

/// One Server-Sent Event.
struct StreamEvent {
  std::string id;
  std::string type;  ///< the `event:` field ("message" when absent)
  std::string data;  ///< the `data:` lines, joined by newlines
};

/// GETs the event stream at `path` and calls `on_event` for each event until it returns
/// false, the server ends the stream (returns true), or nothing arrives for `idle_limit`.
/// Errors: as admin_get(); io "HTTP status N" when the server refuses the stream, and io when
/// the connection is lost or idle beyond `idle_limit`.
Result<void> admin_stream(const AdminTarget& target, const std::string& path,
                          std::chrono::seconds idle_limit,
                          const std::function<bool(const StreamEvent&)>& on_event);

/// Splits complete events (blocks ending in a blank line) off the front of `buffer` and calls
/// `on_event` for each, leaving an incomplete block in `buffer`. Comment lines are skipped.
/// Returns false as soon as `on_event` does.
bool take_stream_events(std::string& buffer,
                        const std::function<bool(const StreamEvent&)>& on_event);

}  // namespace barrel_p2p::cli
