#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::io: return "io";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::limit_reached: return "limit_reached";
    case Errc::auth_failed: return "auth_failed";
    case Errc::protocol: return "protocol";
    case Errc::timeout: return "timeout";
    case Errc::closed: return "closed";
    case Errc::crypto: return "crypto";
    case Errc::internal: return "internal";
    case Errc::noproc: return "noproc";
    case Errc::unreachable: return "unreachable";
    case Errc::remote: return "remote";
    case Errc::unsafe_file: return "unsafe_file";
    case Errc::busy: return "busy";
    case Errc::overloaded: return "overloaded";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out(errc_name(code));
  out += ": ";
  out += message;
  return out;
}

}  // namespace barrel_p2p
