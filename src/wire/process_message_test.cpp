#include "wire/process_message.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <set>
#include <string>
#include <vector>

// Counts heap allocations so the tests can check the hot path allocates nothing. Replacing the
// global operator new affects all of wire_test; it only counts, then allocates as usual.
namespace {
std::atomic<std::size_t> allocation_count{0};  // NOLINT: test-only counter for operator new
}  // namespace

// GCC 12 flags free() in a replaced operator delete as mismatched with the new-expressions it
// inlines into (a false positive: our operator new allocates with malloc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  if (void* pointer = std::malloc(size == 0 ? 1 : size)) return pointer;
  throw std::bad_alloc();
}
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t /*size*/) noexcept { std::free(pointer); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace barrel_p2p::wire {
namespace {

constexpr std::uint64_t kVarintMax = (std::uint64_t{1} << 62U) - 1;

core::Bytes bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

const core::Bytes kPayload = bytes_of("hello");
const core::Bytes kEmpty;
const core::Bytes kErrorText = bytes_of("no such function");
const std::string kLongestName(kMaxProcessNameSize, 'n');
const std::string kLongestText(kMaxReasonTextSize, 't');
const core::Bytes kLongestError(kMaxReplyErrorSize, 'e');

// Samples covering every message type (payload views point into the constants above), both target
// kinds, every status and reason code, and varint and string-size boundaries.
std::vector<ProcessMessage> samples() {
  const LocalPid a{7, 0x1122334455667788ULL};
  const LocalPid b{300, 42};
  const LocalPid max{kVarintMax, ~std::uint64_t{0}};
  const LocalPid zero{0, 0};
  return {
      Send{a, Target::of(b), kPayload},
      Send{max, Target::named("registry"), kEmpty},
      Send{zero, Target::named(kLongestName), kPayload},
      Call{0, a, Target::of(b), kPayload},
      Call{kVarintMax, max, Target::named(kLongestName), kEmpty},
      Reply{63, a, ReplyStatus::ok, kPayload},
      Reply{64, a, ReplyStatus::noproc, kEmpty},
      Reply{16383, a, ReplyStatus::unknown_function, kErrorText},
      Reply{16384, a, ReplyStatus::function_failed, kLongestError},
      Reply{(std::uint64_t{1} << 30U) - 1, a, ReplyStatus::rejected, kEmpty},
      Rpc{std::uint64_t{1} << 30U, a, "add", kPayload},
      Rpc{1, b, kLongestName, kEmpty},
      Monitor{4, a, Target::of(b)},
      Monitor{5, a, Target::named("svc")},
      MonitorAck{4, a, b},
      Demonitor{4, a},
      Down{4, a, b, Reason{ReasonCode::user, "crashed"}},
      Down{6, a, zero, Reason{ReasonCode::noconnection, ""}},
      Down{7, max, max, Reason{ReasonCode::shutdown, kLongestText}},
      Link{a, b},
      LinkAck{b, a},
      Unlink{a, max},
      Exit{a, b, Reason{ReasonCode::killed, ""}, false},
      Exit{a, b, Reason{ReasonCode::normal, "done"}, true},
      Exit{b, a, Reason{ReasonCode::noproc, ""}, true},
  };
}

// The trailing payload of Send, Call, Reply and Rpc, or nothing.
core::ByteView payload_of(const ProcessMessage& message) {
  return std::visit(
      [](const auto& m) -> core::ByteView {
        if constexpr (requires { m.payload; }) {
          return m.payload;
        } else {
          return {};
        }
      },
      message);
}

bool carries_payload(const ProcessMessage& message) { return message.index() <= 3; }

std::string decode_error(const core::Bytes& bytes) {
  auto decoded = decode_process_message(bytes);
  if (decoded.has_value()) return "decoded";
  EXPECT_EQ(decoded.error().code, Errc::protocol);
  return decoded.error().message;
}

bool decodes(const core::Bytes& bytes) { return decode_process_message(bytes).has_value(); }

// ---- Exact bytes (pins docs/reference/wire-format.md §4a) ------------------------------------

TEST(ProcessMessage, EncodingIsStable) {
  const LocalPid a{7, 0x1122334455667788ULL};
  EXPECT_EQ(encode_process_message(Send{a, Target::of({300, 42}), bytes_of("hi")}),
            (core::Bytes{1,   0x07, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,      // from
                         0,   0x41, 0x2c, 0,    0,    0,    0,    0,    0,    0,    42,  // to pid
                         'h', 'i'}));
  EXPECT_EQ(encode_process_message(Monitor{9, {1, 2}, Target::named("svc")}),
            (core::Bytes{5, 9, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 3, 's', 'v', 'c'}));
  EXPECT_EQ(encode_process_message(Reply{64, {1, 2}, ReplyStatus::rejected, bytes_of("x")}),
            (core::Bytes{3, 0x40, 64, 1, 0, 0, 0, 0, 0, 0, 0, 2, 4, 'x'}));
  EXPECT_EQ(encode_process_message(Exit{{1, 2}, {3, 4}, Reason{ReasonCode::user, "x"}, true}),
            (core::Bytes{12, 1, 0,   0, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0, 0, 4,  // pids
                         5,  1, 'x', 1}));
  EXPECT_EQ(encode_process_message(Unlink{{1, 2}, {3, 4}}).front(), 11);
}

// ---- Round trips --------------------------------------------------------------------------

TEST(ProcessMessage, EveryTypeRoundTripsCanonically) {
  std::set<std::size_t> types;
  for (const auto& message : samples()) {
    const core::Bytes bytes = encode_process_message(message);
    EXPECT_EQ(bytes.front(), message.index() + 1);
    auto decoded = decode_process_message(bytes);
    ASSERT_TRUE(decoded) << "type " << message.index() + 1 << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, message) << "type " << message.index() + 1;
    EXPECT_EQ(encode_process_message(*decoded), bytes) << "type " << message.index() + 1;
    types.insert(message.index());
  }
  EXPECT_EQ(types.size(), std::variant_size_v<ProcessMessage>);
}

TEST(ProcessMessage, PayloadIsAViewIntoTheFrame) {
  for (const auto& message : samples()) {
    if (!carries_payload(message)) continue;
    const core::Bytes bytes = encode_process_message(message);
    auto decoded = decode_process_message(bytes);
    ASSERT_TRUE(decoded);
    const core::ByteView payload = payload_of(*decoded);
    EXPECT_EQ(payload.size(), payload_of(message).size());
    EXPECT_EQ(payload.data() + payload.size(), bytes.data() + bytes.size());
  }
}

TEST(ProcessMessage, EncodeAppendsToAReusableBufferWithoutAllocating) {
  const std::vector<ProcessMessage> messages = samples();
  core::Bytes out{0xee};
  out.reserve(4096);
  const std::uint8_t* storage = out.data();
  const std::size_t before = allocation_count.load();
  for (const auto& message : messages) encode_process_message(message, out);
  EXPECT_EQ(allocation_count.load(), before);
  EXPECT_EQ(out.data(), storage);
  EXPECT_EQ(out.front(), 0xee);
  core::Bytes expected{0xee};
  for (const auto& message : messages) {
    const core::Bytes bytes = encode_process_message(message);
    expected.insert(expected.end(), bytes.begin(), bytes.end());
  }
  EXPECT_EQ(out, expected);
}

TEST(ProcessMessage, DecodingSendCallReplyWithPidTargetsDoesNotAllocate) {
  const std::vector<core::Bytes> frames{
      encode_process_message(Send{{1, 2}, Target::of({3, 4}), kPayload}),
      encode_process_message(Call{5, {1, 2}, Target::of({3, 4}), kPayload}),
      encode_process_message(Reply{5, {1, 2}, ReplyStatus::ok, kPayload}),
      encode_process_message(Reply{5, {1, 2}, ReplyStatus::function_failed, kLongestError})};
  for (const auto& frame : frames) {
    const std::size_t before = allocation_count.load();
    auto decoded = decode_process_message(frame);
    EXPECT_EQ(allocation_count.load(), before) << "type " << int{frame.front()};
    EXPECT_TRUE(decoded);
  }
}

TEST(ProcessMessage, PayloadsCompareByContent) {
  const core::Bytes same = kPayload;  // equal content, other storage
  const core::Bytes other = bytes_of("hellO");
  EXPECT_EQ((Send{{1, 2}, Target::of({3, 4}), kPayload}), (Send{{1, 2}, Target::of({3, 4}), same}));
  EXPECT_NE((Send{{1, 2}, Target::of({3, 4}), kPayload}),
            (Send{{1, 2}, Target::of({3, 4}), other}));
  EXPECT_NE((Call{1, {}, Target::named("a"), kPayload}), (Call{1, {}, Target::named("a"), other}));
  EXPECT_NE((Reply{1, {}, ReplyStatus::ok, kPayload}), (Reply{1, {}, ReplyStatus::ok, other}));
  EXPECT_NE((Rpc{1, {}, "f", kPayload}), (Rpc{1, {}, "f", other}));
  EXPECT_NE((Rpc{1, {}, "f", kPayload}), (Rpc{1, {}, "g", kPayload}));
}

TEST(ProcessMessage, HeaderSizeIsBounded) {
  const LocalPid max{kVarintMax, ~std::uint64_t{0}};
  EXPECT_EQ(encode_process_message(Call{kVarintMax, max, Target::named(kLongestName), {}}).size(),
            kMaxProcessHeaderSize);
  for (const auto& message : samples()) {
    if (!carries_payload(message)) continue;
    const std::size_t header = encode_process_message(message).size() - payload_of(message).size();
    EXPECT_LE(header, kMaxProcessHeaderSize);
  }
}

TEST(ProcessMessage, HugeIdsAndRefsAreSentAsZero) {
  const auto huge = ~std::uint64_t{0};
  auto decoded = decode_process_message(
      encode_process_message(Call{huge, {kVarintMax + 1, 1}, Target::of({huge, 5}), kEmpty}));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, (ProcessMessage{Call{0, {0, 1}, Target::of({0, 5}), kEmpty}}));
}

// ---- Malformed input ------------------------------------------------------------------------

TEST(ProcessMessage, EveryTruncationOfTheHeaderFails) {
  for (const auto& message : samples()) {
    const core::Bytes bytes = encode_process_message(message);
    const std::size_t payload = payload_of(message).size();
    const std::size_t header = bytes.size() - payload;
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      const core::Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
      auto decoded = decode_process_message(prefix);
      if (cut < header) {
        ASSERT_FALSE(decoded) << "type " << message.index() + 1 << " cut at " << cut;
        EXPECT_EQ(decoded.error().message, "process message: truncated input");
        EXPECT_EQ(decoded.error().code, Errc::protocol);
      } else {  // the header is whole: a shorter payload is a valid message
        ASSERT_TRUE(decoded) << "type " << message.index() + 1 << " cut at " << cut;
        EXPECT_EQ(payload_of(*decoded).size(), cut - header);
      }
    }
  }
}

TEST(ProcessMessage, TrailingBytesAfterAMessageWithoutPayloadFail) {
  for (const auto& message : samples()) {
    if (carries_payload(message)) continue;
    core::Bytes bytes = encode_process_message(message);
    bytes.push_back(0);
    EXPECT_EQ(decode_error(bytes), "process message: trailing bytes")
        << "type " << message.index() + 1;
  }
}

TEST(ProcessMessage, UnknownMessageTypeFails) {
  EXPECT_EQ(decode_error({}), "process message: truncated input");
  const core::Bytes link_fields = [] {
    core::Bytes bytes = encode_process_message(Link{{1, 2}, {3, 4}});
    bytes.erase(bytes.begin());
    return bytes;
  }();
  for (const int type : {0, 13, 127, 255}) {
    core::Bytes bytes{static_cast<std::uint8_t>(type)};
    EXPECT_EQ(decode_error(bytes), "process message: unknown message type") << type;
    bytes.insert(bytes.end(), link_fields.begin(), link_fields.end());
    EXPECT_EQ(decode_error(bytes), "process message: unknown message type") << type;
  }
}

// Pid {1, 1} encodes in 9 bytes: the target kind of Send is at offset 10, of Call and Monitor
// (ref 1) at offset 11.
TEST(ProcessMessage, UnknownTargetKindFails) {
  const std::vector<std::pair<core::Bytes, std::size_t>> frames{
      {encode_process_message(Send{{1, 1}, Target::of({2, 2}), kPayload}), 10},
      {encode_process_message(Call{1, {1, 1}, Target::of({2, 2}), kPayload}), 11},
      {encode_process_message(Monitor{1, {1, 1}, Target::of({2, 2})}), 11}};
  for (const auto& [frame, offset] : frames) {
    ASSERT_EQ(frame[offset], 0);
    EXPECT_TRUE(decodes(frame));
    for (const int kind : {2, 3, 255}) {
      core::Bytes bad = frame;
      bad[offset] = static_cast<std::uint8_t>(kind);
      EXPECT_EQ(decode_error(bad), "process message: unknown target kind") << kind;
    }
  }
}

TEST(ProcessMessage, UnknownReasonCodeFails) {
  // The code is the byte before the 1-byte text length 0 (and before the bool in Exit).
  core::Bytes down = encode_process_message(Down{1, {1, 1}, {2, 2}, Reason{}});
  core::Bytes exit = encode_process_message(Exit{{1, 1}, {2, 2}, Reason{}, true});
  for (int code = 0; code < 256; ++code) {
    down[down.size() - 2] = static_cast<std::uint8_t>(code);
    exit[exit.size() - 3] = static_cast<std::uint8_t>(code);
    if (code <= static_cast<int>(ReasonCode::user)) {
      EXPECT_TRUE(decodes(down)) << code;
      EXPECT_TRUE(decodes(exit)) << code;
    } else {
      EXPECT_EQ(decode_error(down), "process message: unknown reason code") << code;
      EXPECT_EQ(decode_error(exit), "process message: unknown reason code") << code;
    }
  }
}

TEST(ProcessMessage, UnknownReplyStatusFails) {
  core::Bytes reply = encode_process_message(Reply{1, {1, 1}, ReplyStatus::ok, kPayload});
  const std::size_t offset = reply.size() - kPayload.size() - 1;
  for (int status = 0; status < 256; ++status) {
    reply[offset] = static_cast<std::uint8_t>(status);
    if (status <= static_cast<int>(ReplyStatus::rejected)) {
      EXPECT_TRUE(decodes(reply)) << status;
    } else {
      EXPECT_EQ(decode_error(reply), "process message: unknown reply status") << status;
    }
  }
}

TEST(ProcessMessage, BoolByteMustBeZeroOrOne) {
  core::Bytes exit = encode_process_message(Exit{{1, 1}, {2, 2}, Reason{}, false});
  for (int value = 0; value < 256; ++value) {
    exit.back() = static_cast<std::uint8_t>(value);
    if (value <= 1) {
      auto decoded = decode_process_message(exit);
      ASSERT_TRUE(decoded);
      EXPECT_EQ(std::get<Exit>(*decoded).linked, value == 1);
    } else {
      EXPECT_EQ(decode_error(exit), "process message: bool is not 0 or 1") << value;
    }
  }
}

// Hand-built frames, for encodings the encoder never produces.
struct FrameBuilder {
  bool minimal = false;
  core::Bytes bytes;
  FrameBuilder& u8(std::uint8_t value) {
    bytes.push_back(value);
    return *this;
  }
  FrameBuilder& raw(const core::Bytes& more) {
    bytes.insert(bytes.end(), more.begin(), more.end());
    return *this;
  }
  FrameBuilder& varint(std::uint64_t value) {
    core::ByteWriter(bytes).varint(value);
    return *this;
  }
  // `value` as a QUIC varint of `size` bytes (2, 4 or 8): valid, but not minimal for small
  // values. With `minimal` set, the minimal form instead (the control case).
  FrameBuilder& wide(std::uint64_t value, std::size_t size) {
    if (minimal) return varint(value);
    const std::uint8_t prefix = size == 2 ? 0x40 : size == 4 ? 0x80 : 0xc0;
    for (std::size_t i = 0; i < size; ++i) {
      const auto byte = static_cast<std::uint8_t>(value >> (8U * (size - 1 - i)));
      u8(i == 0 ? static_cast<std::uint8_t>(byte | prefix) : byte);
    }
    return *this;
  }
  FrameBuilder& pid(LocalPid pid) {
    varint(pid.id);
    core::ByteWriter(bytes).u64(pid.incarnation);
    return *this;
  }
  FrameBuilder& string(std::string_view text) {
    core::ByteWriter(bytes).string(text);
    return *this;
  }
};

TEST(ProcessMessage, NameLimits) {
  const std::string too_long(kMaxProcessNameSize + 1, 'n');
  for (const std::string& name : {kLongestName, too_long}) {
    const bool fits = name.size() <= kMaxProcessNameSize;
    const std::string expected = fits ? "decoded" : "process message: field longer than its limit";
    EXPECT_EQ(decode_error(encode_process_message(Send{{1, 1}, Target::named(name), kPayload})),
              expected);
    EXPECT_EQ(decode_error(encode_process_message(Call{1, {1, 1}, Target::named(name), {}})),
              expected);
    EXPECT_EQ(decode_error(encode_process_message(Monitor{1, {1, 1}, Target::named(name)})),
              expected);
    EXPECT_EQ(decode_error(encode_process_message(Rpc{1, {1, 1}, name, kPayload})), expected);
  }
  // Empty names: a target kind 1 or a function with length 0 (then payload bytes).
  EXPECT_EQ(decode_error(FrameBuilder{}.u8(1).pid({1, 1}).u8(1).u8(0).u8('x').bytes),
            "process message: empty target name");
  EXPECT_EQ(decode_error(FrameBuilder{}.u8(5).u8(1).pid({1, 1}).u8(1).u8(0).bytes),
            "process message: empty target name");
  EXPECT_EQ(decode_error(FrameBuilder{}.u8(4).u8(1).pid({1, 1}).u8(0).u8('f').bytes),
            "process message: empty function name");
  // Names are any bytes, including NUL and non-UTF-8.
  const std::string binary("\0\xff/..", 5);
  auto decoded =
      decode_process_message(encode_process_message(Monitor{1, {}, Target::named(binary)}));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<Monitor>(*decoded).target.name, binary);
}

TEST(ProcessMessage, ReasonTextLimit) {
  const std::string too_long(kMaxReasonTextSize + 1, 't');
  for (const auto code : {ReasonCode::user, ReasonCode::normal}) {
    EXPECT_TRUE(decodes(encode_process_message(Down{1, {}, {}, Reason{code, kLongestText}})));
    EXPECT_TRUE(decodes(encode_process_message(Exit{{}, {}, Reason{code, kLongestText}, true})));
    EXPECT_EQ(decode_error(encode_process_message(Down{1, {}, {}, Reason{code, too_long}})),
              "process message: field longer than its limit");
    EXPECT_EQ(decode_error(encode_process_message(Exit{{}, {}, Reason{code, too_long}, false})),
              "process message: field longer than its limit");
  }
}

TEST(ProcessMessage, ReplyErrorLimitAppliesToNonOkOnly) {
  const core::Bytes too_long(kMaxReplyErrorSize + 1, 'e');
  for (int status = 1; status <= static_cast<int>(ReplyStatus::rejected); ++status) {
    const auto s = static_cast<ReplyStatus>(status);
    EXPECT_TRUE(decodes(encode_process_message(Reply{1, {}, s, kLongestError}))) << status;
    EXPECT_EQ(decode_error(encode_process_message(Reply{1, {}, s, too_long})),
              "process message: reply error longer than its limit")
        << status;
  }
  const core::Bytes big(100000, 'p');
  EXPECT_TRUE(decodes(encode_process_message(Reply{1, {}, ReplyStatus::ok, big})));
}

// One frame per varint field, each with one non-minimal varint (or, as the control, all minimal).
std::vector<core::Bytes> frames_with_wide_varints(bool minimal) {
  const core::Bytes pid = FrameBuilder{}.pid({1, 1}).bytes;
  const core::Bytes incarnation(pid.begin() + 1, pid.end());  // id 1 is one byte
  const core::Bytes pid_target = FrameBuilder{}.u8(0).raw(pid).bytes;
  auto f = [minimal](std::uint8_t type) { return FrameBuilder{minimal, {type}}; };
  return {
      f(2).wide(5, 2).raw(pid).raw(pid_target).bytes,               // Call ref
      f(3).wide(5, 8).raw(pid).u8(0).bytes,                         // Reply ref
      f(7).wide(7, 4).raw(pid).bytes,                               // Demonitor ref
      f(9).wide(1, 2).raw(incarnation).raw(pid).bytes,              // Link from id
      f(6).u8(1).raw(pid).wide(0, 8).raw(incarnation).bytes,        // MonitorAck target id
      f(1).raw(pid).u8(0).wide(63, 2).raw(incarnation).bytes,       // Send to id
      f(5).u8(1).raw(pid).u8(1).wide(1, 2).u8('s').bytes,           // Monitor name size
      f(4).u8(1).raw(pid).wide(1, 4).u8('f').bytes,                 // Rpc function size
      f(8).u8(1).raw(pid).raw(pid).u8(5).wide(1, 2).u8('x').bytes,  // Down text size
      f(12).raw(pid).raw(pid).u8(5).wide(0, 2).u8(1).bytes,         // Exit text size
  };
}

TEST(ProcessMessage, NonMinimalVarintsFail) {
  const auto wide = frames_with_wide_varints(false);
  const auto minimal = frames_with_wide_varints(true);
  ASSERT_EQ(wide.size(), minimal.size());
  for (std::size_t i = 0; i < wide.size(); ++i) {
    EXPECT_EQ(decode_error(wide[i]), "process message: non-minimal varint") << "frame " << i;
    EXPECT_EQ(decode_error(minimal[i]), "decoded") << "frame " << i;  // only the form is wrong
  }
}

// ---- Properties ---------------------------------------------------------------------------

LocalPid gen_pid() {
  return LocalPid{*rc::gen::inRange<std::uint64_t>(0, kVarintMax + 1),
                  *rc::gen::arbitrary<std::uint64_t>()};
}

std::uint64_t gen_ref() { return *rc::gen::inRange<std::uint64_t>(0, kVarintMax + 1); }

// Names are any bytes, 1..kMaxProcessNameSize of them.
std::string gen_name() {
  const auto size = *rc::gen::inRange<std::size_t>(1, kMaxProcessNameSize + 1);
  return *rc::gen::container<std::string>(size, rc::gen::arbitrary<char>());
}

Target gen_target() {
  return *rc::gen::arbitrary<bool>() ? Target::of(gen_pid()) : Target::named(gen_name());
}

Reason gen_reason() {
  const auto code = *rc::gen::inRange<int>(0, static_cast<int>(ReasonCode::user) + 1);
  const auto size = *rc::gen::inRange<std::size_t>(0, kMaxReasonTextSize + 1);
  return Reason{static_cast<ReasonCode>(code),
                *rc::gen::container<std::string>(size, rc::gen::arbitrary<char>())};
}

Reply gen_reply(core::ByteView payload) {
  const auto status = static_cast<ReplyStatus>(
      *rc::gen::inRange<int>(0, static_cast<int>(ReplyStatus::rejected) + 1));
  if (status != ReplyStatus::ok) {
    payload = payload.first(std::min(payload.size(), kMaxReplyErrorSize));
  }
  return Reply{gen_ref(), gen_pid(), status, payload};
}

// Any valid message; payload views point into `payload`.
ProcessMessage gen_message(core::ByteView payload) {
  switch (*rc::gen::inRange(0, 12)) {
    case 0: return Send{gen_pid(), gen_target(), payload};
    case 1: return Call{gen_ref(), gen_pid(), gen_target(), payload};
    case 2: return gen_reply(payload);
    case 3: return Rpc{gen_ref(), gen_pid(), gen_name(), payload};
    case 4: return Monitor{gen_ref(), gen_pid(), gen_target()};
    case 5: return MonitorAck{gen_ref(), gen_pid(), gen_pid()};
    case 6: return Demonitor{gen_ref(), gen_pid()};
    case 7: return Down{gen_ref(), gen_pid(), gen_pid(), gen_reason()};
    case 8: return Link{gen_pid(), gen_pid()};
    case 9: return LinkAck{gen_pid(), gen_pid()};
    case 10: return Unlink{gen_pid(), gen_pid()};
    default: return Exit{gen_pid(), gen_pid(), gen_reason(), *rc::gen::arbitrary<bool>()};
  }
}

TEST(ProcessMessageProperty, DecodeOfEncodeIsIdentity) {
  EXPECT_TRUE(rc::check("decode(encode(m)) == m and re-encodes to the same bytes", [] {
    const auto payload = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
    const ProcessMessage message = gen_message(payload);
    const core::Bytes bytes = encode_process_message(message);
    auto decoded = decode_process_message(bytes);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == message);
    RC_ASSERT(encode_process_message(*decoded) == bytes);
  }));
}

TEST(ProcessMessageProperty, EncodeAppendsExactlyTheEncoding) {
  EXPECT_TRUE(rc::check("encode(m, out) appends encode(m) to out", [] {
    const auto payload = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
    const ProcessMessage message = gen_message(payload);
    const auto prefix = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
    core::Bytes out = prefix;
    encode_process_message(message, out);
    core::Bytes expected = prefix;
    const core::Bytes bytes = encode_process_message(message);
    expected.insert(expected.end(), bytes.begin(), bytes.end());
    RC_ASSERT(out == expected);
  }));
}

// Damaged frames either fail as protocol errors or are themselves canonical encodings.
TEST(ProcessMessageProperty, DamagedFramesFailOrAreCanonical) {
  EXPECT_TRUE(rc::check("a changed or cut frame fails or re-encodes to the same bytes", [] {
    const auto payload = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
    core::Bytes bytes = encode_process_message(gen_message(payload));
    const auto index = *rc::gen::inRange<std::size_t>(0, bytes.size());
    bytes[index] = *rc::gen::arbitrary<std::uint8_t>();
    if (*rc::gen::arbitrary<bool>()) {
      bytes.resize(*rc::gen::inRange<std::size_t>(0, bytes.size() + 1));
    }
    auto decoded = decode_process_message(bytes);
    if (decoded.has_value()) {
      RC_ASSERT(encode_process_message(*decoded) == bytes);
    } else {
      RC_ASSERT(decoded.error().code == Errc::protocol);
    }
  }));
}

}  // namespace
}  // namespace barrel_p2p::wire
