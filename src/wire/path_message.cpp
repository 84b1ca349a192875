#include "wire/path_message.hpp"

#include <algorithm>

#include "core/assert.hpp"
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::wire {

namespace {

Unexpected malformed(const std::string& what) { return {Errc::protocol, "path message: " + what}; }

// The longest text a message of `type` may carry.
std::size_t text_limit(PathMessageType type) {
  switch (type) {
    case PathMessageType::move: return kMaxPathAddressSize;
    case PathMessageType::moved: return 0;
    case PathMessageType::refused:
    case PathMessageType::unable: return kMaxPathReasonSize;
  }
  return 0;
}

bool is_known(std::uint8_t type) {
  return type >= static_cast<std::uint8_t>(PathMessageType::move) &&
         type <= static_cast<std::uint8_t>(PathMessageType::unable);
}

}  // namespace

core::Bytes encode_path_message(const PathMessage& message) {
  BARREL_ASSERT(is_known(static_cast<std::uint8_t>(message.type)),
                "path message type outside PathMessageType");
  BARREL_ASSERT(message.type != PathMessageType::move ||
                    (!message.text.empty() && message.text.size() <= kMaxPathAddressSize),
                "MOVE address empty or longer than kMaxPathAddressSize");
  const std::string_view text = message.text;
  core::Bytes out;
  core::ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(message.type));
  w.string(text.substr(0, std::min(text.size(), text_limit(message.type))));
  return out;
}

Result<PathMessage> decode_path_message(core::ByteView bytes) {
  if (bytes.empty()) return malformed("empty");
  if (bytes.size() > kMaxPathMessageSize) return malformed("larger than its limit");
  core::ByteReader r(bytes);
  const std::uint8_t type = r.u8();
  if (!is_known(type)) return malformed("unknown type " + std::to_string(type));
  PathMessage message;
  message.type = static_cast<PathMessageType>(type);
  message.text = read_canonical_string(r, text_limit(message.type));
  if (r.ok() && message.type == PathMessageType::move && message.text.empty()) {
    r.fail("empty address");
  }
  if (!r.ok()) return malformed(r.error());
  if (!r.finished()) return malformed("trailing bytes");
  return message;
}

std::string_view path_message_type_name(PathMessageType type) {
  switch (type) {
    case PathMessageType::move: return "move";
    case PathMessageType::moved: return "moved";
    case PathMessageType::refused: return "refused";
    case PathMessageType::unable: return "unable";
  }
  return "unknown";
}

}  // namespace barrel_p2p::wire
