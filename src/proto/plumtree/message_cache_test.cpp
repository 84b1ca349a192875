#include "proto/plumtree/message_cache.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::plumtree {
namespace {

using namespace std::chrono_literals;

MessageId id_of(std::uint8_t seed) {
  MessageId id;
  id.bytes.fill(seed);
  return id;
}

Gossip gossip(std::uint8_t seed, std::size_t payload_size, std::uint32_t round = 1) {
  return Gossip{id_of(seed), round, "o", "t", core::Bytes(payload_size, seed)};
}

const core::Instant kStart = core::Instant::from_nanos(1'000'000'000);

TEST(MessageCache, EvictsTheOldestIdsBeyondCapacity) {
  MessageCache cache(3, 1min, 1000);
  for (std::uint8_t i = 0; i < 3; ++i) EXPECT_EQ(cache.insert(kStart + i * 1ms, gossip(i, 1)), 0U);
  EXPECT_EQ(cache.insert(kStart + 3ms, gossip(3, 1)), 1U);
  EXPECT_FALSE(cache.contains(id_of(0)));
  for (std::uint8_t i = 1; i <= 3; ++i) EXPECT_TRUE(cache.contains(id_of(i)));
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_EQ(cache.payload_bytes(), 3U);
}

TEST(MessageCache, ExpiresIdsAfterTheTtl) {
  MessageCache cache(10, 1s, 1000);
  cache.insert(kStart, gossip(1, 5));
  cache.insert(kStart + 500ms, gossip(2, 5));
  EXPECT_EQ(cache.next_expiry(), kStart + 1s);
  EXPECT_EQ(cache.expire(kStart + 999ms), 0U);
  EXPECT_EQ(cache.expire(kStart + 1s), 1U);
  EXPECT_FALSE(cache.contains(id_of(1)));
  EXPECT_TRUE(cache.contains(id_of(2)));
  EXPECT_EQ(cache.next_expiry(), kStart + 1500ms);
  EXPECT_EQ(cache.expire(kStart + 2s), 1U);
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_EQ(cache.payload_bytes(), 0U);
  EXPECT_TRUE(cache.next_expiry().is_never());
}

TEST(MessageCache, DropsOldestPayloadsBeyondTheBudgetButKeepsTheirIds) {
  MessageCache cache(10, 1min, 100);
  cache.insert(kStart, gossip(1, 60));
  cache.insert(kStart, gossip(2, 30));
  ASSERT_NE(cache.find_payload(id_of(1)), nullptr);
  cache.insert(kStart, gossip(3, 30));  // 120 > 100: the first payload goes
  EXPECT_EQ(cache.find_payload(id_of(1)), nullptr);
  EXPECT_TRUE(cache.contains(id_of(1)));
  EXPECT_EQ(cache.round_of(id_of(1)), 1U);
  ASSERT_NE(cache.find_payload(id_of(3)), nullptr);
  EXPECT_EQ(cache.find_payload(id_of(3))->payload.size(), 30U);
  EXPECT_EQ(cache.payload_bytes(), 60U);
  cache.insert(kStart, gossip(4, 101));  // larger than the whole budget: id only
  EXPECT_TRUE(cache.contains(id_of(4)));
  EXPECT_EQ(cache.find_payload(id_of(4)), nullptr);
  EXPECT_EQ(cache.payload_bytes(), 60U);
}

TEST(MessageCache, EvictingAnIdReleasesItsPayloadBytes) {
  MessageCache cache(2, 1min, 1000);
  cache.insert(kStart, gossip(1, 100));
  cache.insert(kStart, gossip(2, 10));
  cache.insert(kStart, gossip(3, 1));
  EXPECT_EQ(cache.payload_bytes(), 11U);
  // An id may come back after it left the cache.
  cache.insert(kStart, gossip(1, 5));
  EXPECT_EQ(cache.payload_bytes(), 6U);
  EXPECT_TRUE(cache.contains(id_of(1)));
}

TEST(MessageCache, RecentListsNewestPayloadsWithinTheWindow) {
  MessageCache cache(10, 1min, 25);
  cache.insert(kStart, gossip(1, 10, 4));
  cache.insert(kStart + 2s, gossip(2, 10, 5));
  cache.insert(kStart + 3s, gossip(3, 10, 6));  // the budget drops id 1's payload
  cache.insert(kStart + 4s, gossip(4, 1, 7));
  auto recent = cache.recent(kStart + 5s, 3s, 10);
  ASSERT_EQ(recent.size(), 3U);
  EXPECT_EQ(recent[0].id, id_of(4));
  EXPECT_EQ(recent[0].round, 7U);
  EXPECT_EQ(recent[2].id, id_of(2));
  EXPECT_EQ(cache.recent(kStart + 5s, 10s, 2).size(), 2U);
  EXPECT_EQ(cache.recent(kStart + 5s, 10s, 10).size(), 3U);  // id 1 has no payload left
}

TEST(MessageCache, RemembersTheSenderAndItsRoute) {
  MessageCache cache(10, 1min, 1000);
  cache.insert(kStart, gossip(1, 1, 6), "p");
  ASSERT_NE(cache.sender_of(id_of(1)), nullptr);
  EXPECT_EQ(*cache.sender_of(id_of(1)), "p");
  cache.update_route(id_of(1), "q", 2);
  EXPECT_EQ(*cache.sender_of(id_of(1)), "q");
  EXPECT_EQ(cache.round_of(id_of(1)), 2U);
  EXPECT_EQ(cache.sender_of(id_of(9)), nullptr);
  EXPECT_FALSE(cache.round_of(id_of(9)));
}

}  // namespace
}  // namespace barrel_p2p::plumtree
