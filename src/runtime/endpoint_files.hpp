// Where nodes find each other's addresses outside membership: the shared endpoint directory
// (<dir>/<node>.endpoint holds "host:port") and DNS.
#pragma once

#include <filesystem>
#include <string>

#include "barrel_p2p/result.hpp"
#include "core/socket_address.hpp"

namespace spdlog {
class logger;
}

namespace barrel_p2p::runtime {

/// Writes `address` to <dir>/<node>.endpoint (atomically, 0644), creating `dir`. A failure is
/// logged on `log`, not returned: the node runs without it.
void write_endpoint_file(const std::filesystem::path& dir, const std::string& node,
                         const std::string& address, spdlog::logger& log);
/// Removes <dir>/<node>.endpoint (missing is fine).
void remove_endpoint_file(const std::filesystem::path& dir, const std::string& node);
/// The "host:port" in <dir>/<node>.endpoint. Errors: unreachable (no such file, or no
/// plausible address in it: empty or over 255 bytes).
Result<std::string> read_endpoint_file(const std::filesystem::path& dir, const std::string& node);
/// Resolves "host:port" with the system resolver. Blocks: call it on a worker thread.
/// Errors: invalid_argument (not host:port), unreachable (the resolver failed).
Result<core::SocketAddress> resolve_host(const std::string& address);

}  // namespace barrel_p2p::runtime
