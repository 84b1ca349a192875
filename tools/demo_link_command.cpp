// `barrel-p2p demo-link`: two nodes in one process authenticate each other and exchange
// messages over a link, each step shown in plain words.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "barrel_p2p/node.hpp"
#include "commands.hpp"

namespace barrel_p2p::cli {

namespace {

using namespace std::chrono_literals;

int fail_with(const std::string& what, const Error& error) {
  std::fprintf(stderr, "demo failed: %s: %s\n", what.c_str(), error.to_string().c_str());
  return 1;
}

template <typename T>
std::optional<T> await(Node& node, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto event = node.next_event(50ms);
    if (event && std::holds_alternative<T>(*event)) return std::get<T>(std::move(*event));
  }
  return std::nullopt;
}

Config demo_config(const std::string& name, const std::filesystem::path& root) {
  Config config;
  config.node_name = name;
  config.data_dir = root / name;
  config.cluster_name = "demo";
  config.log_level = "warn";
  return config;
}

int exchange(Node& from, Node& to, int count, int& delivered) {
  for (int i = 1; i <= count; ++i) {
    const std::string text = "message " + std::to_string(i) + " from " + from.name();
    const std::vector<std::uint8_t> payload(text.begin(), text.end());
    if (auto sent = from.send(to.name(), Channel::data, payload); !sent) {
      return fail_with("send", sent.error());
    }
    auto message = await<Message>(to, 5s);
    if (!message) return fail_with("receive", Error{Errc::timeout, "no message within 5 s"});
    std::printf("  %s received from %s: \"%s\"\n", to.name().c_str(), message->peer.c_str(),
                std::string(message->payload.begin(), message->payload.end()).c_str());
    ++delivered;
  }
  return 0;
}

int run_demo(int messages, const std::string& data_dir) {
  std::filesystem::path root = data_dir;
  bool temporary = false;
  if (root.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "barrel-demo-XXXXXX").string();
    root = mkdtemp(pattern.data());
    temporary = true;
  }
  std::printf("1. Starting two nodes, alice and bob, on 127.0.0.1 (data under %s).\n",
              root.c_str());
  std::printf(
      "   Each creates an Ed25519 identity and a self-signed TLS certificate on first start.\n");
  auto alice = Node::start(demo_config("alice", root));
  if (!alice) return fail_with("start alice", alice.error());
  auto bob = Node::start(demo_config("bob", root));
  if (!bob) return fail_with("start bob", bob.error());
  std::printf("   alice listens on UDP %s, identity %s\n", (*alice)->address().c_str(),
              (*alice)->fingerprint().c_str());
  std::printf("   bob   listens on UDP %s, identity %s\n", (*bob)->address().c_str(),
              (*bob)->fingerprint().c_str());
  std::printf(
      "2. alice connects to bob: QUIC + TLS 1.3, then mutual Ed25519 challenge-response\n"
      "   bound to bob's TLS certificate (HELLO, CHALLENGE, RESPONSE, OK both ways).\n");
  const auto started = std::chrono::steady_clock::now();
  auto peer = (*alice)->connect_and_wait((*bob)->address(), 5s);
  if (!peer) return fail_with("connect", peer.error());
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  auto up = await<PeerUp>(**bob, 5s);
  if (!up) return fail_with("authenticate", Error{Errc::timeout, "bob saw no peer"});
  std::printf("   authenticated in %.2f ms: alice sees %s, bob sees %s (%s)\n",
              static_cast<double>(micros.count()) / 1000.0, peer->c_str(), up->peer.c_str(),
              up->fingerprint.c_str());
  std::printf("   trust on first use: bob pinned alice's key%s.\n",
              up->newly_trusted ? "" : " (already pinned)");
  std::printf("3. Exchanging messages over the authenticated link.\n");
  int delivered = 0;
  if (int rc = exchange(**alice, **bob, messages, delivered); rc != 0) return rc;
  if (int rc = exchange(**bob, **alice, messages, delivered); rc != 0) return rc;
  std::printf("4. alice says goodbye; bob learns why.\n");
  if (auto done = (*alice)->disconnect("bob", "demo over"); !done) {
    return fail_with("disconnect", done.error());
  }
  auto down = await<PeerDown>(**bob, 5s);
  std::printf("   bob: peer %s down (%s)\n", down ? down->peer.c_str() : "?",
              down ? down->reason.c_str() : "no notice");
  (*alice)->stop();
  (*bob)->stop();
  if (temporary) std::filesystem::remove_all(root);
  std::printf("demo finished: %d messages delivered\n", delivered);
  return down ? 0 : 1;
}

}  // namespace

void add_demo_link_command(CLI::App& app) {
  auto* demo = app.add_subcommand(
      "demo-link", "run two nodes in this process and show them authenticate and talk");
  static int messages = 3;
  static std::string data_dir;
  demo->add_option("--messages", messages, "messages each way")->check(CLI::Range(1, 1000000));
  demo->add_option("--data-dir", data_dir, "keep identities here (default: a temp dir)");
  demo->callback([] { std::exit(run_demo(messages, data_dir)); });
}

}  // namespace barrel_p2p::cli
