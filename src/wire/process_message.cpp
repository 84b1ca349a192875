// Process message encoding (see process_message.hpp and docs/reference/wire-format.md §4a).
#include "wire/process_message.hpp"

#include <algorithm>
#include <type_traits>

#include "core/assert.hpp"
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::wire {

namespace {

// Wire-visible message type codes: values never change.
enum class MessageType : std::uint8_t {
  send = 1,
  call = 2,
  reply = 3,
  rpc = 4,
  monitor = 5,
  monitor_ack = 6,
  demonitor = 7,
  down = 8,
  link = 9,
  link_ack = 10,
  unlink = 11,
  exit = 12,
};

static_assert(std::is_same_v<std::variant_alternative_t<0, ProcessMessage>, Send> &&
                  std::is_same_v<std::variant_alternative_t<8, ProcessMessage>, Link> &&
                  std::is_same_v<std::variant_alternative_t<11, ProcessMessage>, Exit> &&
                  std::variant_size_v<ProcessMessage> == 12,
              "encode derives the message type from the variant index");

// Wire-visible target kinds.
constexpr std::uint8_t kTargetPid = 0;
constexpr std::uint8_t kTargetName = 1;

constexpr std::uint64_t kVarintMax = (std::uint64_t{1} << 62U) - 1;

bool same_bytes(core::ByteView a, core::ByteView b) { return std::ranges::equal(a, b); }

// ---- Encoding -------------------------------------------------------------------------------

// Pid ids and refs come from counters far below 2^62, and Pid::parse rejects larger ids. A
// larger value can only come from a hand-made pid, so it must not reach an assert: it is sent
// as 0, which names no process and no call, and the peer answers noproc. Decoding reads
// canonical varints, so a decoded id is at most Pid::kIdMax and always re-encodes.
void put_number(core::ByteWriter& w, std::uint64_t value) {
  w.varint(value <= kVarintMax ? value : 0);
}

void put(core::ByteWriter& w, const LocalPid& pid) {
  put_number(w, pid.id);
  w.u64(pid.incarnation);
}

void put(core::ByteWriter& w, const Target& target) {
  if (target.is_name()) {
    w.u8(kTargetName);
    w.string(target.name);
  } else {
    w.u8(kTargetPid);
    put(w, target.pid);
  }
}

void put(core::ByteWriter& w, const Reason& reason) {
  BARREL_ASSERT(reason.code <= ReasonCode::user, "reason code outside ReasonCode");
  w.u8(static_cast<std::uint8_t>(reason.code));
  w.string(reason.text);
}

void encode_fields(core::ByteWriter& w, const Send& m) {
  put(w, m.from);
  put(w, m.to);
  w.bytes(m.payload);
}

void encode_fields(core::ByteWriter& w, const Call& m) {
  put_number(w, m.ref);
  put(w, m.from);
  put(w, m.to);
  w.bytes(m.payload);
}

void encode_fields(core::ByteWriter& w, const Reply& m) {
  BARREL_ASSERT(m.status <= ReplyStatus::rejected, "reply status outside ReplyStatus");
  put_number(w, m.ref);
  put(w, m.to);
  w.u8(static_cast<std::uint8_t>(m.status));
  w.bytes(m.payload);
}

void encode_fields(core::ByteWriter& w, const Rpc& m) {
  put_number(w, m.ref);
  put(w, m.from);
  w.string(m.function);
  w.bytes(m.payload);
}

void encode_fields(core::ByteWriter& w, const Monitor& m) {
  put_number(w, m.ref);
  put(w, m.watcher);
  put(w, m.target);
}

void encode_fields(core::ByteWriter& w, const MonitorAck& m) {
  put_number(w, m.ref);
  put(w, m.watcher);
  put(w, m.target);
}

void encode_fields(core::ByteWriter& w, const Demonitor& m) {
  put_number(w, m.ref);
  put(w, m.watcher);
}

void encode_fields(core::ByteWriter& w, const Down& m) {
  put_number(w, m.ref);
  put(w, m.watcher);
  put(w, m.target);
  put(w, m.reason);
}

// Link, LinkAck and Unlink: two pids.
template <typename M>
requires std::is_same_v<M, Link> || std::is_same_v<M, LinkAck> || std::is_same_v<M, Unlink>
void encode_fields(core::ByteWriter& w, const M& m) {
  put(w, m.from);
  put(w, m.to);
}

void encode_fields(core::ByteWriter& w, const Exit& m) {
  put(w, m.from);
  put(w, m.to);
  put(w, m.reason);
  w.u8(m.linked ? 1 : 0);
}

// ---- Decoding -------------------------------------------------------------------------------
// The reader's errors are sticky: helpers read on after a failure (getting zeros) and the
// caller checks once at the end.

LocalPid read_pid(core::ByteReader& r) {
  LocalPid pid;
  pid.id = read_canonical_varint(r);
  pid.incarnation = r.u64();
  return pid;
}

// A target or function name: 1..kMaxProcessNameSize bytes, any bytes.
std::string read_name(core::ByteReader& r, const char* empty_error) {
  std::string name = read_canonical_string(r, kMaxProcessNameSize);
  if (r.ok() && name.empty()) r.fail(empty_error);
  return name;
}

Target read_target(core::ByteReader& r) {
  const std::uint8_t kind = r.u8();
  if (kind == kTargetName) return Target::named(read_name(r, "empty target name"));
  if (r.ok() && kind != kTargetPid) r.fail("unknown target kind");
  return Target::of(read_pid(r));
}

Reason read_reason(core::ByteReader& r) {
  Reason reason;
  const std::uint8_t code = r.u8();
  if (r.ok() && code > static_cast<std::uint8_t>(ReasonCode::user)) r.fail("unknown reason code");
  reason.code = static_cast<ReasonCode>(code);
  reason.text = read_canonical_string(r, kMaxReasonTextSize);
  return reason;
}

ReplyStatus read_status(core::ByteReader& r) {
  const std::uint8_t status = r.u8();
  if (r.ok() && status > static_cast<std::uint8_t>(ReplyStatus::rejected)) {
    r.fail("unknown reply status");
  }
  return static_cast<ReplyStatus>(status);
}

bool read_bool(core::ByteReader& r) {
  const std::uint8_t value = r.u8();
  if (r.ok() && value > 1) r.fail("bool is not 0 or 1");
  return value == 1;
}

// The trailing payload: the rest of the frame, as a view into it.
core::ByteView read_payload(core::ByteReader& r) {
  return r.ok() ? r.bytes(r.remaining()) : core::ByteView{};
}

// Send, Call, Reply and Rpc: the hot path. Fields are read one statement each, in wire order.
Send read_send(core::ByteReader& r) {
  Send m;
  m.from = read_pid(r);
  m.to = read_target(r);
  m.payload = read_payload(r);
  return m;
}

Call read_call(core::ByteReader& r) {
  Call m;
  m.ref = read_canonical_varint(r);
  m.from = read_pid(r);
  m.to = read_target(r);
  m.payload = read_payload(r);
  return m;
}

Rpc read_rpc(core::ByteReader& r) {
  Rpc m;
  m.ref = read_canonical_varint(r);
  m.from = read_pid(r);
  m.function = read_name(r, "empty function name");
  m.payload = read_payload(r);
  return m;
}

Reply read_reply(core::ByteReader& r) {
  Reply m;
  m.ref = read_canonical_varint(r);
  m.to = read_pid(r);
  m.status = read_status(r);
  m.payload = read_payload(r);
  if (r.ok() && m.status != ReplyStatus::ok && m.payload.size() > kMaxReplyErrorSize) {
    r.fail("reply error longer than its limit");
  }
  return m;
}

// Reads the fields of a message of a known type, in wire order (one statement per field, so
// the reads are sequenced).
ProcessMessage decode_fields(core::ByteReader& r, MessageType type) {
  switch (type) {
    case MessageType::send: return read_send(r);
    case MessageType::call: return read_call(r);
    case MessageType::reply: return read_reply(r);
    case MessageType::rpc: return read_rpc(r);
    case MessageType::monitor: {
      Monitor m;
      m.ref = read_canonical_varint(r);
      m.watcher = read_pid(r);
      m.target = read_target(r);
      return m;
    }
    case MessageType::monitor_ack: {
      MonitorAck m;
      m.ref = read_canonical_varint(r);
      m.watcher = read_pid(r);
      m.target = read_pid(r);
      return m;
    }
    case MessageType::demonitor: {
      Demonitor m;
      m.ref = read_canonical_varint(r);
      m.watcher = read_pid(r);
      return m;
    }
    case MessageType::down: {
      Down m;
      m.ref = read_canonical_varint(r);
      m.watcher = read_pid(r);
      m.target = read_pid(r);
      m.reason = read_reason(r);
      return m;
    }
    case MessageType::link:
    case MessageType::link_ack:
    case MessageType::unlink: {
      const LocalPid from = read_pid(r);
      const LocalPid to = read_pid(r);
      if (type == MessageType::link) return Link{from, to};
      if (type == MessageType::link_ack) return LinkAck{from, to};
      return Unlink{from, to};
    }
    case MessageType::exit: {
      Exit m;
      m.from = read_pid(r);
      m.to = read_pid(r);
      m.reason = read_reason(r);
      m.linked = read_bool(r);
      return m;
    }
  }
  BARREL_ASSERT(false, "unreachable: message type checked by the caller");
  return Link{};
}

}  // namespace

bool Send::operator==(const Send& other) const {
  return from == other.from && to == other.to && same_bytes(payload, other.payload);
}

bool Call::operator==(const Call& other) const {
  return ref == other.ref && from == other.from && to == other.to &&
         same_bytes(payload, other.payload);
}

bool Reply::operator==(const Reply& other) const {
  return ref == other.ref && to == other.to && status == other.status &&
         same_bytes(payload, other.payload);
}

bool Rpc::operator==(const Rpc& other) const {
  return ref == other.ref && from == other.from && function == other.function &&
         same_bytes(payload, other.payload);
}

void encode_process_message(const ProcessMessage& message, core::Bytes& out) {
  core::ByteWriter w(out);
  // The variant index order matches MessageType (send = 1 ... exit = 12).
  w.u8(static_cast<std::uint8_t>(message.index() + 1));
  std::visit([&w](const auto& fields) { encode_fields(w, fields); }, message);
}

core::Bytes encode_process_message(const ProcessMessage& message) {
  core::Bytes out;
  encode_process_message(message, out);
  return out;
}

Result<ProcessMessage> decode_process_message(core::ByteView frame) {
  core::ByteReader r(frame);
  const std::uint8_t code = r.u8();
  if (r.ok() && (code == 0 || code > static_cast<std::uint8_t>(MessageType::exit))) {
    r.fail("unknown message type");
  }
  ProcessMessage message = r.ok() ? decode_fields(r, static_cast<MessageType>(code)) : Link{};
  // Payload-carrying messages consumed the rest of the frame; any other must fill it exactly.
  if (r.ok() && r.remaining() != 0) r.fail("trailing bytes");
  if (!r.ok()) return fail(Errc::protocol, std::string("process message: ") + r.error());
  return message;
}

}  // namespace barrel_p2p::wire
