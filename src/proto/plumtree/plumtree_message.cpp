#include "proto/plumtree/plumtree_message.hpp"

#include <type_traits>

#include "wire/auth_message.hpp"
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::plumtree {

namespace {
enum class Type : std::uint8_t { gossip = 1, ihave = 2, graft = 3, prune = 4 };

MessageId get_id(core::ByteReader& r) {
  MessageId id;
  core::ByteView view = r.bytes(id.bytes.size());
  if (r.ok()) std::copy(view.begin(), view.end(), id.bytes.begin());
  return id;
}

std::uint32_t get_round(core::ByteReader& r) {
  const std::uint64_t round = wire::read_canonical_varint(r);
  if (r.ok() && round > kMaxRound) r.fail("round out of range");
  return static_cast<std::uint32_t>(round);
}

std::uint64_t get_count(core::ByteReader& r) {
  const std::uint64_t count = wire::read_canonical_varint(r);
  if (r.ok() && (count == 0 || count > kMaxListSize)) r.fail("list size out of range");
  return r.ok() ? count : 0;
}
}  // namespace

core::Bytes encode(const Message& message) {
  core::Bytes out;
  core::ByteWriter w(out);
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Gossip>) {
          w.u8(static_cast<std::uint8_t>(Type::gossip));
          w.bytes(m.id.bytes);
          w.varint(m.round);
          w.string(m.origin);
          w.string(m.tag);
          w.bytes(m.payload);
        } else if constexpr (std::is_same_v<M, IHave>) {
          w.u8(static_cast<std::uint8_t>(Type::ihave));
          w.varint(m.entries.size());
          for (const auto& entry : m.entries) {
            w.bytes(entry.id.bytes);
            w.varint(entry.round);
          }
        } else if constexpr (std::is_same_v<M, Graft>) {
          w.u8(static_cast<std::uint8_t>(Type::graft));
          w.varint(m.ids.size());
          for (const auto& id : m.ids) w.bytes(id.bytes);
        } else {
          w.u8(static_cast<std::uint8_t>(Type::prune));
        }
      },
      message);
  return out;
}

Result<Message> decode(core::ByteView bytes, const Limits& limits) {
  core::ByteReader r(bytes);
  Message message;
  switch (static_cast<Type>(r.u8())) {
    case Type::gossip: {
      Gossip m;
      m.id = get_id(r);
      m.round = get_round(r);
      m.origin = wire::read_canonical_string(r, wire::kMaxNameSize);
      if (r.ok() && !wire::is_valid_name(m.origin)) r.fail("invalid origin name");
      m.tag = wire::read_canonical_string(r, limits.max_tag_size);
      core::ByteView payload = r.bytes(r.ok() ? r.remaining() : 0);
      if (r.ok() && payload.size() > limits.max_payload_size) r.fail("payload too large");
      if (r.ok()) m.payload.assign(payload.begin(), payload.end());
      message = std::move(m);
      break;
    }
    case Type::ihave: {
      IHave m;
      const std::uint64_t count = get_count(r);
      for (std::uint64_t i = 0; i < count && r.ok(); ++i) {
        IHave::Entry entry;
        entry.id = get_id(r);
        entry.round = get_round(r);
        m.entries.push_back(entry);
      }
      message = std::move(m);
      break;
    }
    case Type::graft: {
      Graft m;
      const std::uint64_t count = get_count(r);
      for (std::uint64_t i = 0; i < count && r.ok(); ++i) m.ids.push_back(get_id(r));
      message = std::move(m);
      break;
    }
    case Type::prune: message = Prune{}; break;
    default:
      if (r.ok()) r.fail("unknown broadcast message type");
  }
  if (!r.finished()) {
    return fail(Errc::protocol,
                std::string("broadcast message: ") + (r.ok() ? "trailing bytes" : r.error()));
  }
  return message;
}

}  // namespace barrel_p2p::plumtree
