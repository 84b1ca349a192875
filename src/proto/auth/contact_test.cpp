#include "proto/auth/contact.hpp"

#include <gtest/gtest.h>

#include "core/rng.hpp"

namespace barrel_p2p::auth {
namespace {

// A key and its contact string for bob at 127.0.0.1:4000.
struct Bob {
  Bob() : keys(KeyPair::generate(rng)) {}
  core::SeededRng rng{13};
  KeyPair keys;
  [[nodiscard]] std::string contact() const {
    return format_contact("bob", "127.0.0.1:4000", keys.public_key());
  }
};

// The error of parse_contact(text), or "" when it parsed.
std::string error_of(std::string_view text) {
  auto parsed = parse_contact(text);
  if (parsed) return "";
  EXPECT_EQ(parsed.error().code, Errc::invalid_argument) << text;
  return parsed.error().message;
}

TEST(Contact, FormatThenParseGivesTheNameAddressAndKeyDigest) {
  const Bob bob;
  const std::string text = bob.contact();
  EXPECT_EQ(text, "bob@127.0.0.1:4000#" + fingerprint(bob.keys.public_key()));
  auto parsed = parse_contact(text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->address.to_string(), "127.0.0.1:4000");
  ASSERT_TRUE(parsed->peer);
  EXPECT_EQ(parsed->peer->name, "bob");
  EXPECT_EQ(parsed->peer->key_sha256, sha256(bob.keys.public_key().view()));
  EXPECT_TRUE(key_matches(*parsed->peer, bob.keys.public_key()));
  core::SeededRng other_rng(14);
  EXPECT_FALSE(key_matches(*parsed->peer, KeyPair::generate(other_rng).public_key()));
}

TEST(Contact, AcceptsIpv6LocalhostAndUpperCaseHex) {
  const Bob bob;
  std::string hex = fingerprint(bob.keys.public_key()).substr(kFingerprintPrefix.size());
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string address : {"[::1]:4000", "localhost:4000"}) {
    std::string text = "bob@";
    text += address;
    text += "#SHA256:";
    text += hex;
    auto parsed = parse_contact(text);
    ASSERT_TRUE(parsed) << address << ": " << parsed.error().message;
    EXPECT_TRUE(key_matches(*parsed->peer, bob.keys.public_key()));
  }
}

TEST(Contact, PlainAddressesAndContactsAreToldApart) {
  const Bob bob;
  auto plain = parse_contact_or_address("127.0.0.1:4000");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->peer);
  auto contact = parse_contact_or_address(bob.contact());
  ASSERT_TRUE(contact);
  EXPECT_TRUE(contact->peer);
  // Anything with '@' or '#' is read as a contact, so a half-written one is an error, never
  // a plain address.
  auto half = parse_contact_or_address("bob@127.0.0.1:4000");
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().message.find("'#SHA256:"), std::string::npos) << half.error().message;
  EXPECT_FALSE(parse_contact_or_address("127.0.0.1:4000#SHA256:00"));
  EXPECT_FALSE(parse_contact_or_address("not an address"));
}

TEST(Contact, EachMalformedPartIsNamedInTheError) {
  const std::string print = fingerprint(Bob().keys.public_key());
  const std::string hex = print.substr(kFingerprintPrefix.size());
  const struct {
    std::string text;
    std::string names;  // part of the expected message
  } cases[] = {
      {"", "no '@'"},
      {"127.0.0.1:4000", "no '@'"},
      {"@127.0.0.1:4000#" + print, "node name ''"},
      {"b/ob@127.0.0.1:4000#" + print, "node name 'b/ob'"},
      {"..@127.0.0.1:4000#" + print, "node name '..'"},
      {std::string(65, 'a') + "@127.0.0.1:4000#" + print, "node name"},
      {"bob@127.0.0.1:4000", "no '#SHA256:"},
      {"bob@#" + print, "address ''"},
      {"bob@127.0.0.1#" + print, "address '127.0.0.1'"},
      {"bob@127.0.0.1:70000#" + print, "address '127.0.0.1:70000'"},
      {"bob@host.example:4000#" + print, "address 'host.example:4000'"},
      {"bob@a@127.0.0.1:4000#" + print, "address 'a@127.0.0.1:4000'"},
      {"bob@127.0.0.1:4000#", "must start with 'SHA256:'"},
      {"bob@127.0.0.1:4000#sha256:" + hex, "must start with 'SHA256:'"},
      {"bob@127.0.0.1:4000#MD5:" + hex, "must start with 'SHA256:'"},
      {"bob@127.0.0.1:4000#SHA256:", "64 hex digits"},
      {"bob@127.0.0.1:4000#SHA256:" + hex.substr(1), "got 63"},
      {"bob@127.0.0.1:4000#SHA256:" + hex + "0", "got 65"},
      {"bob@127.0.0.1:4000#SHA256:" + hex.substr(1) + "g", "64 hex digits"},
      {"bob@127.0.0.1:4000#SHA256:" + hex.substr(0, 62) + " 0", "64 hex digits"},
      {"bob@127.0.0.1:4000#" + print + "#" + print, "got 136"},
      {std::string(kContactSizeMax + 1, 'x'), "longer than"},
  };
  for (const auto& bad : cases) {
    const std::string error = error_of(bad.text);
    EXPECT_NE(error.find(bad.names), std::string::npos)
        << "'" << bad.text << "' gave '" << error << "'";
  }
}

TEST(Contact, HostileBytesNeverReachTheMessage) {
  // Control characters become '?', and a long input is cut, so an error can be logged as is.
  const std::string hostile = "\x1b[31mevil\n@127.0.0.1:4000#SHA256:" + std::string(200, 'z');
  const std::string error = error_of(hostile);
  ASSERT_FALSE(error.empty());
  for (char c : error) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
  EXPECT_LT(error.size(), 300U);
  EXPECT_NE(error.find("?[31mevil?"), std::string::npos) << error;
}

}  // namespace
}  // namespace barrel_p2p::auth
