#include "wire/views_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrel_p2p::wire {
namespace {

ViewsReply full_reply() {
  ViewsReply reply;
  reply.request = 77;
  reply.address = "127.0.0.1:4000";
  reply.active = {{"bravo", "127.0.0.1:4001"}, {"charlie", ""}};
  reply.passive_size = 12;
  reply.on_demand = {"delta"};
  return reply;
}

TEST(ViewsMessage, RequestAndReplyRoundTrip) {
  for (const ViewsMessage& message :
       {ViewsMessage{ViewsRequest{5}}, ViewsMessage{full_reply()}, ViewsMessage{ViewsReply{}}}) {
    auto decoded = decode_views(encode_views(message));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(*decoded, message);
  }
}

TEST(ViewsMessage, EncoderCutsListsToTheirBoundsSoTheResultDecodes) {
  ViewsReply reply = full_reply();
  reply.active.assign(kMaxViewsActive + 3, ViewsPeer{std::string(64, 'n'), std::string(255, 'a')});
  reply.on_demand.assign(kMaxViewsOnDemand + 3, std::string(64, 'o'));
  reply.passive_size = kMaxViewsCount + 1;
  reply.address = std::string(256, 'x');  // over the bound: left empty
  const core::Bytes bytes = encode_views(reply);
  EXPECT_LE(bytes.size(), kMaxViewsMessageSize);
  auto decoded = decode_views(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  const auto& got = std::get<ViewsReply>(*decoded);
  EXPECT_EQ(got.active.size(), kMaxViewsActive);
  EXPECT_EQ(got.on_demand.size(), kMaxViewsOnDemand);
  EXPECT_EQ(got.passive_size, kMaxViewsCount);
  EXPECT_TRUE(got.address.empty());
}

TEST(ViewsMessage, RejectsHostileBytes) {
  const core::Bytes good = encode_views(full_reply());
  core::Bytes trailing = good;
  trailing.push_back(0);
  core::Bytes truncated(good.begin(), good.end() - 1);
  core::Bytes too_many = {2, 1, 0, 0x40, 65};  // REPLY, request 1, no address, 65 active
  core::Bytes bad_name = {2, 1, 0, 1, 1, ' ', 0, 0, 0};
  core::Bytes big_passive = {2, 1, 0, 0, 0x80, 0x10, 0x00, 0x01, 0};  // 2^20 + 1
  core::Bytes non_minimal = {1, 0x40, 0x01};
  core::Bytes oversize(kMaxViewsMessageSize + 1, 0);
  const std::vector<std::pair<core::Bytes, std::string>> cases = {
      {{}, "empty"},
      {{3, 0}, "unknown type 3"},
      {trailing, "trailing bytes"},
      {truncated, ""},
      {too_many, "list longer than its limit"},
      {bad_name, "invalid node name"},
      {big_passive, "passive size over its limit"},
      {non_minimal, "non-minimal varint"},
      {oversize, "larger than its limit"},
  };
  for (const auto& [bytes, reason] : cases) {
    auto decoded = decode_views(bytes);
    ASSERT_FALSE(decoded.has_value()) << reason;
    EXPECT_EQ(decoded.error().code, Errc::protocol);
    EXPECT_NE(decoded.error().message.find("views message: " + reason), std::string::npos)
        << decoded.error().message;
  }
}

}  // namespace
}  // namespace barrel_p2p::wire
