// barrel-p2p: the command-line tool.
#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"barrel-p2p: secure, bounded-connection clusters over QUIC"};
  app.require_subcommand(1);
  barrel_p2p::cli::add_demo_command(app);
  barrel_p2p::cli::add_keys_command(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
