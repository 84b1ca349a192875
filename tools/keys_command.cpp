// `barrel-p2p keys`: show a node's identity from its data directory.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "barrel_p2p/node.hpp"
#include "commands.hpp"

namespace barrel_p2p::cli {

namespace {

int show_key(const std::string& data_dir) {
  const std::string path = data_dir + "/keys/node.pub";
  std::ifstream in(path, std::ios::binary);
  std::vector<char> raw{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.is_open() && raw.empty()) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  if (raw.size() != 32) {
    std::fprintf(stderr, "%s holds %zu bytes; an Ed25519 public key has 32\n", path.c_str(),
                 raw.size());
    return 1;
  }
  std::array<std::uint8_t, 32> key{};
  std::copy(raw.begin(), raw.end(), key.begin());
  std::printf("%s\n", fingerprint(key).c_str());
  return 0;
}

}  // namespace

void add_keys_command(CLI::App& app) {
  auto* keys = app.add_subcommand("keys", "inspect node identities");
  keys->require_subcommand(1);
  auto* show = keys->add_subcommand("show", "print the fingerprint of a node's public key");
  static std::string data_dir;
  show->add_option("--data-dir", data_dir, "the node's data directory")->required();
  show->callback([] { std::exit(show_key(data_dir)); });
}

}  // namespace barrel_p2p::cli
