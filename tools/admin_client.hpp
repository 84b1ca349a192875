// The client side of the admin endpoint, for the CLI commands that ask a running node:
// one HTTP request, its status and body.
#pragma once

#include <string>

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

}  // namespace barrel_p2p::cli
