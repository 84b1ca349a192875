// Identity rotation (decision 0023) between real nodes on loopback: a TOFU peer follows a
// rotated node without manual unpinning and persists the new pin; forged and replayed
// rotation records move nothing.
#include "proto/auth/rotation.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "barrel_p2p/identity.hpp"
#include "runtime/rotation_files.hpp"
#include "runtime/secure_file.hpp"
#include "support/raw_peer.hpp"
#include "support/scripted_client.hpp"
#include "support/test_support.hpp"

namespace barrel_p2p::testing {
namespace {

using transport::ConnectionId;
using transport::StreamKind;

std::array<std::uint8_t, 32> read_key(const std::filesystem::path& path) {
  std::array<std::uint8_t, 32> key{};
  auto bytes = runtime::read_file_exact(path, 32);
  EXPECT_TRUE(bytes) << path;
  if (bytes) std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

auth::KeyPair key_pair_from(const std::filesystem::path& seed_file) {
  return auth::KeyPair::from_seed(read_key(seed_file));
}

// bob pins alice on first contact, then alice rotates (stopped, rotated through the CLI's
// call, restarted).
class RotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = start_node(test_config("alice", dir_.sub("a")));
    bob_ = start_node(test_config("bob", dir_.sub("b")));
    ASSERT_TRUE(alice_ && bob_);
    old_key_ = alice_->public_key();
    ASSERT_TRUE(bob_->connect_and_wait(alice_->address(), 5s));
    auto up = wait_for<PeerUp>(*bob_);
    ASSERT_TRUE(up && up->newly_trusted);
    alice_.reset();
    auto rotated = rotate_identity_with_record(dir_.sub("a"), "test", "alice");
    ASSERT_TRUE(rotated) << rotated.error().to_string();
    EXPECT_EQ(rotated->old_identity.public_key, old_key_);
    new_key_ = rotated->new_identity.public_key;
    auto record = runtime::load_rotation_record(dir_.sub("a"));
    ASSERT_TRUE(record && *record);
    record_ = **record;
  }

  void restart_alice() {
    alice_ = start_node(test_config("alice", dir_.sub("a")));
    ASSERT_TRUE(alice_);
    ASSERT_EQ(alice_->public_key(), new_key_);
  }

  [[nodiscard]] std::array<std::uint8_t, 32> bobs_pin() const {
    auto pin = bob_->lookup_pin("alice");
    return pin ? pin->public_key : std::array<std::uint8_t, 32>{};
  }

  // Authenticates to bob as "alice" with `keys`, sending `record`, over a raw QUIC peer;
  // returns the reason bob gave, or "authenticated".
  std::string scripted_alice(const auth::KeyPair& keys, const wire::RotationRecord& record) {
    auto raw = RawPeer::create();
    auto id = raw->connect(bob_->address());
    if (!id) return "connect failed";
    if (!raw->pump_until([&] { return raw->connected.count(id->value) > 0; }, 5s)) {
      return "no QUIC handshake";
    }
    ScriptedClient client(*raw, *id, keys);
    client.name = "alice";
    client.rotation = record;
    client.start();
    raw->data_hook = [&](ConnectionId from, StreamKind, core::ByteView data) {
      if (from == *id) client.on_data(data, true);
    };
    raw->deliver_held(*id);
    raw->pump_until(
        [&] {
          return client.session->is_authenticated() || client.session->has_failed() ||
                 raw->closed.count(id->value) > 0;
        },
        5s);
    if (client.session->is_authenticated()) return "authenticated";
    auto failure = wait_for<AuthFailure>(
        *bob_, [](const AuthFailure& f) { return f.peer == "alice"; }, 2s);
    return failure ? failure->reason : "no failure event";
  }

  TempDir dir_;
  std::unique_ptr<Node> alice_;
  std::unique_ptr<Node> bob_;
  std::array<std::uint8_t, 32> old_key_{};
  std::array<std::uint8_t, 32> new_key_{};
  wire::RotationRecord record_;
};

TEST_F(RotationTest, ATofuPeerFollowsTheRotatedNodeAndPersistsThePin) {
  restart_alice();
  auto linked = bob_->connect_and_wait(alice_->address(), 5s);
  ASSERT_TRUE(linked) << linked.error().to_string();
  EXPECT_EQ(*linked, "alice");
  EXPECT_EQ(bobs_pin(), new_key_);
  EXPECT_EQ(bob_->stats().pins_rotated, 1U);
  auto up = wait_for<PeerUp>(*bob_, [](const PeerUp& p) { return p.peer == "alice"; });
  ASSERT_TRUE(up);
  EXPECT_FALSE(up->newly_trusted);
  // The pin file holds the new key once bob has stopped (pins are written off the loop), and
  // a restarted bob trusts the new key without any record.
  bob_.reset();
  EXPECT_EQ(read_key(dir_.sub("b") / "keys" / "trusted" / "alice.pub"), new_key_);
  ASSERT_TRUE(runtime::remove_file(runtime::rotation_record_path(dir_.sub("a"))));
  alice_.reset();
  restart_alice();
  bob_ = start_node(test_config("bob", dir_.sub("b")));
  ASSERT_TRUE(bob_);
  EXPECT_EQ(bobs_pin(), new_key_);
  ASSERT_TRUE(alice_->connect_and_wait(bob_->address(), 5s));  // the other direction too
  EXPECT_EQ(bob_->stats().pins_rotated, 0U);
}

// Like a first-contact pin: a moved pin whose file cannot be written is not trusted either. It
// goes back to the old key (the one its file still holds) and the link closes.
TEST_F(RotationTest, AMovedPinThatCannotBePersistedGoesBackToTheOldKey) {
  // Root ignores permission bits: make keys/trusted a regular file instead.
  const auto trusted = dir_.sub("b") / "keys" / "trusted";
  std::filesystem::remove_all(trusted);
  std::ofstream(trusted) << "not a directory";
  restart_alice();
  (void)bob_->connect_and_wait(alice_->address(), 5s);  // may succeed before the write fails
  auto refused = wait_for<AuthFailure>(*bob_, 10s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, "pin_not_persisted");
  EXPECT_EQ(refused->peer, "alice");
  EXPECT_EQ(bobs_pin(), old_key_);
  EXPECT_GE(bob_->stats().pins_not_persisted, 1U);
}

TEST_F(RotationTest, ForgedRecordsAreRefusedAndCounted) {
  core::SeededRng rng(11);
  const auth::KeyPair thief = auth::KeyPair::generate(rng);
  // The genuine record shown with a key the thief holds: its new key is not the one proved.
  EXPECT_EQ(scripted_alice(thief, record_), "rotation_refused");
  // A record from alice's pinned key to the thief's key, without alice's signature.
  wire::RotationRecord forged = auth::make_rotation_record(thief, thief, "test", "alice", 1, 0);
  forged.old_key = old_key_;
  EXPECT_EQ(scripted_alice(thief, forged), "rotation_refused");
  EXPECT_EQ(bob_->stats().auth_failed_by_reason["rotation_refused"], 2U);
  EXPECT_EQ(bobs_pin(), old_key_);
  EXPECT_EQ(bob_->stats().pins_rotated, 0U);
}

TEST_F(RotationTest, ReplayedRecordsMoveNothing) {
  restart_alice();
  ASSERT_TRUE(bob_->connect_and_wait(alice_->address(), 5s));
  ASSERT_EQ(bobs_pin(), new_key_);
  // Whoever kept the OLD key replays the record: it no longer starts from bob's pin.
  const auth::KeyPair old_keys = key_pair_from(dir_.sub("a") / "keys" / "node.key.old");
  ASSERT_EQ(old_keys.public_key().bytes, old_key_);
  EXPECT_EQ(scripted_alice(old_keys, record_), "key_mismatch");
  // alice rotates again (new -> newer): a peer still pinned to the first key, carol, ignores
  // the second record (one hop), and bob follows.
  auto carol = start_node(test_config("carol", dir_.sub("c")));
  ASSERT_TRUE(carol);
  ASSERT_TRUE(carol->pin("alice", old_key_));
  alice_.reset();
  auto second = rotate_identity_with_record(dir_.sub("a"), "test", "alice");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->sequence, 2U);
  new_key_ = second->new_identity.public_key;
  restart_alice();
  ASSERT_TRUE(bob_->connect_and_wait(alice_->address(), 5s));
  EXPECT_EQ(bobs_pin(), new_key_);
  auto refused = carol->connect_and_wait(alice_->address(), 5s);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("key_mismatch"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(carol->lookup_pin("alice")->public_key, old_key_);
  EXPECT_EQ(bob_->stats().pins_rotated, 2U);
}

}  // namespace
}  // namespace barrel_p2p::testing
