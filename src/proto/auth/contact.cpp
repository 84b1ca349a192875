#include "proto/auth/contact.hpp"

#include "wire/auth_message.hpp"

namespace barrel_p2p::auth {

namespace {

/// Bytes of hostile input quoted in an error message at most.
constexpr std::size_t kQuotedMax = 64;
/// Hex digits of a SHA-256 fingerprint.
constexpr std::size_t kFingerprintHexSize = 2 * std::tuple_size_v<Sha256>;

// `text` with anything but printable ASCII shown as '?', so hostile input cannot put control
// characters into logs.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += c >= 0x20 && c < 0x7f ? c : '?';
  return out;
}

// `text` quoted for an error message: at most kQuotedMax bytes of it, printable.
std::string quoted(std::string_view text) {
  return "'" + printable(text.substr(0, kQuotedMax)) + (text.size() > kQuotedMax ? "...'" : "'");
}

Unexpected bad(std::string_view text, const std::string& why) {
  return fail(Errc::invalid_argument, "contact " + quoted(text) + ": " + why);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 32 bytes of 64 hex digits; nothing when `hex` is anything else.
std::optional<Sha256> digest_from_hex(std::string_view hex) {
  if (hex.size() != kFingerprintHexSize) return std::nullopt;
  Sha256 digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return digest;
}

}  // namespace

bool is_contact_string(std::string_view text) {
  return text.find_first_of("@#") != std::string_view::npos;
}

Result<Contact> parse_contact(std::string_view text) {
  if (text.size() > kContactSizeMax) {
    return bad(text, "longer than " + std::to_string(kContactSizeMax) +
                         " bytes (name@host:port#SHA256:<64 hex digits>)");
  }
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos) {
    return bad(text, "no '@' after the node name");
  }
  const std::string_view name = text.substr(0, at);
  if (!wire::is_valid_name(name)) {
    return bad(text, "node name " + quoted(name) +
                         " is not 1-64 characters of [A-Za-z0-9._-] (nor . or ..)");
  }
  const std::size_t hash = text.find('#', at + 1);
  if (hash == std::string_view::npos) {
    return bad(text, "no '#SHA256:<fingerprint>' after the address");
  }
  const std::string_view address_text = text.substr(at + 1, hash - at - 1);
  auto address = core::SocketAddress::parse(address_text);
  if (!address) {
    // The address parser quotes its input whole: its message is made printable too.
    return bad(text, "address " + quoted(address_text) + ": " + printable(address.error().message));
  }
  std::string_view print = text.substr(hash + 1);
  if (print.substr(0, kFingerprintPrefix.size()) != kFingerprintPrefix) {
    return bad(text, "the fingerprint must start with 'SHA256:'");
  }
  print.remove_prefix(kFingerprintPrefix.size());
  auto digest = digest_from_hex(print);
  if (!digest) {
    return bad(text, "the fingerprint must be 64 hex digits after 'SHA256:' (got " +
                         std::to_string(print.size()) + " characters)");
  }
  return Contact{*address, ExpectedPeer{std::string(name), *digest}};
}

Result<Contact> parse_contact_or_address(std::string_view text) {
  if (is_contact_string(text)) return parse_contact(text);
  if (text.size() > kContactSizeMax) {
    return fail(Errc::invalid_argument, "address " + quoted(text) + ": longer than " +
                                            std::to_string(kContactSizeMax) + " bytes");
  }
  auto address = core::SocketAddress::parse(text);
  if (!address) return fail(Errc::invalid_argument, printable(address.error().message));
  return Contact{*address, std::nullopt};
}

std::string format_contact(std::string_view name, std::string_view address, const PublicKey& key) {
  return std::string(name) + "@" + std::string(address) + "#" + fingerprint(key);
}

bool key_matches(const ExpectedPeer& expected, const PublicKey& key) {
  return sha256(key.view()) == expected.key_sha256;
}

}  // namespace barrel_p2p::auth
