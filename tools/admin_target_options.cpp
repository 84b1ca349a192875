#include "admin_target_options.hpp"

#include "barrel_p2p/files.hpp"
#include "cli_support.hpp"
#include "http_admin.hpp"

namespace barrel_p2p::cli {

namespace {

/// Largest admin file read (it holds one address).
constexpr std::size_t kAdminFileMax = 1024;

}  // namespace

void add_admin_target_options(CLI::App& command, AdminTargetOptions& options) {
  auto* connect = command.add_option("--connect", options.address,
                                     "the node's admin endpoint, e.g. 127.0.0.1:7000");
  auto* file = command.add_option("--admin-file", options.admin_file,
                                  "read the endpoint's address from this file (the one `node "
                                  "--admin-file` writes)");
  connect->excludes(file);
  command.add_option("--token-file", options.token_file,
                     "file holding the bearer token (the node's admin.token_file)");
}

Result<AdminTarget> resolve_admin_target(const AdminTargetOptions& options) {
  AdminTarget target{options.address, {}};
  if (target.address.empty() && options.admin_file.empty()) {
    return fail(Errc::invalid_argument, "--connect ADDRESS or --admin-file FILE is required");
  }
  if (target.address.empty()) {
    auto bytes = read_file(options.admin_file, kAdminFileMax);
    if (!bytes) {
      return fail(bytes.error().code,
                  "--admin-file " + options.admin_file + ": " + bytes.error().message);
    }
    target.address.assign(bytes->begin(), bytes->end());
    while (!target.address.empty() &&
           (target.address.back() == '\n' || target.address.back() == '\r')) {
      target.address.pop_back();
    }
  }
  if (!options.token_file.empty()) {
    // The client reads the token the node reads; its mode is the node's concern.
    auto token = read_admin_token(options.token_file, true);
    if (!token) return Unexpected(token.error());
    target.token = std::move(*token);
  }
  return target;
}

int exit_status_for(int http_status) {
  if (http_status / 100 == 2) return kExitOk;
  return http_status == 400 ? kExitUsage : kExitFailure;
}

}  // namespace barrel_p2p::cli
