// libFuzzer target: self-certifying contact strings (auth::parse_contact_or_address) on hostile
// input. Nothing may abort; an error message holds only printable ASCII; every accepted contact
// string formats back to one that parses to the same contact.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/assert.hpp"
#include "proto/auth/contact.hpp"

namespace {

using barrel_p2p::auth::Contact;

void check_round_trip(const Contact& contact) {
  if (!contact.peer) return;
  // format_contact() takes a public key, which a contact does not hold: rebuild the string
  // from its parts instead.
  std::string text = contact.peer->name + "@" + contact.address.to_string() + "#SHA256:";
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::uint8_t byte : contact.peer->key_sha256) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0x0f];
  }
  auto again = barrel_p2p::auth::parse_contact(text);
  BARREL_ASSERT(again && again->peer == contact.peer && again->address == contact.address,
                "a formatted contact does not parse back to itself");
}

}  // namespace

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = barrel_p2p::auth::parse_contact_or_address(text);
  if (parsed) {
    check_round_trip(*parsed);
    return 0;
  }
  for (char c : parsed.error().message) {
    BARREL_ASSERT(c >= 0x20 && c < 0x7f, "an error message holds a control character");
  }
  return 0;
}
