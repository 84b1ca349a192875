// Pid and ExitReason: printing, parsing and the compact binary form.
#include "barrel_p2p/pid.hpp"

#include <charconv>

#include "core/bytes.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p {

std::string Pid::to_string() const {
  char hex[17];
  auto end = std::to_chars(hex, hex + sizeof(hex), incarnation, 16).ptr;
  return "<" + node + "." + std::to_string(id) + "." + std::string(hex, end) + ">";
}

Result<Pid> Pid::parse(std::string_view text) {
  auto bad = [&] { return fail(Errc::invalid_argument, "not a pid: '" + std::string(text) + "'"); };
  if (text.size() < 7 || text.front() != '<' || text.back() != '>') return bad();
  std::string_view body = text.substr(1, text.size() - 2);
  auto last = body.rfind('.');
  if (last == std::string_view::npos || last == 0) return bad();
  auto middle = body.rfind('.', last - 1);
  if (middle == std::string_view::npos) return bad();
  Pid pid;
  pid.node = std::string(body.substr(0, middle));
  auto id_text = body.substr(middle + 1, last - middle - 1);
  auto inc_text = body.substr(last + 1);
  auto id = std::from_chars(id_text.data(), id_text.data() + id_text.size(), pid.id);
  auto inc =
      std::from_chars(inc_text.data(), inc_text.data() + inc_text.size(), pid.incarnation, 16);
  if (id.ec != std::errc{} || id.ptr != id_text.data() + id_text.size() || inc.ec != std::errc{} ||
      inc.ptr != inc_text.data() + inc_text.size() || !wire::is_valid_name(pid.node) ||
      id_text.empty() || inc_text.empty() || pid.id > kIdMax) {
    return bad();
  }
  return pid;
}

std::vector<std::uint8_t> Pid::serialize() const {
  core::Bytes out;
  core::ByteWriter writer(out);
  writer.length_prefixed(core::as_bytes(node));
  // A varint holds at most kIdMax; parse() and the router never make a larger id, so only a
  // hand-made pid has one, and it must not reach the writer's assert.
  writer.varint(id <= kIdMax ? id : 0);
  writer.u64(incarnation);
  return out;
}

Result<Pid> Pid::deserialize(std::span<const std::uint8_t> bytes) {
  core::ByteReader reader(bytes);
  Pid pid;
  pid.node = reader.string(wire::kMaxNameSize);
  pid.id = reader.varint();
  pid.incarnation = reader.u64();
  if (!reader.finished() || (!pid.node.empty() && !wire::is_valid_name(pid.node))) {
    return fail(Errc::invalid_argument, "not a serialized pid");
  }
  return pid;
}

std::string_view exit_code_name(ExitCode code) {
  switch (code) {
    case ExitCode::normal: return "normal";
    case ExitCode::killed: return "killed";
    case ExitCode::noproc: return "noproc";
    case ExitCode::noconnection: return "noconnection";
    case ExitCode::shutdown: return "shutdown";
    case ExitCode::user: return "user";
  }
  return "unknown";
}

std::string ExitReason::to_string() const {
  if (code == ExitCode::user) return text;
  std::string out(exit_code_name(code));
  if (!text.empty()) out += " (" + text + ")";
  return out;
}

}  // namespace barrel_p2p
