// Identity files, trust-on-first-use, strict mode and pin conflicts, across restarts.
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "barrel_p2p/codec.hpp"
#include "support/test_support.hpp"

namespace barrel_p2p::testing {
namespace {

std::vector<char> read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Trust, TofuPinsOnFirstContactAndThePinSurvivesRestarts) {
  TempDir dir;
  auto a = start_node(test_config("alice", dir.sub("a")));
  auto b = start_node(test_config("bob", dir.sub("b")));
  ASSERT_TRUE(a && b);
  const auto bob_key = b->public_key();
  ASSERT_TRUE(a->connect_and_wait(b->address(), 5s));
  auto up = wait_for<PeerUp>(*a);
  ASSERT_TRUE(up);
  EXPECT_TRUE(up->newly_trusted);

  // Restart both: bob keeps his key and certificate, alice keeps her pin. The pin file is
  // written off the event loop, and is on disk once the node has stopped.
  const auto cert_before = read_all(dir.sub("b") / "quic" / "node.crt");
  a.reset();
  b.reset();
  const auto pin_file = dir.sub("a") / "keys" / "trusted" / "bob.pub";
  ASSERT_TRUE(std::filesystem::exists(pin_file));
  const auto raw = read_all(pin_file);
  ASSERT_EQ(raw.size(), 32U);
  EXPECT_EQ(std::memcmp(raw.data(), bob_key.data(), 32), 0);
  b = start_node(test_config("bob", dir.sub("b")));
  a = start_node(test_config("alice", dir.sub("a")));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->public_key(), bob_key);
  EXPECT_EQ(read_all(dir.sub("b") / "quic" / "node.crt"), cert_before);
  auto pin = a->lookup_pin("bob");
  ASSERT_TRUE(pin);
  EXPECT_EQ(pin->public_key, bob_key);
  ASSERT_TRUE(a->connect_and_wait(b->address(), 5s));
  auto again = wait_for<PeerUp>(*a);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->newly_trusted);
}

TEST(Trust, StrictModeRejectsUnknownKeysAndAcceptsProvisionedOnes) {
  TempDir dir;
  auto config_a = test_config("alice", dir.sub("a"));
  config_a.trust_mode = TrustMode::strict;
  auto a = start_node(config_a);
  auto b = start_node(test_config("bob", dir.sub("b")));
  ASSERT_TRUE(a && b);
  auto refused = b->connect_and_wait(a->address(), 5s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::auth_failed);
  auto failure = wait_for<AuthFailure>(*a);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->reason, "unknown_key");
  EXPECT_EQ(failure->peer, "bob");
  EXPECT_TRUE(failure->local);
  EXPECT_GE(a->stats().auth_failed_by_reason["unknown_key"], 1U);

  ASSERT_TRUE(a->pin("bob", b->public_key()));
  auto accepted = b->connect_and_wait(a->address(), 5s);
  ASSERT_TRUE(accepted) << accepted.error().to_string();
  EXPECT_EQ(*accepted, "alice");
  EXPECT_EQ(a->trust_mode(), TrustMode::strict);
}

void expect_impostor_rejected(TrustMode mode) {
  TempDir dir;
  auto a = start_node(test_config("alice", dir.sub("a")));
  auto b = start_node(test_config("bob", dir.sub("b")));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->connect_and_wait(b->address(), 5s));  // alice pins bob's key
  a->set_trust_mode(mode);
  b.reset();
  // "bob" returns with a brand-new key pair under the same name.
  auto impostor = start_node(test_config("bob", dir.sub("impostor")));
  ASSERT_TRUE(impostor);
  auto outcome = a->connect_and_wait(impostor->address(), 5s);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find("key_mismatch"), std::string::npos)
      << outcome.error().message;
  auto failure =
      wait_for<AuthFailure>(*a, [](const AuthFailure& f) { return f.reason == "key_mismatch"; });
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->peer, "bob");
  // The pin was not replaced.
  auto pin = a->lookup_pin("bob");
  ASSERT_TRUE(pin);
  EXPECT_NE(pin->public_key, impostor->public_key());
}

TEST(Trust, NewKeyUnderAKnownNameIsRejectedInTofuMode) {
  expect_impostor_rejected(TrustMode::tofu);
}

TEST(Trust, NewKeyUnderAKnownNameIsRejectedInStrictMode) {
  expect_impostor_rejected(TrustMode::strict);
}

TEST(Trust, SecretKeyFileIsOwnerOnly) {
  TempDir dir;
  auto a = start_node(test_config("alice", dir.sub("a")));
  ASSERT_TRUE(a);
  for (const char* secret : {"keys/node.key", "quic/node.key"}) {
    struct stat info {};
    ASSERT_EQ(::stat((dir.sub("a") / secret).c_str(), &info), 0) << secret;
    EXPECT_EQ(info.st_mode & 0777, 0600U) << secret;
  }
  struct stat pub {};
  ASSERT_EQ(::stat((dir.sub("a") / "keys/node.pub").c_str(), &pub), 0);
  EXPECT_EQ(std::filesystem::file_size(dir.sub("a") / "keys/node.pub"), 32U);
  EXPECT_EQ(std::filesystem::file_size(dir.sub("a") / "keys/node.key"), 32U);
}

TEST(Trust, MismatchedKeyPairRefusesToLoad) {
  TempDir dir;
  {
    auto a = start_node(test_config("alice", dir.sub("a")));
    auto b = start_node(test_config("bob", dir.sub("b")));
    ASSERT_TRUE(a && b);
  }
  std::filesystem::copy_file(dir.sub("b") / "keys/node.pub", dir.sub("a") / "keys/node.pub",
                             std::filesystem::copy_options::overwrite_existing);
  auto refused = Node::start(test_config("alice", dir.sub("a")));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::crypto);
  EXPECT_NE(refused.error().message.find("mismatch"), std::string::npos) << refused.error().message;
}

TEST(Trust, InvalidConfigIsRefusedWithTheFieldName) {
  TempDir dir;
  auto config = test_config("bad/name", dir.sub("a"));
  auto refused = Node::start(config);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  EXPECT_NE(refused.error().message.find("node_name"), std::string::npos);
  config = test_config("ok", dir.sub("a"));
  config.keep_alive = config.idle_timeout;
  refused = Node::start(config);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("keep_alive"), std::string::npos);
  config = test_config("ok", dir.sub("a"));
  config.log_format = "xml";
  refused = Node::start(config);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("log_format"), std::string::npos);
}

// Issue 13, deliverable 3: a contact string names the peer's name and key. Dialing through
// one, a node that presents another name, or the right name with another key, is refused even
// in TOFU mode on first contact, and nothing is pinned; the node it names is accepted and
// pinned.
TEST(Trust, ContactStringRefusesAnotherNameOrKeyAndPinsTheRightOne) {
  TempDir dir;
  auto a = start_node(test_config("alice", dir.sub("a")));
  auto b = start_node(test_config("bob", dir.sub("b")));
  auto c = start_node(test_config("carol", dir.sub("c")));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(b->contact(), "bob@" + b->address() + "#" + b->fingerprint());
  const std::string wrong_name = "carol@" + b->address() + "#" + b->fingerprint();
  const std::string wrong_key = "bob@" + b->address() + "#" + c->fingerprint();
  for (const std::string& contact : {wrong_name, wrong_key}) {
    auto refused = a->connect_and_wait(contact, 5s);
    ASSERT_FALSE(refused) << contact;
    EXPECT_EQ(refused.error().code, Errc::auth_failed);
    EXPECT_NE(refused.error().message.find("contact_mismatch"), std::string::npos)
        << refused.error().message;
  }
  EXPECT_TRUE(a->pins().empty());
  EXPECT_TRUE(a->peers().empty());

  auto peer = a->connect_and_wait(b->contact(), 5s);
  ASSERT_TRUE(peer) << peer.error().to_string();
  EXPECT_EQ(*peer, "bob");
  auto up = wait_for<PeerUp>(*a);
  ASSERT_TRUE(up);
  EXPECT_TRUE(up->newly_trusted);
  auto pin = a->lookup_pin("bob");
  ASSERT_TRUE(pin);
  EXPECT_EQ(pin->public_key, b->public_key());
  a.reset();  // the pin is on disk once the node has stopped
  EXPECT_EQ(read_all(dir.sub("a") / "keys" / "trusted" / "bob.pub").size(), 32U);
}

// Contact strings in Config::membership.contacts and join(), in strict mode: a wrong one is
// refused (contact_mismatch), and so is any other key for that name while it is configured;
// the right one joins and pins although no pin was provisioned.
TEST(Trust, ContactStringsFromConfigAndJoinAreCheckedInStrictMode) {
  TempDir dir;
  auto b = start_node(test_config("bob", dir.sub("b")));
  auto c = start_node(test_config("carol", dir.sub("c")));
  ASSERT_TRUE(b && c);
  auto config = test_config("alice", dir.sub("a"));
  config.trust_mode = TrustMode::strict;
  config.membership.contacts = {"bob@" + b->address() + "#" + c->fingerprint()};
  auto a = start_node(config);
  ASSERT_TRUE(a);
  auto failure = wait_for<AuthFailure>(*a, 10s);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->reason, "contact_mismatch");
  EXPECT_EQ(failure->peer, "bob");
  EXPECT_TRUE(failure->local);
  EXPECT_FALSE(a->lookup_pin("bob"));

  // The configuration names carol's key for bob, and that holds for every link under the name
  // (decision 0024): a join through bob's own contact string is refused as well.
  ASSERT_TRUE(a->join(b->contact()));
  auto second = wait_for<AuthFailure>(*a, 10s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->reason, "contact_mismatch");
  EXPECT_FALSE(a->lookup_pin("bob"));

  a.reset();
  config.membership.contacts.clear();
  a = start_node(config);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->join(b->contact()));
  auto up = wait_for<PeerUp>(
      *a, [](const PeerUp& event) { return event.peer == "bob"; }, 10s);
  ASSERT_TRUE(up);
  auto pin = a->lookup_pin("bob");
  ASSERT_TRUE(pin);
  EXPECT_EQ(pin->public_key, b->public_key());
  bool joined = false;
  for (int i = 0; i < 100 && !joined; ++i) {
    const auto view = a->active_view();
    joined = !view.empty() && view.front().name == "bob";
    if (!joined) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(joined) << "alice did not join through bob's contact string";
}

// Contact strings in Config::node_addresses (connections.addresses): an on-demand connection
// to the node they name must prove its name and key, even on first contact in TOFU mode. A
// wrong key is refused (contact_mismatch, nothing pinned, the rpc fails); the right one is
// accepted and pinned. A contact string under another node's name is a configuration error.
TEST(Trust, ContactStringsInNodeAddressesAreCheckedOnDemand) {
  TempDir dir;
  auto b = start_node(test_config("bob", dir.sub("b")));
  auto c = start_node(test_config("carol", dir.sub("c")));
  ASSERT_TRUE(b && c);
  ASSERT_TRUE(b->register_function(
      "ping", [](BytesView) -> Result<Bytes> { return encode(std::string("pong")); }));

  auto wrong = test_config("alice", dir.sub("a1"));
  wrong.node_addresses = {{"bob", "bob@" + b->address() + "#" + c->fingerprint()}};
  auto a1 = start_node(wrong);
  ASSERT_TRUE(a1);
  auto refused = a1->rpc("bob", "ping", {}, 5s).get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unreachable) << refused.error().to_string();
  auto failure = wait_for<AuthFailure>(*a1, 10s);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->reason, "contact_mismatch");
  EXPECT_TRUE(failure->local);
  EXPECT_FALSE(a1->lookup_pin("bob"));

  auto right = test_config("alice", dir.sub("a2"));
  right.node_addresses = {{"bob", b->contact()}};
  auto a2 = start_node(right);
  ASSERT_TRUE(a2);
  auto answered = a2->rpc("bob", "ping", {}, 5s).get();
  ASSERT_TRUE(answered) << answered.error().to_string();
  EXPECT_EQ(decode<std::string>(*answered).value_or(""), "pong");
  auto pin = a2->lookup_pin("bob");
  ASSERT_TRUE(pin);
  EXPECT_EQ(pin->public_key, b->public_key());

  auto misnamed = test_config("alice", dir.sub("a3"));
  misnamed.node_addresses = {{"bob", c->contact()}};
  auto invalid = Node::start(misnamed);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, Errc::invalid_argument);
  EXPECT_NE(
      invalid.error().message.find("node_addresses: the contact string for bob names 'carol'"),
      std::string::npos)
      << invalid.error().message;
}

// Decision 0024: a configured contact string names the key of every link under that name,
// accepted ones too. An impostor presenting the name with another key is refused even in TOFU
// mode on first contact (it would otherwise be pinned); the named node is accepted and pinned,
// in strict mode without a pin provisioned.
TEST(Trust, ConfiguredContactStringsHoldForAcceptedLinks) {
  TempDir dir;
  auto bob = start_node(test_config("bob", dir.sub("b")));
  auto impostor = start_node(test_config("bob", dir.sub("x")));
  ASSERT_TRUE(bob && impostor);
  for (const TrustMode mode : {TrustMode::tofu, TrustMode::strict}) {
    const std::string name(trust_mode_name(mode));
    // One alice per mode, under its own name: bob pins each.
    auto config = test_config("alice-" + name, dir.sub("a-" + name));
    config.trust_mode = mode;
    config.node_addresses = {{"bob", bob->contact()}};
    auto alice = start_node(config);
    ASSERT_TRUE(alice) << name;
    auto refused = impostor->connect_and_wait(alice->address(), 5s);
    ASSERT_FALSE(refused) << name;
    EXPECT_EQ(refused.error().code, Errc::auth_failed) << name;
    auto failure = wait_for<AuthFailure>(*alice, 10s);
    ASSERT_TRUE(failure) << name;
    EXPECT_EQ(failure->reason, "contact_mismatch") << name;
    EXPECT_TRUE(failure->local) << name;
    EXPECT_FALSE(alice->lookup_pin("bob")) << name;

    auto accepted = bob->connect_and_wait(alice->address(), 5s);
    ASSERT_TRUE(accepted) << name << ": " << accepted.error().to_string();
    EXPECT_EQ(*accepted, "alice-" + name);
    auto up = wait_for<PeerUp>(*alice, 10s);
    ASSERT_TRUE(up) << name;
    EXPECT_TRUE(up->newly_trusted) << name;
    auto pin = alice->lookup_pin("bob");
    ASSERT_TRUE(pin) << name;
    EXPECT_EQ(pin->public_key, bob->public_key()) << name;
    ASSERT_TRUE(bob->disconnect("alice-" + name, "next mode"));
  }
}

TEST(Trust, MalformedContactStringsAreRefusedNamingThePart) {
  TempDir dir;
  auto config = test_config("alice", dir.sub("a"));
  config.membership.contacts = {"bob@127.0.0.1:4000#SHA256:abc"};
  auto refused = Node::start(config);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  EXPECT_NE(refused.error().message.find("membership.contacts"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("64 hex digits"), std::string::npos)
      << refused.error().message;
  auto a = start_node(test_config("alice", dir.sub("a")));
  ASSERT_TRUE(a);
  for (const char* bad : {"bob@127.0.0.1:4000", "b/ob@127.0.0.1:4000#SHA256:00", "bob@nowhere#x"}) {
    auto connected = a->connect(bad);
    ASSERT_FALSE(connected) << bad;
    EXPECT_EQ(connected.error().code, Errc::invalid_argument) << bad;
    EXPECT_NE(connected.error().message.find("contact '"), std::string::npos)
        << connected.error().message;
    EXPECT_FALSE(a->join(bad)) << bad;
  }
}

}  // namespace
}  // namespace barrel_p2p::testing
