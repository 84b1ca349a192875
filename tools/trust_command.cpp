// `barrel-p2p keys trust`: the trust store on disk, <data>/keys/trusted/<node>.pub (SPEC §2.1
// "Trust store"). A running node reads its pins at start; changes made here take effect at
// its next start. As in the node, a pin is never silently replaced by a different key.
#include <cstdio>
#include <memory>
#include <string>

#include "barrel_p2p/identity.hpp"
#include "barrel_p2p/node.hpp"
#include "barrel_p2p/trust_files.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "config_file.hpp"

namespace barrel_p2p::cli {

namespace {

struct PinOptions {
  DataDirOptions where;
  std::string name;
  std::string key_hex;
  std::string public_key_file;
};

Result<std::array<std::uint8_t, 32>> key_to_pin(const PinOptions& options) {
  if (options.key_hex.empty() == options.public_key_file.empty()) {
    return fail(Errc::invalid_argument, "give the key either as 64 hex digits or with --file");
  }
  if (!options.key_hex.empty()) return key_from_hex(options.key_hex);
  return read_public_key(options.public_key_file);
}

int pin(const PinOptions& options) {
  if (!is_valid_pin_name(options.name)) {
    return report("keys trust pin",
                  Error{Errc::invalid_argument, "'" + options.name +
                                                    "' is not a node name (1-64 characters of "
                                                    "[A-Za-z0-9._-], not . or ..)"});
  }
  auto key = key_to_pin(options);
  if (!key) return report("keys trust pin", key.error());
  auto data_dir = resolve_data_dir(options.where);
  if (!data_dir) return report("keys trust pin", data_dir.error());
  // A pin that differs is never replaced in place (SPEC §2.1); save_pin() refuses it.
  auto saved = save_pin(*data_dir, options.name, *key);
  if (!saved && saved.error().code == Errc::already_exists) {
    return report("keys trust pin",
                  Error{Errc::already_exists, saved.error().message + "; unpin it first"});
  }
  if (!saved) return report("keys trust pin", saved.error());
  const char* done =
      *saved == PinSaved::already_pinned ? "%s is already pinned to %s\n" : "pinned %s to %s\n";
  std::printf(done, options.name.c_str(), fingerprint(*key).c_str());
  return kExitOk;
}

struct NameOptions {
  DataDirOptions where;
  std::string name;
};

int unpin(const NameOptions& options) {
  auto data_dir = resolve_data_dir(options.where);
  if (!data_dir) return report("keys trust unpin", data_dir.error());
  if (auto removed = remove_pin(*data_dir, options.name); !removed) {
    if (removed.error().code == Errc::not_found) {
      return report("keys trust unpin",
                    Error{Errc::not_found, "no pin for " + options.name + " in " +
                                               trusted_directory(*data_dir).string()});
    }
    return report("keys trust unpin", removed.error());
  }
  std::printf("unpinned %s\n", options.name.c_str());
  return kExitOk;
}

int list(const DataDirOptions& where) {
  auto data_dir = resolve_data_dir(where);
  if (!data_dir) return report("keys trust list", data_dir.error());
  auto listing = list_pins(*data_dir);
  if (!listing) return report("keys trust list", listing.error());
  for (const std::string& warning : listing->warnings) {
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  }
  for (const Pin& entry : listing->pins) {
    std::printf("%s %s\n", entry.peer.c_str(), entry.fingerprint.c_str());
  }
  return kExitOk;
}

struct ModeOptions {
  ConfigOptions config;
  std::string requested;
};

/// The trust mode is the configuration key trust.mode; nothing in the data directory stores
/// it, so this command reads it from the configuration and never edits files.
int mode(const ModeOptions& options) {
  if (!options.requested.empty()) {
    return report("keys trust mode",
                  Error{Errc::invalid_argument,
                        "the trust mode is the configuration key trust.mode, not stored with the "
                        "keys: set `mode = \"" +
                            options.requested +
                            "\"` under [trust] in the configuration file, "
                            "or use BARREL_TRUST_MODE=" +
                            options.requested + " or --set trust.mode=" + options.requested});
  }
  auto config = load_config(options.config);
  if (!config) return report("keys trust mode", config.error());
  std::printf("%s\n", std::string(trust_mode_name(config->trust_mode)).c_str());
  return kExitOk;
}

}  // namespace

void add_trust_command(CLI::App& keys, int& exit_code) {
  auto* trust = keys.add_subcommand("trust", "pin, unpin and list peer keys");
  trust->require_subcommand(1);

  auto* pin_command = trust->add_subcommand("pin", "pin NAME to a public key");
  auto pin_options = std::make_shared<PinOptions>();
  pin_command->add_option("name", pin_options->name, "the peer's node name")->required();
  pin_command->add_option("key", pin_options->key_hex, "its public key, 64 hex digits");
  pin_command->add_option("--file", pin_options->public_key_file,
                          "read the key from a raw 32-byte file (the peer's node.pub)");
  add_data_dir_options(*pin_command, pin_options->where);
  pin_command->callback([&exit_code, pin_options] { exit_code = pin(*pin_options); });

  auto* unpin_command = trust->add_subcommand("unpin", "remove the pin of NAME");
  auto unpin_options = std::make_shared<NameOptions>();
  unpin_command->add_option("name", unpin_options->name, "the peer's node name")->required();
  add_data_dir_options(*unpin_command, unpin_options->where);
  unpin_command->callback([&exit_code, unpin_options] { exit_code = unpin(*unpin_options); });

  auto* list_command = trust->add_subcommand("list", "print one 'NAME SHA256:<hex>' per pin");
  auto list_options = std::make_shared<DataDirOptions>();
  add_data_dir_options(*list_command, *list_options);
  list_command->callback([&exit_code, list_options] { exit_code = list(*list_options); });

  auto* mode_command = trust->add_subcommand(
      "mode", "print the trust mode (tofu or strict) that --config gives (config key trust.mode)");
  auto mode_options = std::make_shared<ModeOptions>();
  mode_command->add_option("mode", mode_options->requested,
                           "not accepted: the mode is set in the configuration file");
  add_config_options(*mode_command, mode_options->config, true);
  mode_command->callback([&exit_code, mode_options] { exit_code = mode(*mode_options); });
}

}  // namespace barrel_p2p::cli
