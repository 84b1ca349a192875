// barrel-p2p: the command-line tool.
#include <string>

#include <CLI/CLI.hpp>

#include "barrel_p2p/version.hpp"
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
  barrel_p2p::cli::add_demo_command(app);
  barrel_p2p::cli::add_demo_link_command(app);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
