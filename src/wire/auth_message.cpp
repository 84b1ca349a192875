#include "wire/auth_message.hpp"

#include <algorithm>
#include <type_traits>

#include "core/assert.hpp"
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::wire {

namespace {

// Wire-visible message type codes: values never change.
enum class MessageType : std::uint8_t {
  hello = 1,
  challenge = 2,
  response = 3,
  ok = 4,
  reject = 5
};

static_assert(std::is_same_v<std::variant_alternative_t<0, AuthMessage>, Hello> &&
                  std::is_same_v<std::variant_alternative_t<4, AuthMessage>, Reject>,
              "encode() derives the message type from the variant index");

constexpr std::uint8_t kLastFailureCode = static_cast<std::uint8_t>(AuthFailure::rotation_refused);

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Details end up in logs: control characters could forge log lines.
bool is_valid_detail(std::string_view detail) {
  return detail.size() <= kMaxRejectDetailSize &&
         std::none_of(detail.begin(), detail.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return byte < 0x20 || byte == 0x7f;
         });
}

void encode_fields(core::ByteWriter& writer, const Hello& hello) {
  BARREL_ASSERT(is_valid_name(hello.cluster_name) && is_valid_name(hello.node_name));
  writer.u8(hello.protocol_version);
  writer.string(hello.cluster_name);
  writer.string(hello.node_name);
  writer.bytes(hello.public_key);
  const std::uint8_t flags =
      (hello.takeover ? kHelloTakeover : 0U) | (hello.rotation ? kHelloRotation : 0U);
  if (flags != 0) writer.u8(flags);
  if (hello.rotation) writer.length_prefixed(encode(*hello.rotation));
}

// The optional tail of a HELLO: a flags byte, present only when a flag is set (0 and unknown
// bits have no valid encoding), then the rotation record when its flag says so.
void decode_hello_flags(core::ByteReader& reader, Hello& hello) {
  const std::uint8_t flags = reader.u8();
  if (!reader.ok()) return;
  if (flags == 0 || (flags & ~(kHelloTakeover | kHelloRotation)) != 0) {
    reader.fail("unknown hello flags");
    return;
  }
  hello.takeover = (flags & kHelloTakeover) != 0;
  if ((flags & kHelloRotation) == 0) return;
  const std::uint64_t size = read_canonical_varint(reader);
  if (reader.ok() && size > kMaxRotationRecordSize) reader.fail("rotation record too long");
  const core::ByteView bytes = reader.bytes(static_cast<std::size_t>(size));
  if (!reader.ok()) return;
  auto record = decode_rotation_record(bytes);
  if (!record) {
    reader.fail("malformed rotation record");
    return;
  }
  hello.rotation = std::move(*record);
}

void encode_fields(core::ByteWriter& writer, const Challenge& challenge) {
  writer.bytes(challenge.nonce);
  writer.u64(challenge.timestamp_unix_ms);
}

void encode_fields(core::ByteWriter& writer, const Response& response) {
  writer.bytes(response.signature);
  writer.bytes(response.cluster_mac);
}

void encode_fields(core::ByteWriter& /*writer*/, const Ok& /*ok*/) {}

void encode_fields(core::ByteWriter& writer, const Reject& reject) {
  BARREL_ASSERT(is_valid_detail(reject.detail), "reject detail too long or has control chars");
  writer.u8(static_cast<std::uint8_t>(reject.reason));
  writer.string(reject.detail);
}

AuthMessage decode_fields(core::ByteReader& reader, MessageType type) {
  switch (type) {
    case MessageType::hello: {
      Hello hello;
      hello.protocol_version = reader.u8();
      hello.cluster_name = read_name(reader);
      hello.node_name = read_name(reader);
      read_array(reader, hello.public_key);
      if (reader.ok() && reader.remaining() > 0) decode_hello_flags(reader, hello);
      return hello;
    }
    case MessageType::challenge: {
      Challenge challenge;
      read_array(reader, challenge.nonce);
      challenge.timestamp_unix_ms = reader.u64();
      return challenge;
    }
    case MessageType::response: {
      Response response;
      read_array(reader, response.signature);
      read_array(reader, response.cluster_mac);
      return response;
    }
    case MessageType::ok: return Ok{};
    case MessageType::reject: {
      Reject reject;
      const std::uint8_t reason = reader.u8();
      if (reader.ok() && (reason == 0 || reason > kLastFailureCode)) {
        reader.fail("unknown reject reason");
      }
      reject.reason = static_cast<AuthFailure>(reason);
      reject.detail = read_canonical_string(reader, kMaxRejectDetailSize);
      if (reader.ok() && !is_valid_detail(reject.detail))
        reader.fail("control character in detail");
      return reject;
    }
  }
  BARREL_ASSERT(false, "unreachable: message type checked by the caller");
  return Ok{};
}

}  // namespace

std::string_view auth_failure_name(AuthFailure reason) {
  switch (reason) {
    case AuthFailure::cluster_mismatch: return "cluster_mismatch";
    case AuthFailure::cluster_secret_mismatch: return "cluster_secret_mismatch";
    case AuthFailure::version_mismatch: return "version_mismatch";
    case AuthFailure::unknown_key: return "unknown_key";
    case AuthFailure::key_mismatch: return "key_mismatch";
    case AuthFailure::bad_signature: return "bad_signature";
    case AuthFailure::timestamp_skew: return "timestamp_skew";
    case AuthFailure::budget_exceeded: return "budget_exceeded";
    case AuthFailure::protocol_violation: return "protocol_violation";
    case AuthFailure::duplicate_name_self: return "duplicate_name_self";
    case AuthFailure::rejected_by_peer: return "rejected_by_peer";
    case AuthFailure::contact_mismatch: return "contact_mismatch";
    case AuthFailure::rotation_refused: return "rotation_refused";
  }
  return "unknown";
}

std::string read_name(core::ByteReader& reader) {
  std::string name = read_canonical_string(reader, kMaxNameSize);
  if (reader.ok() && !is_valid_name(name)) reader.fail("invalid name");
  return name;
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameSize) return false;
  // "." and ".." are directory entries, never usable as file name stems.
  if (name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), is_name_char);
}

core::Bytes encode(const AuthMessage& message) {
  core::Bytes out;
  core::ByteWriter writer(out);
  // The variant index order matches MessageType (hello = 1 ... reject = 5).
  writer.u8(static_cast<std::uint8_t>(message.index() + 1));
  std::visit([&writer](const auto& fields) { encode_fields(writer, fields); }, message);
  return out;
}

Result<AuthMessage> decode_auth_message(core::ByteView payload) {
  core::ByteReader reader(payload);
  const std::uint8_t code = reader.u8();
  if (reader.ok() && (code == 0 || code > static_cast<std::uint8_t>(MessageType::reject))) {
    reader.fail("unknown message type");
  }
  AuthMessage message = reader.ok() ? decode_fields(reader, static_cast<MessageType>(code)) : Ok{};
  if (reader.ok() && reader.remaining() != 0) reader.fail("trailing bytes");
  if (!reader.ok()) {
    return fail(Errc::protocol, std::string("auth message: ") + reader.error());
  }
  return message;
}

}  // namespace barrel_p2p::wire
