// barrel-p2p: the command-line tool.
#include <string>

#include <CLI/CLI.hpp>

#include "barrel_p2p/version.hpp"
#include "cli_support.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  // Set by the subcommand that ran; outlives `app`, whose callbacks hold a reference to it.
  int exit_code = 0;
  CLI::App app{"barrel-p2p: secure, bounded-connection clusters over QUIC"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "barrel-p2p " + std::string(barrel_p2p::version()));
  barrel_p2p::cli::add_node_command(app, exit_code);
  barrel_p2p::cli::add_keys_command(app, exit_code);
  barrel_p2p::cli::add_config_command(app, exit_code);
  barrel_p2p::cli::add_admin_command(app, exit_code);
  barrel_p2p::cli::add_cluster_commands(app, exit_code);
  barrel_p2p::cli::add_demo_command(app);
  barrel_p2p::cli::add_demo_link_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 prints the message (or --help, --version) and gives its own codes (105, 106,
    // 109, ...): a usage error is 2, as docs/reference/cli.md says.
    return app.exit(error) == 0 ? 0 : barrel_p2p::cli::kExitUsage;
  }
  return exit_code;
}
