#include "runtime/send_inbox.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::runtime {
namespace {

std::vector<std::string> drain_all(SendInbox& inbox, std::size_t stop_after = SIZE_MAX) {
  std::vector<std::string> out;
  inbox.drain([&](std::string_view peer, core::ByteView payload, core::Bytes* /*whole*/) {
    if (out.size() == stop_after) return false;
    out.push_back(std::string(peer) + ":" + std::string(payload.begin(), payload.end()));
    return true;
  });
  return out;
}

TEST(SendInbox, KeepsOrderAndPeers) {
  SendInbox inbox;
  inbox.push("a", {}, core::as_bytes("1"));
  inbox.push("b", {}, core::as_bytes("22"));
  inbox.push("a", {}, core::as_bytes("333"));
  EXPECT_EQ(inbox.bytes(), 6U);
  EXPECT_EQ(drain_all(inbox), (std::vector<std::string>{"a:1", "b:22", "a:333"}));
  EXPECT_TRUE(inbox.empty());
  EXPECT_EQ(inbox.bytes(), 0U);
}

TEST(SendInbox, StoppedDrainKeepsTheRestInOrder) {
  SendInbox queued;
  queued.push("a", {}, core::as_bytes("1"));
  queued.push("a", {}, core::as_bytes("2"));
  queued.push("a", {}, core::as_bytes("3"));
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
      inbox.push("p", {}, core::as_bytes(payload));
      sent.push_back("p:" + payload);
    }
    auto got = drain_all(inbox);
    EXPECT_EQ(got, std::vector<std::string>(sent.end() - 5, sent.end()));
    EXPECT_TRUE(inbox.empty());
  }
}

TEST(SendInbox, HeaderAndPayloadMakeOneMessage) {
  SendInbox inbox;
  inbox.push("a", core::as_bytes("h"), core::as_bytes("body"));
  EXPECT_EQ(inbox.bytes(), 5U);
  EXPECT_EQ(drain_all(inbox), std::vector<std::string>{"a:hbody"});
}

TEST(SendInbox, ALargeMessageOffersItsChunkToBeMovedAndASmallOneDoesNot) {
  SendInbox inbox;
  const std::string large(SendInbox::kChunkSize + 1, 'L');
  inbox.push("a", core::as_bytes("x"), core::as_bytes("small"));
  inbox.push("a", core::as_bytes("h"), core::as_bytes(large));
  inbox.push("a", {}, core::as_bytes("after"));
  std::vector<std::string> got;
  const std::size_t consumed =
      inbox.drain([&](std::string_view, core::ByteView bytes, core::Bytes* whole) {
        if (whole == nullptr) {
          got.emplace_back(bytes.begin(), bytes.end());
        } else {
          core::Bytes taken = std::move(*whole);  // what the driver does: no copy
          got.emplace_back(taken.begin(), taken.end());
        }
        return true;
      });
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0], "xsmall");
  EXPECT_EQ(got[1], "h" + large);
  EXPECT_EQ(got[2], "after");
  EXPECT_EQ(consumed, 6U + 1U + large.size() + 5U);
  EXPECT_TRUE(inbox.empty());
}

}  // namespace
}  // namespace barrel_p2p::runtime
