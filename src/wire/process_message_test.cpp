#include "wire/process_message.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <vector>

namespace barrel_p2p::wire {
namespace {

const core::Bytes kPayload{'h', 'e', 'l', 'l', 'o'};
const core::Bytes kNoPayload{};

// One sample of every message type; payload-carrying ones use kPayload.
std::vector<ProcessMessage> samples() {
  LocalPid a{7, 0x1122334455667788ULL};
  LocalPid b{300, 42};
  return {
      Send{a, Target::of(b), kPayload},
      Send{a, Target::named("registry"), kPayload},
      Call{1, a, Target::of(b), kPayload},
      Call{(std::uint64_t{1} << 40), a, Target::named("svc"), kNoPayload},
      Reply{9, a, ReplyStatus::ok, kPayload},
      Reply{9, a, ReplyStatus::rejected, kNoPayload},
      Rpc{3, a, "add", kPayload},
      Monitor{4, a, Target::of(b)},
      Monitor{5, a, Target::named("svc")},
      MonitorAck{4, a, b},
      Demonitor{4, a},
      Down{4, a, b, Reason{ReasonCode::user, "crashed"}},
      Down{6, a, b, Reason{ReasonCode::noconnection, ""}},
      Link{a, b},
      LinkAck{a, b},
      Unlink{a, b},
      Exit{a, b, Reason{ReasonCode::killed, ""}, false},
      Exit{a, b, Reason{ReasonCode::normal, "done"}, true},
  };
}

bool carries_payload(const ProcessMessage& message) {
  return std::holds_alternative<Send>(message) || std::holds_alternative<Call>(message) ||
         std::holds_alternative<Reply>(message) || std::holds_alternative<Rpc>(message);
}

TEST(ProcessMessage, EveryTypeRoundTripsCanonically) {
  for (const auto& message : samples()) {
    core::Bytes bytes = encode_process_message(message);
    auto decoded = decode_process_message(bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->index(), message.index());
    EXPECT_EQ(encode_process_message(*decoded), bytes);
  }
}

TEST(ProcessMessage, FieldsSurviveTheRoundTrip) {
  core::Bytes bytes = encode_process_message(Call{77, {5, 6}, Target::named("svc"), kPayload});
  auto decoded = decode_process_message(bytes);
  ASSERT_TRUE(decoded);
  const auto& call = std::get<Call>(*decoded);
  EXPECT_EQ(call.ref, 77U);
  EXPECT_EQ(call.from, (LocalPid{5, 6}));
  EXPECT_EQ(call.to.name, "svc");
  EXPECT_EQ(core::Bytes(call.payload.begin(), call.payload.end()), kPayload);
  // The payload is a view into the frame: no copy.
  EXPECT_EQ(call.payload.data() + call.payload.size(), bytes.data() + bytes.size());
}

TEST(ProcessMessage, EncodeAppendsToAReusableBuffer) {
  core::Bytes out{0xee};
  encode_process_message(Link{{1, 2}, {3, 4}}, out);
  EXPECT_EQ(out.front(), 0xee);
  auto decoded = decode_process_message(core::ByteView(out).subspan(1));
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(std::holds_alternative<Link>(*decoded));
}

TEST(ProcessMessage, EveryTruncationFailsOrIsAShorterPayload) {
  for (const auto& message : samples()) {
    core::Bytes bytes = encode_process_message(message);
    const std::size_t payload = carries_payload(message) ? kPayload.size() : 0;
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      auto decoded = decode_process_message(core::ByteView(bytes.data(), cut));
      const bool header_complete =
          cut + payload >= bytes.size() && payload > 0 && cut >= bytes.size() - payload;
      if (header_complete) continue;  // a shorter payload is a valid message
      ASSERT_FALSE(decoded) << "message " << message.index() << " cut at " << cut;
      EXPECT_EQ(decoded.error().code, Errc::protocol);
    }
  }
}

std::string error_of(const core::Bytes& bytes) {
  auto decoded = decode_process_message(bytes);
  return decoded ? "decoded" : decoded.error().message;
}

TEST(ProcessMessage, HostileBytesAreProtocolErrors) {
  EXPECT_NE(error_of({}).find("process message"), std::string::npos);
  EXPECT_NE(error_of({0}).find("unknown process message type"), std::string::npos);
  EXPECT_NE(error_of({13}).find("unknown process message type"), std::string::npos);
  // Send with an unknown target kind.
  core::Bytes send = encode_process_message(Send{{1, 1}, Target::of({2, 2}), kNoPayload});
  core::Bytes bad_target = send;
  bad_target[1 + 1 + 8] = 9;
  EXPECT_NE(error_of(bad_target).find("unknown target kind"), std::string::npos);
  // Non-canonical varint for the sender id (two bytes for 1).
  core::Bytes non_minimal{1, 0x40, 0x01};
  non_minimal.insert(non_minimal.end(), send.begin() + 2, send.end());
  EXPECT_NE(error_of(non_minimal), "decoded");
  // Unknown reply status, exit reason, and a bool that is not 0/1.
  core::Bytes reply = encode_process_message(Reply{1, {1, 1}, ReplyStatus::ok, kNoPayload});
  reply.back() = 5;
  EXPECT_NE(error_of(reply).find("unknown reply status"), std::string::npos);
  core::Bytes exit = encode_process_message(Exit{{1, 1}, {2, 2}, Reason{}, true});
  exit.back() = 2;
  EXPECT_NE(error_of(exit).find("bool"), std::string::npos);
  core::Bytes reason = encode_process_message(Exit{{1, 1}, {2, 2}, Reason{}, true});
  reason[reason.size() - 3] = 6;
  EXPECT_NE(error_of(reason).find("unknown exit reason"), std::string::npos);
  // Trailing bytes after a fixed-size message.
  core::Bytes trailing = encode_process_message(Link{{1, 1}, {2, 2}});
  trailing.push_back(0);
  EXPECT_NE(error_of(trailing).find("trailing"), std::string::npos);
  // Empty names, oversize names and oversize reason text.
  core::Bytes empty_rpc = encode_process_message(Rpc{1, {1, 1}, "f", kNoPayload});
  empty_rpc[1 + 1 + 1 + 8] = 0;  // function length 0, then a stray byte 'f' as payload
  EXPECT_NE(error_of(empty_rpc).find("empty function name"), std::string::npos);
  std::string long_name(kMaxProcessNameSize + 1, 'n');
  EXPECT_NE(error_of(encode_process_message(Send{{1, 1}, Target::named(long_name), {}})),
            "decoded");
  std::string long_text(kMaxReasonTextSize + 1, 't');
  EXPECT_NE(error_of(encode_process_message(
                Down{1, {1, 1}, {2, 2}, Reason{ReasonCode::user, long_text}})),
            "decoded");
  std::string long_error(kMaxReplyErrorSize + 1, 'e');
  core::Bytes error_bytes(long_error.begin(), long_error.end());
  EXPECT_NE(
      error_of(encode_process_message(Reply{1, {1, 1}, ReplyStatus::function_failed, error_bytes})),
      "decoded");
}

TEST(ProcessMessage, HugeIdsAndRefsAreSentAsZeroNotAsserted) {
  core::Bytes bytes = encode_process_message(
      Call{~std::uint64_t{0}, {~std::uint64_t{0}, 1}, Target::of({5, 5}), kNoPayload});
  auto decoded = decode_process_message(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<Call>(*decoded).ref, 0U);
  EXPECT_EQ(std::get<Call>(*decoded).from.id, 0U);
}

TEST(ProcessMessageProperty, DecodeOfEncodeIsIdentity) {
  EXPECT_TRUE(
      rc::check([](std::uint64_t id, std::uint64_t incarnation, std::uint64_t ref,
                   const std::vector<std::uint8_t>& payload, const std::string& name, bool linked) {
        const LocalPid pid{id & ((std::uint64_t{1} << 62U) - 1), incarnation};
        const std::uint64_t small_ref = ref & ((std::uint64_t{1} << 62U) - 1);
        std::string target_name = name.substr(0, kMaxProcessNameSize);
        Target target = target_name.empty() ? Target::of(pid) : Target::named(target_name);
        std::vector<ProcessMessage> messages{
            Send{pid, target, payload}, Call{small_ref, pid, target, payload},
            Monitor{small_ref, pid, target},
            Exit{pid, pid, Reason{ReasonCode::user, name.substr(0, kMaxReasonTextSize)}, linked}};
        for (const auto& message : messages) {
          core::Bytes bytes = encode_process_message(message);
          auto decoded = decode_process_message(bytes);
          RC_ASSERT(decoded.has_value());
          RC_ASSERT(encode_process_message(*decoded) == bytes);
        }
      }));
}

}  // namespace
}  // namespace barrel_p2p::wire
