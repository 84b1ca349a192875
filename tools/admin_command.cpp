// `barrel-p2p admin --connect ADDRESS RESOURCE`: GETs one resource of a running node's HTTP
// admin endpoint (`barrel-p2p node --admin ADDRESS`, or admin.listen) and prints its body.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "admin_client.hpp"
#include "admin_target_options.hpp"
#include "cli_support.hpp"
#include "commands.hpp"

namespace barrel_p2p::cli {

namespace {

struct AdminOptions {
  AdminTargetOptions target;
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
  auto target = resolve_admin_target(options.target);
  if (!target) return report("admin", target.error());
  const std::string& path = resource_paths().at(options.resource);
  auto answer = admin_get(*target, path);
  if (!answer) return report("admin", answer.error());
  std::fputs(answer->body.c_str(), stdout);
  if (answer->status / 100 != 2) {
    std::fprintf(stderr, "barrel-p2p admin: HTTP status %d\n", answer->status);
    return exit_status_for(answer->status);
  }
  // Every resource but metrics is JSON: anything else is not a node's admin endpoint (or a
  // broken one), and a script reading the output must not take it for an answer.
  if (options.resource != "metrics" && !nlohmann::json::accept(answer->body)) {
    std::fprintf(stderr, "barrel-p2p admin: the answer to GET %s from %s is not JSON\n",
                 path.c_str(), target->address.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_admin_command(CLI::App& app, int& exit_code) {
  auto* admin = app.add_subcommand(
      "admin",
      "read one resource of a running node's HTTP admin endpoint (node --admin) and print it: "
      "members, connections, stats, health (JSON) or metrics (Prometheus text)");
  auto options = std::make_shared<AdminOptions>();
  add_admin_target_options(*admin, options->target);
  admin->add_option("resource", options->resource, "members, connections, stats, health, metrics")
      ->required()
      ->check(CLI::IsMember({"members", "connections", "stats", "health", "metrics"}));
  admin->callback([&exit_code, options] { exit_code = run_admin(*options); });
}

}  // namespace barrel_p2p::cli
