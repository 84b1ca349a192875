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

TEST(SendInbox, StoppedDrainKeepsTheRestInOrderBeforeLaterMessages) {
  SendInbox queued;
  queued.push("a", core::as_bytes("1"));
  queued.push("a", core::as_bytes("2"));
  queued.push("a", core::as_bytes("3"));
  SendInbox batch;
  batch.swap(queued);
  EXPECT_EQ(drain_all(batch, 1), std::vector<std::string>{"a:1"});
  EXPECT_EQ(batch.bytes(), 2U);
  queued.push("b", core::as_bytes("4"));  // arrived while the batch was being sent
  batch.append(queued);
  queued.clear();
  queued.swap(batch);
  EXPECT_EQ(drain_all(queued), (std::vector<std::string>{"a:2", "a:3", "b:4"}));
}

}  // namespace
}  // namespace barrel_p2p::runtime
