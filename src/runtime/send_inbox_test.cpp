#include "runtime/send_inbox.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::runtime {
namespace {

std::vector<std::string> drain_all(SendInbox& inbox, std::size_t stop_after = SIZE_MAX) {
  std::vector<std::string> out;
  inbox.drain([&](std::string_view peer, core::ByteView payload) {
    if (out.size() == stop_after) return false;
    out.push_back(std::string(peer) + ":" + std::string(payload.begin(), payload.end()));
    return true;
  });
  return out;
}

TEST(SendInbox, KeepsOrderAndPeers) {
  SendInbox inbox;
  inbox.push("a", core::as_bytes("1"));
  inbox.push("b", core::as_bytes("22"));
  inbox.push("a", core::as_bytes("333"));
  EXPECT_EQ(inbox.bytes(), 6U);
  EXPECT_EQ(drain_all(inbox), (std::vector<std::string>{"a:1", "b:22", "a:333"}));
  EXPECT_TRUE(inbox.empty());
  EXPECT_EQ(inbox.bytes(), 0U);
}

TEST(SendInbox, StoppedDrainKeepsTheRestInOrder) {
  SendInbox queued;
  queued.push("a", core::as_bytes("1"));
  queued.push("a", core::as_bytes("2"));
  queued.push("a", core::as_bytes("3"));
  SendInbox batch;
  batch.swap(queued);
  EXPECT_TRUE(queued.empty());
  EXPECT_EQ(drain_all(batch, 1), std::vector<std::string>{"a:1"});
  EXPECT_EQ(batch.bytes(), 2U);
  EXPECT_EQ(drain_all(batch), (std::vector<std::string>{"a:2", "a:3"}));
}

TEST(SendInbox, LargeAndSmallPayloadsAcrossChunksKeepTheirBytes) {
  SendInbox inbox;
  std::vector<std::string> sent;
  for (int round = 0; round < 3; ++round) {  // the second and third rounds reuse chunks
    for (std::size_t size : {std::size_t{10}, SendInbox::kChunkSize - 5, std::size_t{7},
                             3 * SendInbox::kChunkSize, std::size_t{1}}) {
      std::string payload(size, static_cast<char>('a' + sent.size() % 26));
      inbox.push("p", core::as_bytes(payload));
      sent.push_back("p:" + payload);
    }
    auto got = drain_all(inbox);
    EXPECT_EQ(got, std::vector<std::string>(sent.end() - 5, sent.end()));
    EXPECT_TRUE(inbox.empty());
  }
}

}  // namespace
}  // namespace barrel_p2p::runtime
