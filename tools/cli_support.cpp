// Shared option handling and error reporting for the barrel-p2p subcommands.
#include "cli_support.hpp"

#include <cstdio>

#include "config_file.hpp"

namespace barrel_p2p::cli {

CLI::Option* add_config_options(CLI::App& command, ConfigOptions& options, bool required) {
  auto* config = command.add_option("--config", options.config_path,
                                    "node configuration file (TOML); BARREL_<TABLE>_<KEY> "
                                    "environment variables override its keys");
  if (required) config->required();
  command
      .add_option("--set", options.assignments,
                  "override one key, e.g. --set log.level=debug (repeatable; wins over the "
                  "file and the environment)")
      ->type_name("TABLE.KEY=VALUE")
      ->allow_extra_args(false);
  return config;
}

Result<Config> load_config(const ConfigOptions& options) {
  if (options.config_path.empty()) {
    return fail(Errc::invalid_argument, "no configuration file given (--config FILE)");
  }
  auto overrides = environment_overrides(process_environment());
  if (!overrides) return Unexpected(std::move(overrides).error());
  for (const std::string& assignment : options.assignments) {
    auto parsed = parse_assignment(assignment);
    if (!parsed) return Unexpected(std::move(parsed).error());
    overrides->push_back(std::move(parsed).value());
  }
  return load_config_file(options.config_path, *overrides);
}

void add_data_dir_options(CLI::App& command, DataDirOptions& options) {
  auto* data_dir = command.add_option("--data-dir", options.data_dir, "the node's data directory");
  auto* config = add_config_options(command, options.config, false);
  data_dir->excludes(config);
  config->excludes(data_dir);
}

Result<std::filesystem::path> resolve_data_dir(const DataDirOptions& options) {
  if (!options.data_dir.empty()) return std::filesystem::path(options.data_dir);
  if (options.config.config_path.empty()) {
    return fail(Errc::invalid_argument,
                "name the data directory with --data-dir DIR or --config FILE");
  }
  auto config = load_config(options.config);
  if (!config) return Unexpected(std::move(config).error());
  return config->data_dir;
}

int report(std::string_view command, const Error& error) {
  std::fprintf(stderr, "barrel-p2p %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               error.message.c_str());
  switch (error.code) {
    case Errc::invalid_argument: return kExitUsage;
    case Errc::unsafe_file: return kExitUnsafeFile;
    case Errc::busy: return kExitBusy;
    default: return kExitFailure;
  }
}

std::string to_hex(const std::array<std::uint8_t, 32>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

Result<std::array<std::uint8_t, 32>> key_from_hex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<std::uint8_t, 32> key{};
  if (hex.size() != 2 * key.size()) {
    return fail(Errc::invalid_argument,
                "a public key is 64 hex digits, got " + std::to_string(hex.size()) + " characters");
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    const int high = digit(hex[2 * i]);
    const int low = digit(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return fail(Errc::invalid_argument,
                  "a public key is 64 hex digits; '" + std::string(hex) + "' has other characters");
    }
    key[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return key;
}

}  // namespace barrel_p2p::cli
