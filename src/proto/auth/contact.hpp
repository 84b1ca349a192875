// Self-certifying contacts (SPEC §3): "name@host:port#SHA256:<hex>" says where to dial a node,
// which name it must present and the SHA-256 of the Ed25519 public key it must prove, so a
// first contact is verified without trusting on first use. Contact strings are pasted by
// operators and passed around, so they are parsed as hostile input: a bounded length, every
// part checked, and errors that name the bad part.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "barrel_p2p/result.hpp"
#include "core/socket_address.hpp"
#include "proto/auth/identity.hpp"

namespace barrel_p2p::auth {

/// Longest contact string accepted, in bytes (a 64-byte name, a bracketed IPv6 address with a
/// port and the fingerprint fit with room to spare).
inline constexpr std::size_t kContactSizeMax = 256;
/// The fingerprint's prefix in a contact string, as fingerprint() prints it.
inline constexpr std::string_view kFingerprintPrefix = "SHA256:";

/// The identity a dialed peer must prove: its node name and the SHA-256 of its public key.
struct ExpectedPeer {
  std::string name;  ///< wire::is_valid_name()
  Sha256 key_sha256{};
  bool operator==(const ExpectedPeer&) const = default;
};

/// Where to dial a node and, for a contact string, who must answer.
struct Contact {
  core::SocketAddress address;
  std::optional<ExpectedPeer> peer;  ///< Set for "name@host:port#SHA256:<hex>".
};

/// True when `text` is meant as a contact string rather than a plain address: it holds an '@'
/// or a '#', which no address does.
[[nodiscard]] bool is_contact_string(std::string_view text);

/// Parses "name@host:port#SHA256:<64 hex digits>" (hex in either case). The address part is
/// what core::SocketAddress::parse() accepts. Errors: invalid_argument with a message that
/// quotes at most the first 64 bytes of `text` and names the bad part: too long (more than
/// kContactSizeMax bytes), a missing '@' or "#SHA256:", the node name (wire::is_valid_name()),
/// the address, or the fingerprint (not 64 hex digits).
[[nodiscard]] Result<Contact> parse_contact(std::string_view text);

/// A plain "host:port" (Contact::peer unset) or, when is_contact_string(text), a contact
/// string as parse_contact() reads it. Errors: invalid_argument: those of parse_contact(), or
/// for a plain address more than kContactSizeMax bytes or core::SocketAddress::parse()'s
/// error (made printable).
[[nodiscard]] Result<Contact> parse_contact_or_address(std::string_view text);

/// "name@address#SHA256:<hex>" for a node named `name`, reachable at `address` ("host:port"),
/// whose public key is `key`. The caller passes a valid name and address.
[[nodiscard]] std::string format_contact(std::string_view name, std::string_view address,
                                         const PublicKey& key);

/// True when `key` is the key `expected` describes (its SHA-256 matches).
[[nodiscard]] bool key_matches(const ExpectedPeer& expected, const PublicKey& key);

}  // namespace barrel_p2p::auth
