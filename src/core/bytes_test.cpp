#include "core/bytes.hpp"

#include <gtest/gtest.h>

#include "core/socket_address.hpp"

namespace barrel_p2p::core {
namespace {

TEST(Bytes, IntegersAndVarintsRoundTrip) {
  Bytes out;
  ByteWriter writer(out);
  writer.u8(7);
  writer.u16(0xbeef);
  writer.u32(0xdeadbeef);
  writer.u64(0x0102030405060708ULL);
  for (std::uint64_t v :
       {0ULL, 63ULL, 64ULL, 16383ULL, 16384ULL, 1073741823ULL, 1073741824ULL, (1ULL << 62U) - 1}) {
    writer.varint(v);
  }
  writer.string("hello");
  ByteReader reader(out);
  EXPECT_EQ(reader.u8(), 7);
  EXPECT_EQ(reader.u16(), 0xbeef);
  EXPECT_EQ(reader.u32(), 0xdeadbeefU);
  EXPECT_EQ(reader.u64(), 0x0102030405060708ULL);
  for (std::uint64_t v :
       {0ULL, 63ULL, 64ULL, 16383ULL, 16384ULL, 1073741823ULL, 1073741824ULL, (1ULL << 62U) - 1}) {
    EXPECT_EQ(reader.varint(), v);
  }
  EXPECT_EQ(reader.string(16), "hello");
  EXPECT_TRUE(reader.finished());
}

TEST(Bytes, VarintSizesMatchRfc9000) {
  EXPECT_EQ(varint_size(63), 1U);
  EXPECT_EQ(varint_size(64), 2U);
  EXPECT_EQ(varint_size(16384), 4U);
  EXPECT_EQ(varint_size(1073741824), 8U);
}

TEST(Bytes, TruncatedInputFailsStickily) {
  const Bytes input = {0x01, 0x02, 0x03};
  ByteReader reader(input);
  EXPECT_EQ(reader.u32(), 0U);
  EXPECT_FALSE(reader.ok());
  EXPECT_EQ(reader.u8(), 0);  // sticky: even a 1-byte read now fails
  EXPECT_STREQ(reader.error(), "truncated input");
}

TEST(Bytes, LengthPrefixedRespectsLimit) {
  Bytes out;
  ByteWriter(out).string("0123456789");
  ByteReader reader(out);
  EXPECT_TRUE(reader.string(9).empty());
  EXPECT_FALSE(reader.ok());
  EXPECT_STREQ(reader.error(), "field longer than its limit");
}

TEST(Bytes, HugeDeclaredLengthDoesNotAllocate) {
  const Bytes input = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  ByteReader reader(input);
  EXPECT_TRUE(reader.length_prefixed(SIZE_MAX).empty());
  EXPECT_FALSE(reader.ok());
}

TEST(Bytes, HexEncoding) {
  const Bytes input = {0x00, 0xab, 0xff};
  EXPECT_EQ(to_hex(input), "00abff");
}

TEST(SocketAddress, ParsesAndPrintsBothFamilies) {
  auto v4 = SocketAddress::parse("127.0.0.1:4000");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:4000");
  EXPECT_EQ(v4->port(), 4000);
  auto v6 = SocketAddress::parse("[::1]:9");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_ipv6());
  EXPECT_EQ(v6->to_string(), "[::1]:9");
  auto local = SocketAddress::parse("localhost:1");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->to_string(), "127.0.0.1:1");
  EXPECT_EQ(*local, *SocketAddress::parse("127.0.0.1:1"));
}

TEST(SocketAddress, TellsLoopbackAddressesApart) {
  for (const char* loopback : {"127.0.0.1:1", "127.9.8.7:1", "[::1]:1", "[::ffff:127.0.0.2]:1"}) {
    auto parsed = SocketAddress::parse(loopback);
    ASSERT_TRUE(parsed) << loopback;
    EXPECT_TRUE(parsed->is_loopback()) << loopback;
  }
  for (const char* other : {"10.0.0.1:1", "128.0.0.1:1", "[::2]:1", "[::ffff:10.0.0.1]:1"}) {
    auto parsed = SocketAddress::parse(other);
    ASSERT_TRUE(parsed) << other;
    EXPECT_FALSE(parsed->is_loopback()) << other;
  }
  EXPECT_FALSE(SocketAddress().is_loopback());
}

TEST(SocketAddress, TellsWildcardAddressesApart) {
  for (const char* wildcard : {"0.0.0.0:1", "[::]:1", "[::ffff:0.0.0.0]:1"}) {
    auto parsed = SocketAddress::parse(wildcard);
    ASSERT_TRUE(parsed) << wildcard;
    EXPECT_TRUE(parsed->is_unspecified()) << wildcard;
  }
  for (const char* other : {"127.0.0.1:1", "0.0.0.1:1", "[::1]:1", "[::ffff:10.0.0.1]:1"}) {
    auto parsed = SocketAddress::parse(other);
    ASSERT_TRUE(parsed) << other;
    EXPECT_FALSE(parsed->is_unspecified()) << other;
  }
  EXPECT_FALSE(SocketAddress().is_unspecified());
}

TEST(SocketAddress, RejectsBadInput) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:70000", "host.example:1", "[::1:1", ":x"}) {
    auto parsed = SocketAddress::parse(bad);
    EXPECT_FALSE(parsed) << bad;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
    }
  }
}

}  // namespace
}  // namespace barrel_p2p::core
