// Process message encoding (see process_message.hpp).
#include "wire/process_message.hpp"

#include <type_traits>

#include "wire/canonical_varint.hpp"

namespace barrel_p2p::wire {

namespace {

enum class Type : std::uint8_t {
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

constexpr std::uint8_t kTargetPid = 0;
constexpr std::uint64_t kVarintMax = (std::uint64_t{1} << 62U) - 1;

// Pid ids and refs come from counters far below 2^62; a larger value (only a caller-made pid
// or envelope can hold one) is sent as 0, which names no process and no call.
void put_number(core::ByteWriter& w, std::uint64_t value) {
  w.varint(value <= kVarintMax ? value : 0);
}
constexpr std::uint8_t kTargetName = 1;

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
  w.u8(static_cast<std::uint8_t>(reason.code));
  w.string(reason.text);
}

LocalPid get_pid(core::ByteReader& r) {
  LocalPid pid;
  pid.id = read_canonical_varint(r);
  pid.incarnation = r.u64();
  return pid;
}

Target get_target(core::ByteReader& r) {
  Target target;
  const std::uint8_t kind = r.u8();
  if (kind == kTargetPid) {
    target.pid = get_pid(r);
  } else if (kind == kTargetName) {
    target.name = read_canonical_string(r, kMaxProcessNameSize);
    if (r.ok() && target.name.empty()) r.fail("empty target name");
  } else if (r.ok()) {
    r.fail("unknown target kind");
  }
  return target;
}

Reason get_reason(core::ByteReader& r) {
  Reason reason;
  const std::uint8_t code = r.u8();
  if (r.ok() && code > static_cast<std::uint8_t>(ReasonCode::user)) r.fail("unknown exit reason");
  reason.code = static_cast<ReasonCode>(code);
  reason.text = read_canonical_string(r, kMaxReasonTextSize);
  return reason;
}

bool get_bool(core::ByteReader& r) {
  const std::uint8_t value = r.u8();
  if (r.ok() && value > 1) r.fail("bool is not 0 or 1");
  return value == 1;
}

// The rest of the frame.
core::ByteView rest(core::ByteReader& r) { return r.bytes(r.ok() ? r.remaining() : 0); }

}  // namespace

void encode_process_message(const ProcessMessage& message, core::Bytes& out) {
  core::ByteWriter w(out);
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Send>) {
          w.u8(static_cast<std::uint8_t>(Type::send));
          put(w, m.from);
          put(w, m.to);
          w.bytes(m.payload);
        } else if constexpr (std::is_same_v<M, Call>) {
          w.u8(static_cast<std::uint8_t>(Type::call));
          put_number(w, m.ref);
          put(w, m.from);
          put(w, m.to);
          w.bytes(m.payload);
        } else if constexpr (std::is_same_v<M, Reply>) {
          w.u8(static_cast<std::uint8_t>(Type::reply));
          put_number(w, m.ref);
          put(w, m.to);
          w.u8(static_cast<std::uint8_t>(m.status));
          w.bytes(m.payload);
        } else if constexpr (std::is_same_v<M, Rpc>) {
          w.u8(static_cast<std::uint8_t>(Type::rpc));
          put_number(w, m.ref);
          put(w, m.from);
          w.string(m.function);
          w.bytes(m.payload);
        } else if constexpr (std::is_same_v<M, Monitor>) {
          w.u8(static_cast<std::uint8_t>(Type::monitor));
          put_number(w, m.ref);
          put(w, m.watcher);
          put(w, m.target);
        } else if constexpr (std::is_same_v<M, MonitorAck>) {
          w.u8(static_cast<std::uint8_t>(Type::monitor_ack));
          put_number(w, m.ref);
          put(w, m.watcher);
          put(w, m.target);
        } else if constexpr (std::is_same_v<M, Demonitor>) {
          w.u8(static_cast<std::uint8_t>(Type::demonitor));
          put_number(w, m.ref);
          put(w, m.watcher);
        } else if constexpr (std::is_same_v<M, Down>) {
          w.u8(static_cast<std::uint8_t>(Type::down));
          put_number(w, m.ref);
          put(w, m.watcher);
          put(w, m.target);
          put(w, m.reason);
        } else if constexpr (std::is_same_v<M, Exit>) {
          w.u8(static_cast<std::uint8_t>(Type::exit));
          put(w, m.from);
          put(w, m.to);
          put(w, m.reason);
          w.u8(m.linked ? 1 : 0);
        } else {  // Link, LinkAck, Unlink: two pids
          Type type = std::is_same_v<M, Link>      ? Type::link
                      : std::is_same_v<M, LinkAck> ? Type::link_ack
                                                   : Type::unlink;
          w.u8(static_cast<std::uint8_t>(type));
          put(w, m.from);
          put(w, m.to);
        }
      },
      message);
}

core::Bytes encode_process_message(const ProcessMessage& message) {
  core::Bytes out;
  encode_process_message(message, out);
  return out;
}

Result<ProcessMessage> decode_process_message(core::ByteView frame) {
  core::ByteReader r(frame);
  const auto type = static_cast<Type>(r.u8());
  ProcessMessage message;
  switch (type) {
    case Type::send: {
      Send m;
      m.from = get_pid(r);
      m.to = get_target(r);
      m.payload = rest(r);
      message = m;
      break;
    }
    case Type::call: {
      Call m;
      m.ref = read_canonical_varint(r);
      m.from = get_pid(r);
      m.to = get_target(r);
      m.payload = rest(r);
      message = std::move(m);
      break;
    }
    case Type::reply: {
      Reply m;
      m.ref = read_canonical_varint(r);
      m.to = get_pid(r);
      const std::uint8_t status = r.u8();
      if (r.ok() && status > static_cast<std::uint8_t>(ReplyStatus::rejected)) {
        r.fail("unknown reply status");
      }
      m.status = static_cast<ReplyStatus>(status);
      m.payload = rest(r);
      if (r.ok() && m.status != ReplyStatus::ok && m.payload.size() > kMaxReplyErrorSize) {
        r.fail("reply error text longer than its limit");
      }
      message = m;
      break;
    }
    case Type::rpc: {
      Rpc m;
      m.ref = read_canonical_varint(r);
      m.from = get_pid(r);
      m.function = read_canonical_string(r, kMaxProcessNameSize);
      if (r.ok() && m.function.empty()) r.fail("empty function name");
      m.payload = rest(r);
      message = std::move(m);
      break;
    }
    case Type::monitor: {
      Monitor m;
      m.ref = read_canonical_varint(r);
      m.watcher = get_pid(r);
      m.target = get_target(r);
      message = std::move(m);
      break;
    }
    case Type::monitor_ack: {
      MonitorAck m;
      m.ref = read_canonical_varint(r);
      m.watcher = get_pid(r);
      m.target = get_pid(r);
      message = m;
      break;
    }
    case Type::demonitor: {
      Demonitor m;
      m.ref = read_canonical_varint(r);
      m.watcher = get_pid(r);
      message = m;
      break;
    }
    case Type::down: {
      Down m;
      m.ref = read_canonical_varint(r);
      m.watcher = get_pid(r);
      m.target = get_pid(r);
      m.reason = get_reason(r);
      message = std::move(m);
      break;
    }
    case Type::link:
    case Type::link_ack:
    case Type::unlink: {
      LocalPid from = get_pid(r);
      LocalPid to = get_pid(r);
      if (type == Type::link) message = Link{from, to};
      if (type == Type::link_ack) message = LinkAck{from, to};
      if (type == Type::unlink) message = Unlink{from, to};
      break;
    }
    case Type::exit: {
      Exit m;
      m.from = get_pid(r);
      m.to = get_pid(r);
      m.reason = get_reason(r);
      m.linked = get_bool(r);
      message = std::move(m);
      break;
    }
    default:
      if (r.ok()) r.fail("unknown process message type");
  }
  if (!r.finished()) {
    return fail(Errc::protocol,
                std::string("process message: ") + (r.ok() ? "trailing bytes" : r.error()));
  }
  return message;
}

}  // namespace barrel_p2p::wire
