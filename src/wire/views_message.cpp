#include "wire/views_message.hpp"

#include <algorithm>
#include <type_traits>

#include "wire/auth_message.hpp"
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::wire {

namespace {

enum class Type : std::uint8_t { request = 1, reply = 2 };

Unexpected malformed(const std::string& what) { return {Errc::protocol, "views message: " + what}; }

std::string_view bounded_address(const std::string& address) {
  return address.size() <= kMaxViewsAddressSize ? std::string_view(address) : std::string_view();
}

void put_reply(core::ByteWriter& w, const ViewsReply& reply) {
  w.string(bounded_address(reply.address));
  const std::size_t active = std::min(reply.active.size(), kMaxViewsActive);
  w.varint(active);
  for (std::size_t i = 0; i < active; ++i) {
    w.string(reply.active[i].name);
    w.string(bounded_address(reply.active[i].address));
  }
  w.varint(std::min(reply.passive_size, kMaxViewsCount));
  const std::size_t on_demand = std::min(reply.on_demand.size(), kMaxViewsOnDemand);
  w.varint(on_demand);
  for (std::size_t i = 0; i < on_demand; ++i) w.string(reply.on_demand[i]);
}

std::string get_name(core::ByteReader& r) {
  std::string name = read_canonical_string(r, kMaxNameSize);
  if (r.ok() && !is_valid_name(name)) r.fail("invalid node name");
  return name;
}

// Reads a list count and fails the reader when it exceeds `limit` (nothing is reserved on the
// peer's say-so: items are appended as they decode).
std::uint64_t get_count(core::ByteReader& r, std::uint64_t limit) {
  const std::uint64_t count = read_canonical_varint(r);
  if (r.ok() && count > limit) r.fail("list longer than its limit");
  return r.ok() ? count : 0;
}

ViewsReply get_reply(core::ByteReader& r, std::uint64_t request) {
  ViewsReply reply;
  reply.request = request;
  reply.address = read_canonical_string(r, kMaxViewsAddressSize);
  const std::uint64_t active = get_count(r, kMaxViewsActive);
  for (std::uint64_t i = 0; i < active && r.ok(); ++i) {
    ViewsPeer peer;
    peer.name = get_name(r);
    peer.address = read_canonical_string(r, kMaxViewsAddressSize);
    reply.active.push_back(std::move(peer));
  }
  reply.passive_size = read_canonical_varint(r);
  if (r.ok() && reply.passive_size > kMaxViewsCount) r.fail("passive size over its limit");
  const std::uint64_t on_demand = get_count(r, kMaxViewsOnDemand);
  for (std::uint64_t i = 0; i < on_demand && r.ok(); ++i) reply.on_demand.push_back(get_name(r));
  return reply;
}

}  // namespace

core::Bytes encode_views(const ViewsMessage& message) {
  core::Bytes out;
  core::ByteWriter w(out);
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, ViewsRequest>) {
          w.u8(static_cast<std::uint8_t>(Type::request));
          w.varint(m.request);
        } else {
          w.u8(static_cast<std::uint8_t>(Type::reply));
          w.varint(m.request);
          put_reply(w, m);
        }
      },
      message);
  return out;
}

Result<ViewsMessage> decode_views(core::ByteView bytes) {
  if (bytes.empty()) return malformed("empty");
  if (bytes.size() > kMaxViewsMessageSize) return malformed("larger than its limit");
  core::ByteReader r(bytes);
  const std::uint8_t type = r.u8();
  const std::uint64_t request = read_canonical_varint(r);
  ViewsMessage message;
  if (type == static_cast<std::uint8_t>(Type::request)) {
    message = ViewsRequest{request};
  } else if (type == static_cast<std::uint8_t>(Type::reply)) {
    message = get_reply(r, request);
  } else {
    return malformed("unknown type " + std::to_string(type));
  }
  if (!r.ok()) return malformed(r.error());
  if (!r.finished()) return malformed("trailing bytes");
  return message;
}

}  // namespace barrel_p2p::wire
