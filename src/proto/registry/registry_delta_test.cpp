// Registry delta codec: exact layout, round trips, and every malformed shape refused with its
// reason (peer bytes are hostile).
#include "proto/registry/registry_delta.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

namespace barrel_p2p::registry {
namespace {

core::Bytes bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

Delta sample() {
  Delta delta;
  delta.nodes.push_back(NodeSlice{"alpha",
                                  {100, 0},
                                  {{100, 2}, {101, 0}},
                                  {DeltaEntry{{90, 1}, "db", bytes_of("p1"), {}},
                                   DeltaEntry{{102, 0}, "web", bytes_of("p2"), bytes_of("m")}}});
  delta.nodes.push_back(NodeSlice{"beta", {7, 7}, {}, {}});
  return delta;
}

Result<Delta> decode_bytes(const core::Bytes& bytes, Refusal* why = nullptr) {
  return decode(bytes, Limits{}, why);
}

TEST(RegistryDelta, LayoutIsStable) {
  Delta delta;
  delta.nodes.push_back(
      NodeSlice{"n", {0, 0}, {{0, 5}}, {DeltaEntry{{1, 2}, "s", bytes_of("p"), bytes_of("m")}}});
  const core::Bytes expected{1, 1,                                        // type, one slice
                             1, 'n',                                      // node
                             0, 0,   0, 0,   0, 0,  0, 0, 0, 0, 0, 0,     // floor
                             1, 0,   0, 0,   0, 0,  0, 0, 0, 0, 0, 0, 5,  // one removed dot
                             1, 0,   0, 0,   0, 0,  0, 0, 1, 0, 0, 0, 2,  // one entry: stamp
                             1, 's', 1, 'p', 1, 'm'};                     // name, pid, metadata
  EXPECT_EQ(encode(delta), expected);
  EXPECT_EQ(encoded_size(delta), expected.size());
  auto decoded = decode_bytes(expected);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, delta);
}

TEST(RegistryDelta, SampleAndEmptyDeltasRoundTrip) {
  for (const Delta& delta : {sample(), Delta{}}) {
    const core::Bytes bytes = encode(delta);
    EXPECT_EQ(bytes.size(), encoded_size(delta));
    auto decoded = decode_bytes(bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, delta);
    EXPECT_FALSE(check_shape(delta, Limits{}).has_value());
  }
  EXPECT_TRUE(Delta{}.empty());
}

// Each broken rule, on an otherwise valid delta: refused with the reason class.
TEST(RegistryDelta, EveryMalformedShapeIsRefusedWithItsReason) {
  struct Case {
    const char* what;
    void (*mutate)(Delta&);
    Refusal reason;
  };
  const Case cases[] = {
      {"nodes out of order", [](Delta& d) { std::swap(d.nodes[0], d.nodes[1]); },
       Refusal::malformed},
      {"duplicate node", [](Delta& d) { d.nodes[1].node = "alpha"; }, Refusal::malformed},
      {"invalid node name", [](Delta& d) { d.nodes[1].node = "a b"; }, Refusal::malformed},
      {"empty node name", [](Delta& d) { d.nodes[0].node.clear(); }, Refusal::malformed},
      {"empty slice", [](Delta& d) { d.nodes[1].floor = {}; }, Refusal::malformed},
      {"removed at the floor",
       [](Delta& d) {
         d.nodes[0].removed[0] = {100, 0};
       },
       Refusal::malformed},
      {"removed out of order",
       [](Delta& d) { std::swap(d.nodes[0].removed[0], d.nodes[0].removed[1]); },
       Refusal::malformed},
      {"removed duplicate", [](Delta& d) { d.nodes[0].removed[1] = d.nodes[0].removed[0]; },
       Refusal::malformed},
      {"entries out of order",
       [](Delta& d) { std::swap(d.nodes[0].entries[0], d.nodes[0].entries[1]); },
       Refusal::malformed},
      {"entry both live and removed",
       [](Delta& d) {
         d.nodes[0].entries[1].stamp = {101, 0};
       },
       Refusal::malformed},
      {"zero entry stamp", [](Delta& d) { d.nodes[0].entries[0].stamp = {}; }, Refusal::malformed},
      {"empty name", [](Delta& d) { d.nodes[0].entries[0].name.clear(); }, Refusal::name_size},
      {"long name", [](Delta& d) { d.nodes[0].entries[0].name.assign(256, 'x'); },
       Refusal::name_size},
      {"empty pid", [](Delta& d) { d.nodes[0].entries[0].pid.clear(); }, Refusal::pid_size},
      {"long pid", [](Delta& d) { d.nodes[0].entries[0].pid.assign(129, 1); }, Refusal::pid_size},
      {"long metadata", [](Delta& d) { d.nodes[0].entries[0].metadata.assign(1025, 1); },
       Refusal::metadata_size},
  };
  for (const Case& c : cases) {
    Delta delta = sample();
    c.mutate(delta);
    auto shape = check_shape(delta, Limits{});
    ASSERT_TRUE(shape.has_value()) << c.what;
    EXPECT_EQ(shape->reason, c.reason) << c.what;
    Refusal why = Refusal::too_large;
    auto decoded = decode_bytes(encode(delta), &why);
    ASSERT_FALSE(decoded.has_value()) << c.what;
    EXPECT_EQ(decoded.error().code, Errc::protocol) << c.what;
    EXPECT_EQ(why, c.reason) << c.what;
    EXPECT_NE(decoded.error().message.find("registry delta: "), std::string::npos);
  }
}

TEST(RegistryDelta, HostileBytesAreRefused) {
  const core::Bytes good = encode(sample());
  Refusal why = Refusal::too_large;
  EXPECT_FALSE(decode_bytes({}, &why).has_value());
  EXPECT_EQ(why, Refusal::malformed);
  // Every truncation fails.
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE(decode_bytes(core::Bytes(good.begin(), good.begin() + size)).has_value()) << size;
  }
  core::Bytes trailing = good;
  trailing.push_back(0);
  auto decoded = decode_bytes(trailing);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().message.find("trailing bytes"), std::string::npos);
  core::Bytes unknown = good;
  unknown[0] = 2;
  EXPECT_FALSE(decode_bytes(unknown).has_value());
  // A non-minimal varint (the slice count 2 written in two bytes).
  core::Bytes non_minimal = good;
  non_minimal[1] = 0x40;
  non_minimal.insert(non_minimal.begin() + 2, 2);
  decoded = decode_bytes(non_minimal);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().message.find("non-minimal"), std::string::npos);
  // A huge count with nothing behind it fails without allocating for it.
  const core::Bytes huge_count{1, 0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_FALSE(decode_bytes(huge_count).has_value());
  // A string length beyond the input.
  const core::Bytes long_string{1, 1, 0x7f, 0xff, 'a'};
  EXPECT_FALSE(decode_bytes(long_string).has_value());
}

TEST(RegistryDelta, SizeLimitIsCheckedBeforeDecoding) {
  const core::Bytes bytes = encode(sample());
  Limits limits;
  limits.max_size = bytes.size();
  EXPECT_TRUE(decode(bytes, limits).has_value());
  limits.max_size = bytes.size() - 1;
  Refusal why = Refusal::malformed;
  auto decoded = decode(bytes, limits, &why);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(why, Refusal::too_large);
}

TEST(RegistryDelta, RefusalNamesAreDistinct) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kRefusalCount; ++i) {
    names.insert(refusal_name(static_cast<Refusal>(i)));
  }
  EXPECT_EQ(names.size(), kRefusalCount);
  EXPECT_EQ(refusal_name(Refusal::entries_per_name), "entries_per_name");
}

// Random bytes: decoding never crashes, and whatever decodes re-encodes to the same bytes.
TEST(RegistryDeltaProperty, DecodeOfRandomBytesIsCanonical) {
  EXPECT_TRUE(rc::check([](const std::vector<std::uint8_t>& tail) {
    core::Bytes bytes(tail.size() + 1, 1);  // type byte 1, then the random tail
    std::copy(tail.begin(), tail.end(), bytes.begin() + 1);
    auto decoded = decode_bytes(bytes);
    if (decoded) RC_ASSERT(encode(*decoded) == bytes);
  }));
}

}  // namespace
}  // namespace barrel_p2p::registry
