// Tests of Pid's text and binary forms: every pid parse() accepts serializes without aborting
// and round-trips, and hand-made pids outside the id range never reach an assert.
#include "barrel_p2p/pid.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace barrel_p2p {
namespace {

constexpr std::uint64_t kVarintMax = (std::uint64_t{1} << 62U) - 1;

TEST(Pid, TextAndBinaryFormsRoundTrip) {
  const Pid pid{"alpha", 42, 0x9f3c01aa42d0be11ULL};
  EXPECT_EQ(pid.to_string(), "<alpha.42.9f3c01aa42d0be11>");
  auto parsed = Pid::parse(pid.to_string());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, pid);
  auto back = Pid::deserialize(pid.serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, pid);
}

TEST(Pid, HashTellsNeighbouringIdsApart) {
  const Pid pid{"alpha", 42, 0x9f3c01aa42d0be11ULL};
  EXPECT_NE(std::hash<Pid>{}(pid), std::hash<Pid>{}(Pid{"alpha", 43, pid.incarnation}));
}

TEST(Pid, LargestIdParsesSerializesAndRoundTrips) {
  const Pid pid{"alpha", kVarintMax, std::numeric_limits<std::uint64_t>::max()};
  auto parsed = Pid::parse(pid.to_string());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, pid);
  auto back = Pid::deserialize(parsed->serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, pid);
}

// The hole: parse() read the id with from_chars into a uint64_t, so it accepted ids from 2^62
// up, and serialize() wrote the id as a QUIC varint, whose writer asserts value < 2^62.
TEST(Pid, ParseRejectsIdsOutsideTheSerializableRange) {
  EXPECT_FALSE(Pid::parse("<alpha.4611686018427387904.1>"));   // 2^62
  EXPECT_FALSE(Pid::parse("<alpha.18446744073709551615.1>"));  // 2^64 - 1
  EXPECT_FALSE(Pid::parse("<alpha.18446744073709551616.1>"));  // 2^64: from_chars overflows
  EXPECT_TRUE(Pid::parse("<alpha.4611686018427387903.1>"));    // 2^62 - 1
}

TEST(Pid, SerializeOfAHandMadeOutOfRangePidDoesNotAbort) {
  const Pid pid{"alpha", std::numeric_limits<std::uint64_t>::max(), 7};
  auto back = Pid::deserialize(pid.serialize());
  ASSERT_TRUE(back);
  // Written as id 0, like a pid on the wire: it names no process.
  EXPECT_EQ(*back, (Pid{"alpha", 0, 7}));
  EXPECT_FALSE(back->is_valid());
}

TEST(Pid, SerializeOfAnOverlongHandMadeNodeNameDeserializesAsAnError) {
  const Pid pid{std::string(65, 'n'), 1, 1};
  EXPECT_FALSE(Pid::deserialize(pid.serialize()));
}

TEST(Pid, ParseRejectsMalformedText) {
  for (const char* text : {"alpha.1.1", "<alpha.x.1>", "<alpha.1.x>", "<alpha..1>", "<alpha.1.>",
                           "<.1.1>", "<alpha.1.1.>", "<alpha.-1.1>", "<alpha.1.-1>", "<alpha.+1.1>",
                           "<al pha.1.1>", "<alpha.1.10000000000000000>", "<a.1.1"}) {
    EXPECT_FALSE(Pid::parse(text)) << text;
  }
}

TEST(Pid, ParseAcceptsNodeNamesWithDotsAndNonCanonicalNumbers) {
  auto dotted = Pid::parse("<node-1.eu.7.ff>");
  ASSERT_TRUE(dotted);
  EXPECT_EQ(*dotted, (Pid{"node-1.eu", 7, 0xff}));
  // Leading zeros and upper-case hex parse; to_string() prints the canonical form.
  auto padded = Pid::parse("<alpha.007.00FF>");
  ASSERT_TRUE(padded);
  EXPECT_EQ(padded->to_string(), "<alpha.7.ff>");
}

TEST(Pid, DeserializeRejectsTrailingBytesAndBadNames) {
  const Pid pid{"alpha", 1, 2};
  auto bytes = pid.serialize();
  bytes.push_back(0);
  EXPECT_FALSE(Pid::deserialize(bytes));
  std::vector<std::uint8_t> slash{1, '/', 1, 0, 0, 0, 0, 0, 0, 0, 2};
  EXPECT_FALSE(Pid::deserialize(slash));
}

}  // namespace
}  // namespace barrel_p2p
