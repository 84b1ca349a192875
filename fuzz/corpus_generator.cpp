// Writes the seed corpora fuzz/corpus/auth_message/ and fuzz/corpus/link_frame/ from the real
// encoders, so seeds stay valid when formats change. Usage: fuzz_corpus_generator <fuzz/corpus>
// Regenerate and commit the output after a wire format change.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "wire/auth_message.hpp"
#include "wire/link_frame.hpp"

namespace {

namespace wire = barrel_p2p::wire;
using barrel_p2p::core::Bytes;

bool write_file(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(file);
}

bool write_auth_messages(const std::filesystem::path& dir) {
  wire::Hello hello{wire::kAuthProtocolVersion, "prod", "node-1.eu_west", {}};
  for (std::size_t i = 0; i < hello.public_key.size(); ++i) {
    hello.public_key[i] = static_cast<std::uint8_t>(i * 7);
  }
  wire::Challenge challenge{{}, 1700000000123ULL};
  challenge.nonce.fill(0x5a);
  wire::Response response;
  response.signature.fill(0x11);
  response.cluster_mac.fill(0x22);
  const std::pair<const char*, wire::AuthMessage> seeds[] = {
      {"hello", hello},
      {"hello_long_names", wire::Hello{1, std::string(64, 'c'), std::string(64, 'n'), {}}},
      {"challenge", challenge},
      {"response", response},
      {"ok", wire::Ok{}},
      {"reject_empty", wire::Reject{wire::AuthFailure::budget_exceeded, ""}},
      {"reject_detail",
       wire::Reject{wire::AuthFailure::key_mismatch, "peer 'b' presented SHA256:00 but 11"}},
  };
  bool ok = true;
  for (const auto& [name, message] : seeds)
    ok = write_file(dir / name, wire::encode(message)) && ok;
  return ok;
}

// Link frame inputs: chunking seed byte | payload limit byte | frame stream.
Bytes link_input(std::uint8_t seed, std::uint8_t limit, const Bytes& stream) {
  Bytes out{seed, limit};
  out.insert(out.end(), stream.begin(), stream.end());
  return out;
}

bool write_link_frames(const std::filesystem::path& dir) {
  Bytes single;
  wire::encode_frame(single, wire::FrameType::data, Bytes{1, 2, 3});
  Bytes several;
  wire::encode_frame(several, wire::FrameType::auth, wire::encode(wire::Ok{}));
  wire::encode_frame(several, wire::FrameType::control, Bytes(70, 0xc0));
  wire::encode_frame(several, wire::FrameType::data, Bytes{});
  wire::encode_frame(several, wire::FrameType::goodbye, Bytes{'b', 'y', 'e'});
  Bytes truncated = several;
  truncated.resize(truncated.size() - 2);
  Bytes at_limit;
  wire::encode_frame(at_limit, wire::FrameType::data, Bytes(255, 0xee));
  const std::pair<const char*, Bytes> seeds[] = {
      {"single", link_input(0, 16, single)},
      {"several_chunked", link_input(7, 100, several)},
      {"several_whole", link_input(0, 100, several)},
      {"truncated_tail", link_input(3, 100, truncated)},
      {"at_limit", link_input(9, 255, at_limit)},
      {"oversize", link_input(1, 200, at_limit)},
      {"unknown_type", link_input(2, 16, Bytes{0x05, 0x00})},
      {"empty_stream", link_input(0, 0, Bytes{})},
  };
  bool ok = true;
  for (const auto& [name, input] : seeds) ok = write_file(dir / name, input) && ok;
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <fuzz/corpus directory>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root(argv[1]);
  std::error_code error;
  std::filesystem::create_directories(root / "auth_message", error);
  std::filesystem::create_directories(root / "link_frame", error);
  if (!write_auth_messages(root / "auth_message") || !write_link_frames(root / "link_frame")) {
    std::fprintf(stderr, "failed to write the corpus under %s\n", root.c_str());
    return 1;
  }
  return 0;
}
