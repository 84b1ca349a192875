// `barrel-p2p admin --connect ADDRESS views|connections|stats`: asks a running node's admin
// endpoint (`barrel-p2p node --admin ADDRESS`) and prints its JSON answer.
#include <cstdio>
#include <memory>
#include <string>

#include "admin_endpoint.hpp"
#include "cli_support.hpp"
#include "commands.hpp"

namespace barrel_p2p::cli {

namespace {

struct AdminOptions {
  std::string address;
  std::string command;
};

int run_admin(const AdminOptions& options) {
  auto answer = admin_request(options.address, options.command);
  if (!answer) return report("admin", answer.error());
  std::printf("%s\n", answer->c_str());
  return answer->rfind("{\"error\"", 0) == 0 ? kExitFailure : kExitOk;
}

}  // namespace

void add_admin_command(CLI::App& app, int& exit_code) {
  auto* admin = app.add_subcommand(
      "admin",
      "ask a running node's admin endpoint (node --admin) for its views, connections or "
      "stats; prints one JSON line");
  auto options = std::make_shared<AdminOptions>();
  admin->add_option("--connect", options->address, "the admin endpoint, e.g. 127.0.0.1:7000")
      ->required();
  admin->add_option("command", options->command, "views, connections or stats")
      ->required()
      ->check(CLI::IsMember({"views", "connections", "stats"}));
  admin->callback([&exit_code, options] { exit_code = run_admin(*options); });
}

}  // namespace barrel_p2p::cli
