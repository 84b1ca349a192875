#include "proto/registry/registry_message.hpp"

#include <algorithm>

#include "core/assert.hpp"
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::registry {

namespace {
constexpr std::uint8_t kCauseOperation = 0;
constexpr std::uint8_t kCauseProcessEnded = 1;

Unexpected malformed(const std::string& what) {
  return {Errc::protocol, "registry message: " + what};
}
}  // namespace

core::Bytes encode_delta_message(const core::Bytes& delta, const std::optional<ExitCause>& exit) {
  core::Bytes out;
  out.reserve(delta.size() + 8 + (exit ? exit->text.size() : 0));
  core::ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(Message::Type::delta));
  if (exit) {
    w.u8(kCauseProcessEnded);
    w.u8(exit->code);
    w.string(std::string_view(exit->text).substr(0, kMaxExitText));
  } else {
    w.u8(kCauseOperation);
  }
  w.bytes(delta);
  return out;
}

core::Bytes encode_digest_message(std::uint64_t digest) {
  core::Bytes out;
  core::ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(Message::Type::digest));
  w.u64(digest);
  return out;
}

core::Bytes encode_state_message(const core::Bytes& state, bool reply) {
  core::Bytes out;
  out.reserve(state.size() + 2);
  core::ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(Message::Type::state));
  w.u8(reply ? 1 : 0);
  w.bytes(state);
  return out;
}

core::Bytes encode_route_request(const RouteRequest& request) {
  BARREL_ASSERT(!request.origin.empty() && request.origin.size() <= kMaxRouteOriginSize &&
                    request.address.size() <= kMaxRouteOriginSize && !request.name.empty() &&
                    request.name.size() <= kMaxRouteNameSize,
                "route request field sizes");
  core::Bytes out;
  out.reserve(request.name.size() + request.origin.size() + request.address.size() + 16);
  core::ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(Message::Type::route_request));
  w.u64(request.request_id);
  w.u8(request.ttl);
  w.string(request.origin);
  w.string(request.address);
  w.string(request.name);
  return out;
}

core::Bytes encode_route_reply(std::uint64_t request_id, const core::Bytes& instances) {
  core::Bytes out;
  out.reserve(instances.size() + 9);
  core::ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(Message::Type::route_reply));
  w.u64(request_id);
  w.bytes(instances);
  return out;
}

core::Bytes encode_heartbeat(std::string_view node, const hlc::Timestamp& stamp) {
  BARREL_ASSERT(!node.empty() && node.size() <= kMaxRouteOriginSize, "heartbeat node size");
  core::Bytes out;
  out.reserve(node.size() + 14);
  core::ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(Message::Type::heartbeat));
  w.string(node);
  hlc::write_timestamp(w, stamp);
  return out;
}

namespace {
Result<Message> decode_heartbeat(core::ByteReader& r) {
  Message message;
  message.type = Message::Type::heartbeat;
  message.origin = wire::read_canonical_string(r, kMaxRouteOriginSize);
  message.stamp = hlc::read_timestamp(r);
  if (!r.finished()) return malformed(r.ok() ? "trailing bytes" : r.error());
  if (message.origin.empty()) return malformed("heartbeat without a node");
  return message;
}

Result<Message> decode_route_request(core::ByteReader& r) {
  Message message;
  message.type = Message::Type::route_request;
  message.request_id = r.u64();
  message.ttl = r.u8();
  message.origin = wire::read_canonical_string(r, kMaxRouteOriginSize);
  message.address = wire::read_canonical_string(r, kMaxRouteOriginSize);
  message.name = wire::read_canonical_string(r, kMaxRouteNameSize);
  if (!r.finished()) return malformed(r.ok() ? "trailing bytes" : r.error());
  if (message.origin.empty() || message.name.empty()) {
    return malformed("route request without origin or name");
  }
  return message;
}
}  // namespace

Result<Message> decode_message(core::ByteView bytes, std::size_t max_size) {
  if (bytes.empty()) return malformed("empty");
  if (bytes.size() > max_size) return malformed("larger than max_state_size");
  core::ByteReader r(bytes);
  Message message;
  const std::uint8_t type = r.u8();
  switch (type) {
    case static_cast<std::uint8_t>(Message::Type::delta): {
      message.type = Message::Type::delta;
      const std::uint8_t cause = r.u8();
      if (cause == kCauseProcessEnded) {
        ExitCause exit;
        exit.code = r.u8();
        exit.text = wire::read_canonical_string(r, kMaxExitText);
        message.exit = std::move(exit);
      } else if (cause != kCauseOperation) {
        return malformed("unknown delta cause");
      }
      break;
    }
    case static_cast<std::uint8_t>(Message::Type::digest):
      message.type = Message::Type::digest;
      message.digest = r.u64();
      if (!r.finished()) return malformed(r.ok() ? "trailing bytes" : r.error());
      return message;
    case static_cast<std::uint8_t>(Message::Type::state): {
      message.type = Message::Type::state;
      const std::uint8_t reply = r.u8();
      if (reply > 1) return malformed("reply flag is neither 0 nor 1");
      message.reply = reply == 1;
      break;
    }
    case static_cast<std::uint8_t>(Message::Type::route_request): return decode_route_request(r);
    case static_cast<std::uint8_t>(Message::Type::heartbeat): return decode_heartbeat(r);
    case static_cast<std::uint8_t>(Message::Type::route_reply):
      message.type = Message::Type::route_reply;
      message.request_id = r.u64();
      break;
    default: return malformed("unknown type " + std::to_string(type));
  }
  if (!r.ok()) return malformed(r.error());
  if (r.remaining() == 0) return malformed("no delta or state");
  message.body = bytes.subspan(r.offset());
  return message;
}

std::uint64_t digest_of(core::ByteView encoded_state) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (const std::uint8_t byte : encoded_state) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return hash;
}

}  // namespace barrel_p2p::registry
