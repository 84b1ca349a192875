// `barrel-p2p admin --connect ADDRESS RESOURCE`: GETs one resource of a running node's HTTP
// admin endpoint (`barrel-p2p node --admin ADDRESS`, or admin.listen) and prints its body.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "admin_client.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "http_admin.hpp"

namespace barrel_p2p::cli {

namespace {

struct AdminOptions {
  std::string address;
  std::string token_file;
  std::string resource;
};

/// The path of each resource `admin` reads.
const std::map<std::string, std::string>& resource_paths() {
  static const std::map<std::string, std::string> paths = {
      {"members", "/v1/members"}, {"connections", "/v1/connections"},
      {"stats", "/v1/stats"},     {"health", "/v1/health"},
      {"metrics", "/metrics"},
  };
  return paths;
}

int run_admin(const AdminOptions& options) {
  AdminTarget target{options.address, {}};
  if (!options.token_file.empty()) {
    // The client reads the token the node reads; modes are the node's concern.
    auto token = read_admin_token(options.token_file, true);
    if (!token) return report("admin", token.error());
    target.token = std::move(*token);
  }
  auto answer = admin_get(target, resource_paths().at(options.resource));
  if (!answer) return report("admin", answer.error());
  std::fputs(answer->body.c_str(), stdout);
  if (answer->status / 100 == 2) return kExitOk;
  std::fprintf(stderr, "barrel-p2p admin: HTTP status %d\n", answer->status);
  return kExitFailure;
}

}  // namespace

void add_admin_command(CLI::App& app, int& exit_code) {
  auto* admin = app.add_subcommand(
      "admin",
      "read one resource of a running node's HTTP admin endpoint (node --admin) and print it: "
      "members, connections, stats, health (JSON) or metrics (Prometheus text)");
  auto options = std::make_shared<AdminOptions>();
  admin->add_option("--connect", options->address, "the admin endpoint, e.g. 127.0.0.1:7000")
      ->required();
  admin->add_option("--token-file", options->token_file,
                    "file holding the bearer token (the node's admin.token_file)");
  admin->add_option("resource", options->resource, "members, connections, stats, health, metrics")
      ->required()
      ->check(CLI::IsMember({"members", "connections", "stats", "health", "metrics"}));
  admin->callback([&exit_code, options] { exit_code = run_admin(*options); });
}

}  // namespace barrel_p2p::cli
