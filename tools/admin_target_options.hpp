// How the commands that ask a running node find its admin endpoint: --connect ADDRESS or
// --admin-file FILE (the file `barrel-p2p node --admin-file` writes), plus --token-file.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "admin_client.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p::cli {

/// The options as parsed.
struct AdminTargetOptions {
  std::string address;
  std::string admin_file;
  std::string token_file;
};

/// Adds --connect, --admin-file (one of them is required) and --token-file to `command`.
/// `options` must outlive the parse (CLI11 stores into it).
void add_admin_target_options(CLI::App& command, AdminTargetOptions& options);

/// The endpoint and token the options name. Errors: invalid_argument when neither --connect
/// nor --admin-file was given, those of read_file() for the admin file (naming it) and of
/// read_admin_token() for the token file.
Result<AdminTarget> resolve_admin_target(const AdminTargetOptions& options);

/// The exit status for an HTTP status: 0 for 2xx, 2 for 400 (the node refused the input),
/// 1 otherwise.
int exit_status_for(int http_status);

}  // namespace barrel_p2p::cli
