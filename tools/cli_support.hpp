// Pieces shared by the barrel-p2p subcommands: --config/--set/--data-dir options, exit codes,
// error reporting and hex keys.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "barrel_p2p/config.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p::cli {

/// Exit status of a command that ran and succeeded.
inline constexpr int kExitOk = 0;
/// Exit status when the operation failed (a file could not be written, a node would not start).
inline constexpr int kExitFailure = 1;
/// Exit status for bad input: a configuration error, a bad argument, a command-line usage
/// error (unknown option, missing subcommand).
inline constexpr int kExitUsage = 2;
/// Exit status when a file is unsafe to use (Errc::unsafe_file): a secret file readable by
/// group or others, node.pub without node.key.
inline constexpr int kExitUnsafeFile = 3;
/// Exit status when the data directory is in use by another node (Errc::busy).
inline constexpr int kExitBusy = 4;

/// --config FILE and any number of --set table.key=value.
struct ConfigOptions {
  std::string config_path;
  std::vector<std::string> assignments;
};

/// Adds --config (required when `required`) and --set to `command`. `options` must outlive
/// the parse of `command` (CLI11 stores into it).
CLI::Option* add_config_options(CLI::App& command, ConfigOptions& options, bool required);

/// The Config of --config, with the environment (BARREL_<TABLE>_<KEY>) and then each --set
/// applied. Errors: those of load_config_file() and parse_assignment(); invalid_argument when
/// no --config was given.
Result<Config> load_config(const ConfigOptions& options);

/// Where a keys command works: --data-dir DIR, or the node.data_dir of --config.
struct DataDirOptions {
  std::string data_dir;
  ConfigOptions config;
};

/// Adds --data-dir, --config and --set (one of --data-dir and --config is needed).
void add_data_dir_options(CLI::App& command, DataDirOptions& options);

/// The data directory named by `options`. Errors: invalid_argument when neither --data-dir nor
/// --config was given; those of load_config().
Result<std::filesystem::path> resolve_data_dir(const DataDirOptions& options);

/// Prints "barrel-p2p <command>: <message>" to stderr and returns the exit status for it:
/// kExitUsage for invalid_argument, kExitUnsafeFile for unsafe_file, kExitBusy for busy,
/// kExitFailure otherwise.
int report(std::string_view command, const Error& error);

/// Lower-case hex of `bytes`.
std::string to_hex(const std::array<std::uint8_t, 32>& bytes);

/// A raw Ed25519 public key from 64 hex digits. Errors: invalid_argument.
Result<std::array<std::uint8_t, 32>> key_from_hex(std::string_view hex);

}  // namespace barrel_p2p::cli
