// `barrel-p2p keys`: create and inspect a node's Ed25519 identity in its data directory
// (SPEC §2.1 "On-disk layout"). The files are written by barrel_p2p/identity.hpp, so they
// are created 0600 and atomically exactly as a starting node would write them.
#include <cstdio>
#include <memory>
#include <string>

#include "barrel_p2p/identity.hpp"
#include "barrel_p2p/node.hpp"  // fingerprint()
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

int show(const DataDirOptions& where) {
  auto data_dir = resolve_data_dir(where);
  if (!data_dir) return report("keys show", data_dir.error());
  auto identity = load_public_identity(*data_dir);
  if (!identity) return report("keys show", identity.error());
  std::printf("fingerprint: %s\npublic key:  %s\nkey files:   %s\n", identity->fingerprint.c_str(),
              to_hex(identity->public_key).c_str(), keys_directory(*data_dir).c_str());
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

  auto* show_command =
      keys->add_subcommand("show", "print the fingerprint, public key and key directory");
  auto show_options = std::make_shared<DataDirOptions>();
  add_data_dir_options(*show_command, *show_options);
  show_command->callback([&exit_code, show_options] { exit_code = show(*show_options); });

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
