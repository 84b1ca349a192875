// Unsafe files and addresses are refused (issue 13, deliverable 2): a data_dir held by another
// node, secret files readable by others, a wildcard listen address without an advertise
// address, a first-contact pin that cannot be written, and repeated authentication failures
// (which back off). The CLI's side (messages and exit codes) is tools/tests/cli_safe_files_test.sh.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support/test_support.hpp"

namespace barrel_p2p::testing {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SafeFiles, ASecondNodeOnADataDirIsRefusedNamingThePid) {
  TempDir dir;
  auto first = start_node(test_config("alice", dir.sub("a")));
  ASSERT_TRUE(first);
  auto second = Node::start(test_config("alice", dir.sub("a")));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::busy);
  EXPECT_TRUE(contains(second.error().message, "pid " + std::to_string(::getpid()) + " holds " +
                                                   (dir.sub("a") / "lock").string()))
      << second.error().message;
  first->stop();  // the lock goes with stop(), not only with the object
  EXPECT_TRUE(start_node(test_config("alice", dir.sub("a"))));
}

TEST(SafeFiles, SecretFilesReadableByOthersRefuseToStartUnlessAllowed) {
  TempDir dir;
  ASSERT_TRUE(start_node(test_config("alice", dir.sub("a"))));
  for (const char* secret : {"keys/node.key", "quic/node.key"}) {
    const auto path = dir.sub("a") / secret;
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    auto refused = Node::start(test_config("alice", dir.sub("a")));
    ASSERT_FALSE(refused) << secret;
    EXPECT_EQ(refused.error().code, Errc::unsafe_file);
    EXPECT_TRUE(contains(refused.error().message, path.string() + " is mode 0644"))
        << refused.error().message;
    auto allowed = test_config("alice", dir.sub("a"));
    allowed.allow_insecure_file_modes = true;
    EXPECT_TRUE(start_node(allowed));
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  }
  const auto secret = dir.sub("secret");
  std::ofstream(secret) << "s3cret";
  ASSERT_EQ(::chmod(secret.c_str(), 0604), 0);
  auto config = test_config("alice", dir.sub("a"));
  config.cluster_secret = "s3cret";
  config.cluster_secret_file = secret;
  auto refused = Node::start(config);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unsafe_file);
  EXPECT_TRUE(contains(refused.error().message, secret.string() + " is mode 0604"));
}

TEST(SafeFiles, APublicKeyWithoutItsSecretKeyIsNotANewIdentity) {
  TempDir dir;
  ASSERT_TRUE(start_node(test_config("alice", dir.sub("a"))));
  std::filesystem::remove(dir.sub("a") / "keys/node.key");
  auto refused = Node::start(test_config("alice", dir.sub("a")));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unsafe_file);
  EXPECT_TRUE(contains(refused.error().message, "node.pub exists without"));
  EXPECT_FALSE(std::filesystem::exists(dir.sub("a") / "keys/node.key"));
}

TEST(SafeFiles, AWildcardListenAddressNeedsAnAdvertiseAddressWhichMembershipSends) {
  TempDir dir;
  auto config = test_config("alice", dir.sub("a"));
  config.listen_address = "0.0.0.0:0";
  auto refused = Node::start(config);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  EXPECT_TRUE(contains(refused.error().message, "membership.advertise_address: must be set"))
      << refused.error().message;

  // A free port, then alice on the wildcard with a name to advertise: bob's view shows it.
  std::string port;
  {
    auto probe = start_node(test_config("probe", dir.sub("p")));
    ASSERT_TRUE(probe);
    port = probe->address().substr(probe->address().rfind(':') + 1);
  }
  config.listen_address = "0.0.0.0:" + port;
  config.membership.advertise_address = "localhost:" + port;
  auto alice = start_node(config);
  auto bob = start_node(test_config("bob", dir.sub("b")));
  ASSERT_TRUE(alice && bob);
  ASSERT_TRUE(alice->join(bob->address()));
  bool advertised = false;
  for (int i = 0; i < 100 && !advertised; ++i) {
    for (const auto& node : bob->active_view()) {
      advertised = advertised || (node.name == "alice" && node.address == "localhost:" + port);
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(advertised) << "bob's active view does not hold alice at localhost:" << port;
}

TEST(SafeFiles, APinThatCannotBePersistedRefusesTheConnection) {
  TempDir dir;
  auto a = start_node(test_config("alice", dir.sub("a")));
  auto b = start_node(test_config("bob", dir.sub("b")));
  ASSERT_TRUE(a && b);
  // Root ignores permission bits, so a read-only directory would not stop the write: make
  // keys/trusted a regular file instead.
  const auto trusted = dir.sub("b") / "keys" / "trusted";
  std::filesystem::remove_all(trusted);
  std::ofstream(trusted) << "not a directory";
  (void)a->connect_and_wait(b->address(), 5s);  // may succeed before bob's write fails
  auto refused = wait_for<AuthFailure>(*b, 10s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, "pin_not_persisted");
  EXPECT_EQ(refused->peer, "alice");
  EXPECT_FALSE(b->lookup_pin("alice")) << "the pin stayed in memory";
  EXPECT_EQ(b->stats().pins_not_persisted, 1U);
  auto down = wait_for<PeerDown>(*a, 10s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->peer, "bob");
  for (int i = 0; i < 100 && !b->peers().empty(); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(b->peers().empty());
}

TEST(SafeFiles, RepeatedAuthenticationFailuresBackOffAndAreCounted) {
  TempDir dir;
  auto strict = test_config("alice", dir.sub("a"));
  strict.trust_mode = TrustMode::strict;  // refuses bob every time: bob is not pinned
  auto a = start_node(strict);
  ASSERT_TRUE(a);
  auto config = test_config("bob", dir.sub("b"));
  config.membership.contacts = {a->address()};
  config.membership.contact_retry = 100ms;  // without a backoff: ~35 attempts in 3.5 s
  auto b = start_node(config);
  ASSERT_TRUE(b);
  std::this_thread::sleep_for(3500ms);
  // With 1 s, 2 s, 4 s between attempts: at t=0, >=1 s and >=3 s.
  const auto refused = a->stats().auth_failed;
  EXPECT_GE(refused, 2U);
  EXPECT_LE(refused, 4U);
  EXPECT_GE(b->stats().dials_backed_off, 10U);
}

}  // namespace
}  // namespace barrel_p2p::testing
