// Events a node reports: peers authenticated or gone, messages, authentication failures.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace barrel_p2p {

/// The two channels of a peer link. Control messages never wait behind data messages.
enum class Channel : std::uint8_t { control = 0, data = 1 };

/// A peer completed mutual authentication; messages can flow both ways.
struct PeerUp {
  std::string peer;            ///< The peer's node name.
  std::string fingerprint;     ///< "SHA256:<hex>" of the peer's Ed25519 public key.
  std::string address;         ///< The peer's UDP address.
  bool newly_trusted = false;  ///< TOFU pinned this key on this contact.
};

/// The link to a peer ended.
struct PeerDown {
  std::string peer;    ///< The peer's node name.
  std::string reason;  ///< e.g. "idle_timeout", "peer left: bye", "peer_closed".
};

/// A message from a peer, in the order the peer sent it on that channel.
struct Message {
  std::string peer;                   ///< The sending peer's node name.
  Channel channel = Channel::data;    ///< The channel it was sent on.
  std::vector<std::uint8_t> payload;  ///< The bytes Node::send() was given.
};

/// A connection failed authentication (either side rejected).
struct AuthFailure {
  std::string address;  ///< The remote UDP address.
  std::string peer;     ///< The name the peer claimed, if it got that far.
  std::string reason;   ///< e.g. "key_mismatch", "unknown_key", "bad_signature".
  std::string detail;
  bool local = true;  ///< True when we rejected the peer; false when the peer rejected us.
};

/// Everything Node::next_event() returns and Config::event_handler receives.
using Event = std::variant<PeerUp, PeerDown, Message, AuthFailure>;

}  // namespace barrel_p2p
