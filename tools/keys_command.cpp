// `barrel-p2p keys`: create and inspect a node's Ed25519 identity in its data directory
// (SPEC §2.1 "On-disk layout"). The files are written by barrel_p2p/identity.hpp, so they
// are created 0600 and atomically exactly as a starting node would write them.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "barrel_p2p/config.hpp"
#include "barrel_p2p/identity.hpp"
#include "barrel_p2p/node.hpp"  // fingerprint(), make_contact()
#include "cli_support.hpp"
#include "commands.hpp"

namespace barrel_p2p::cli {

namespace {

struct GenerateOptions {
  DataDirOptions where;
  bool force = false;
};

int generate(const GenerateOptions& options) {
  auto data_dir = resolve_data_dir(options.where);
  if (!data_dir) return report("keys generate", data_dir.error());
  auto created = create_identity(*data_dir);
  // An existing key, or a node.pub left without its key: only --force replaces the identity.
  const bool replaceable = !created && (created.error().code == Errc::already_exists ||
                                        created.error().code == Errc::unsafe_file);
  if (replaceable && options.force) {
    created = rotate_identity(*data_dir);
    if (created) {
      std::fprintf(stderr,
                   "replaced the identity in %s (the old files are kept as node.key.old and "
                   "node.pub.old); peers that pinned the old key reject this node until they "
                   "unpin it\n",
                   keys_directory(*data_dir).c_str());
    }
  } else if (replaceable && created.error().code == Errc::already_exists) {
    return report("keys generate",
                  Error{Errc::already_exists,
                        (keys_directory(*data_dir) / "node.key").string() +
                            " already exists; --force replaces it (keeping node.key.old)"});
  }
  if (!created) return report("keys generate", created.error());
  std::printf("%s\n", created->fingerprint.c_str());
  return kExitOk;
}

/// The public half of the identity in `data_dir`, checked against its secret half.
Result<PublicIdentity> load_public_identity(const std::filesystem::path& data_dir) {
  auto identity = load_identity(data_dir);
  if (!identity && identity.error().code == Errc::not_found) {
    return fail(Errc::not_found, "no identity in " + keys_directory(data_dir).string() +
                                     " (node.key is missing); create one with `barrel-p2p "
                                     "keys generate`");
  }
  return identity;
}

struct ShowOptions {
  DataDirOptions where;
  std::string name;     // for the contact string; else --config's node.name
  std::string address;  // for the contact string; else --config's advertise or listen address
};

/// The node's contact string, from --name/--address or the configuration. Errors:
/// invalid_argument when an explicit --name or --address is not valid (those of
/// make_contact()); the configuration's own values instead give an explanation in `unknown`.
Result<std::string> own_contact(const ShowOptions& options, const PublicIdentity& identity,
                                std::string& unknown) {
  std::string name = options.name;
  std::string address = options.address;
  if (!options.where.config.config_path.empty()) {
    auto config = load_config(options.where.config);
    if (!config) return Unexpected(config.error());
    if (name.empty()) name = config->node_name;
    if (address.empty()) {
      address = config->membership.advertise_address.empty() ? config->listen_address
                                                             : config->membership.advertise_address;
    }
  }
  if (name.empty() || address.empty()) {
    unknown = "unknown: give --config, or --name and --address";
    return std::string();
  }
  auto contact = make_contact(name, address, identity.public_key);
  if (!contact && options.name.empty() && options.address.empty()) {
    unknown = "unknown: " + contact.error().message + "; give --address";
    return std::string();
  }
  return contact;
}

int show(const ShowOptions& options) {
  auto data_dir = resolve_data_dir(options.where);
  if (!data_dir) return report("keys show", data_dir.error());
  auto identity = load_public_identity(*data_dir);
  if (!identity) return report("keys show", identity.error());
  std::string unknown;
  auto contact = own_contact(options, *identity, unknown);
  if (!contact) return report("keys show", contact.error());
  std::printf("fingerprint: %s\npublic key:  %s\nkey files:   %s\ncontact:     %s\n",
              identity->fingerprint.c_str(), to_hex(identity->public_key).c_str(),
              keys_directory(*data_dir).c_str(),
              unknown.empty() ? contact->c_str() : unknown.c_str());
  return kExitOk;
}

struct RotateOptions {
  DataDirOptions where;
  std::string name;     // the node's name the record binds; else --config's node.name
  std::string cluster;  // the cluster the record binds; else --config's cluster.name
};

/// The node and cluster names a rotation record binds, from the flags or the configuration.
/// Errors: invalid_argument when no node name is known; those of load_config().
Result<std::pair<std::string, std::string>> rotation_names(const RotateOptions& options) {
  std::string name = options.name;
  std::string cluster = options.cluster;
  if (!options.where.config.config_path.empty()) {
    auto config = load_config(options.where.config);
    if (!config) return Unexpected(config.error());
    if (name.empty()) name = config->node_name;
    if (cluster.empty()) cluster = config->cluster_name;
  }
  if (cluster.empty()) cluster = Config{}.cluster_name;
  if (name.empty()) {
    return fail(Errc::invalid_argument,
                "the rotation record names the node: give --config or --name");
  }
  return std::pair{name, cluster};
}

void print_rotation(const IdentityRotation& rotated, const std::filesystem::path& data_dir,
                    const std::string& name, const std::string& cluster) {
  const std::string& old_print = rotated.old_identity.fingerprint;
  const std::string& new_print = rotated.new_identity.fingerprint;
  std::printf(
      "rotated the identity of %s (cluster %s) in %s, rotation %llu\n"
      "old key:     %s (kept as node.key.old and node.pub.old)\n"
      "new key:     %s\n"
      "record:      %s (signed by the old key and the new one)\n"
      "certificate: %s\n",
      name.c_str(), cluster.c_str(), keys_directory(data_dir).c_str(),
      static_cast<unsigned long long>(rotated.sequence), old_print.c_str(), new_print.c_str(),
      rotated.record_file.c_str(),
      rotated.certificate_rotated
          ? "replaced (the old one is kept as quic/node.crt.old and quic/node.key.old)"
          : "none yet (the node creates one when it starts)");
  std::printf(
      "\nRestart the node on this data directory; it sends the record to every peer it meets.\n"
      "What peers must do:\n"
      "- tofu mode, pinned to the old key: nothing; the pin moves to the new key when they\n"
      "  connect\n"
      "- strict mode: pin the new key by hand: barrel-p2p keys trust unpin %s, then\n"
      "  barrel-p2p keys trust pin %s %s\n"
      "- contact strings naming the old key (configuration, join, connect):\n"
      "  %s@HOST:PORT#%s\n"
      "  replace the fingerprint with %s\n"
      "- pinned to a key older than the old one (offline across two rotations): unpin %s\n"
      "Remove %s once every peer has connected to the new key.\n",
      name.c_str(), name.c_str(), to_hex(rotated.new_identity.public_key).c_str(), name.c_str(),
      old_print.c_str(), new_print.c_str(), name.c_str(), rotated.record_file.c_str());
}

int rotate(const RotateOptions& options) {
  auto data_dir = resolve_data_dir(options.where);
  if (!data_dir) return report("keys rotate", data_dir.error());
  auto names = rotation_names(options);
  if (!names) return report("keys rotate", names.error());
  auto rotated = rotate_identity_with_record(*data_dir, names->second, names->first);
  if (!rotated && rotated.error().code == Errc::not_found) {
    return report("keys rotate", load_public_identity(*data_dir).error());
  }
  if (!rotated) return report("keys rotate", rotated.error());
  print_rotation(*rotated, *data_dir, names->first, names->second);
  return kExitOk;
}

struct FingerprintOptions {
  DataDirOptions where;
  std::string public_key_file;
};

int print_fingerprint(const FingerprintOptions& options) {
  if (!options.public_key_file.empty()) {
    auto key = read_public_key(options.public_key_file);
    if (!key) return report("keys fingerprint", key.error());
    std::printf("%s\n", fingerprint(*key).c_str());
    return kExitOk;
  }
  auto data_dir = resolve_data_dir(options.where);
  if (!data_dir) return report("keys fingerprint", data_dir.error());
  auto identity = load_public_identity(*data_dir);
  if (!identity) return report("keys fingerprint", identity.error());
  std::printf("%s\n", identity->fingerprint.c_str());
  return kExitOk;
}

}  // namespace

void add_keys_command(CLI::App& app, int& exit_code) {
  auto* keys = app.add_subcommand("keys", "create and inspect node identities and pins");
  keys->require_subcommand(1);

  auto* generate_command = keys->add_subcommand(
      "generate",
      "create a new Ed25519 identity (node.key 0600, node.pub); prints its fingerprint");
  auto generate_options = std::make_shared<GenerateOptions>();
  add_data_dir_options(*generate_command, generate_options->where);
  generate_command->add_flag("--force", generate_options->force,
                             "replace an existing identity (the old one is kept as *.old)");
  generate_command->callback(
      [&exit_code, generate_options] { exit_code = generate(*generate_options); });

  auto* show_command = keys->add_subcommand(
      "show", "print the fingerprint, public key, key directory and contact string");
  auto show_options = std::make_shared<ShowOptions>();
  add_data_dir_options(*show_command, show_options->where);
  show_command->add_option("--name", show_options->name,
                           "node name for the contact string (default: --config's node.name)");
  show_command->add_option("--address", show_options->address,
                           "host:port peers dial, for the contact string (default: --config's "
                           "membership.advertise_address, else node.listen)");
  show_command->callback([&exit_code, show_options] { exit_code = show(*show_options); });

  auto* rotate_command = keys->add_subcommand(
      "rotate",
      "replace the identity and TLS certificate (old files kept as *.old) and write a rotation "
      "record signed by both keys, so peers that pinned the old key move their pin");
  auto rotate_options = std::make_shared<RotateOptions>();
  add_data_dir_options(*rotate_command, rotate_options->where);
  rotate_command->add_option("--name", rotate_options->name,
                             "node name the record binds (default: --config's node.name)");
  rotate_command->add_option(
      "--cluster", rotate_options->cluster,
      "cluster name the record binds (default: --config's cluster.name, else \"default\")");
  rotate_command->callback([&exit_code, rotate_options] { exit_code = rotate(*rotate_options); });

  auto* fingerprint_command = keys->add_subcommand(
      "fingerprint", "print only the fingerprint (SHA256:<hex>) of the identity or of --file");
  auto fingerprint_options = std::make_shared<FingerprintOptions>();
  add_data_dir_options(*fingerprint_command, fingerprint_options->where);
  fingerprint_command->add_option("--file", fingerprint_options->public_key_file,
                                  "a raw 32-byte public key file (e.g. another node's node.pub)");
  fingerprint_command->callback(
      [&exit_code, fingerprint_options] { exit_code = print_fingerprint(*fingerprint_options); });

  add_trust_command(*keys, exit_code);
}

}  // namespace barrel_p2p::cli
