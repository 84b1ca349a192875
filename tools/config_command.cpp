// `barrel-p2p config`: check a configuration file, and print the key reference that
// docs/reference/configuration.md embeds.
#include <cstdio>
#include <memory>

#include "cli_support.hpp"
#include "commands.hpp"
#include "config_file.hpp"
#include "config_keys.hpp"

namespace barrel_p2p::cli {

namespace {

int check(const ConfigOptions& options) {
  auto config = load_config(options);
  if (!config) {
    std::fprintf(stderr, "barrel-p2p config check: %s\n", config.error().message.c_str());
    return kExitUsage;
  }
  std::printf("%s", render_config(*config).c_str());
  return kExitOk;
}

}  // namespace

void add_config_command(CLI::App& app, int& exit_code) {
  auto* config = app.add_subcommand("config", "configuration files");
  config->require_subcommand(1);

  auto* check_command = config->add_subcommand(
      "check", "validate --config (with the environment and --set) and print the result");
  auto options = std::make_shared<ConfigOptions>();
  add_config_options(*check_command, *options, true);
  check_command->callback([&exit_code, options] { exit_code = check(*options); });

  auto* reference = config->add_subcommand(
      "reference", "print the markdown table of every key (docs/reference/configuration.md)");
  reference->callback([&exit_code] {
    std::printf("%s", render_reference_table().c_str());
    exit_code = kExitOk;
  });
}

}  // namespace barrel_p2p::cli
