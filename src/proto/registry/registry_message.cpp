#include "proto/registry/registry_message.hpp"

#include <algorithm>

#include "core/assert.hpp"
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::registry {

namespace {
constexpr std::uint8_t kCauseOperation = 0;
constexpr std::uint8_t kCauseProcessEnded = 1;
constexpr std::uint8_t kStateReply = 1;
constexpr std::uint8_t kStateCauses = 2;

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

core::Bytes encode_state_message(const core::Bytes& state, bool reply,
                                 const std::vector<DotCause>& causes) {
  const std::size_t count = std::min(causes.size(), kMaxStateCauses);
  core::Bytes out;
  out.reserve(state.size() + 2 + (count > 0 ? kMaxStateCausesSize : 0));
  core::ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(Message::Type::state));
  w.u8(static_cast<std::uint8_t>((reply ? kStateReply : 0) | (count > 0 ? kStateCauses : 0)));
  if (count > 0) {
    w.varint(count);
    for (std::size_t i = 0; i < count; ++i) {
      const DotCause& dot = causes[i];
      BARREL_ASSERT(!dot.node.empty() && dot.node.size() <= kMaxRouteOriginSize,
                    "state cause node size");
      w.string(dot.node);
      hlc::write_timestamp(w, dot.stamp);
      w.u8(dot.cause.code);
      w.string(std::string_view(dot.cause.text).substr(0, kMaxStateCauseText));
    }
  }
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

// The causes section of a STATE (after its flags).
Result<std::vector<DotCause>> decode_state_causes(core::ByteReader& r) {
  const std::uint64_t count = wire::read_canonical_varint(r);
  if (!r.ok()) return malformed(r.error());
  if (count == 0 || count > kMaxStateCauses) return malformed("state cause count out of range");
  std::vector<DotCause> causes(static_cast<std::size_t>(count));
  for (DotCause& dot : causes) {
    dot.node = wire::read_canonical_string(r, kMaxRouteOriginSize);
    dot.stamp = hlc::read_timestamp(r);
    dot.cause.code = r.u8();
    dot.cause.text = wire::read_canonical_string(r, kMaxStateCauseText);
    if (!r.ok()) return malformed(r.error());
    if (dot.node.empty()) return malformed("state cause without a node");
  }
  return causes;
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
  const bool has_causes = bytes.size() > 1 &&
                          bytes[0] == static_cast<std::uint8_t>(Message::Type::state) &&
                          (bytes[1] & kStateCauses) != 0;
  if (bytes.size() > max_size + (has_causes ? kMaxStateCausesSize : 0)) {
    return malformed("larger than max_state_size");
  }
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
      const std::uint8_t flags = r.u8();
      if ((flags & ~(kStateReply | kStateCauses)) != 0) return malformed("unknown state flags");
      message.reply = (flags & kStateReply) != 0;
      if ((flags & kStateCauses) != 0) {
        auto causes = decode_state_causes(r);
        if (!causes) return Unexpected(causes.error());
        message.causes = std::move(*causes);
      }
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
