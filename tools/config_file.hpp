// Loading a node configuration from a TOML file, plus environment and --set overrides
// (SPEC §2.11). Keys, types and defaults come from the key table in config_keys.hpp; the
// reference is docs/reference/configuration.md.
//
// Precedence, lowest first: Config defaults, the file, the environment (BARREL_<TABLE>_<KEY>),
// then --set table.key=value flags. Within one level a later override wins.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "barrel_p2p/config.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p::cli {

/// Largest configuration file read (a config is a page of text, not a data set).
inline constexpr std::size_t kConfigFileSizeMax = 1024 * 1024;

/// One override of a key by text: `key` is "table.name", `value` is converted by the key's
/// kind (see value_from_text()), `origin` says where it came from in error messages
/// ("environment BARREL_LOG_LEVEL", "--set log.level=debug").
struct ConfigOverride {
  std::string key;
  std::string value;
  std::string origin;
};

/// The overrides named by `environment`, a list of "NAME=value" entries (as in environ).
/// A variable BARREL_<TABLE>_<KEY> names the key table.key (upper-cased; table names hold no
/// '_', so the split is unambiguous). Variables that do not start with BARREL_ followed by a
/// known table name are ignored, so unrelated BARREL_* variables are harmless.
/// Errors: invalid_argument naming the variable when it starts with a known table's prefix but
/// names no key of that table (a typo would otherwise be silently ignored).
Result<std::vector<ConfigOverride>> environment_overrides(std::span<const std::string> environment);

/// This process's environment as "NAME=value" entries, for environment_overrides().
std::vector<std::string> process_environment();

/// Parses one --set argument, "table.key=value" (the value may be empty or contain '=').
/// Errors: invalid_argument when there is no '=' or the key is unknown (naming it).
Result<ConfigOverride> parse_assignment(std::string_view assignment);

/// Builds a Config from TOML text: defaults, then every key in `toml_text`, then `overrides`
/// in order; then checks required keys and Config::validate(). `origin` names the text in
/// error messages (a file name). Never throws.
///
/// Every error is invalid_argument and reads "<where>: <table.key>: <why>", where <where> is
/// "<origin>:<line>" for a value in the text, or the override's origin, e.g.
/// "node.toml:7: transport.idle_timeout_ms: expected a positive integer, got -5". Refused:
/// TOML syntax errors, unknown tables and keys, wrong types, values out of range, required
/// keys left unset, mutually exclusive keys set together, and anything validate() rejects
/// (its field name is replaced by the key's). cluster.secret_file is read while parsing
/// (io / not_found errors name the file). Values of cluster.secret never appear in messages.
Result<Config> parse_config(std::string_view toml_text, std::string_view origin,
                            std::span<const ConfigOverride> overrides = {});

/// Reads `path` (at most kConfigFileSizeMax bytes) and parses it as parse_config() does, with
/// the path as origin. The environment is not read here: pass
/// environment_overrides(process_environment()) first, then --set assignments.
/// Errors: not_found / io naming the file when it cannot be read, limit_reached when it is too
/// large, and those of parse_config().
Result<Config> load_config_file(const std::filesystem::path& path,
                                std::span<const ConfigOverride> overrides = {});

/// The effective configuration as TOML (every key, secrets shown as "<hidden>").
std::string render_config(const Config& config);

}  // namespace barrel_p2p::cli
