#include "proto/auth/trust_store.hpp"

#include "wire/auth_message.hpp"

namespace barrel_p2p::auth {

TrustStore::TrustStore(TrustMode mode, std::size_t max_pins) : mode_(mode), max_pins_(max_pins) {}

Result<void> TrustStore::pin(std::string_view name, const PublicKey& key) {
  if (!wire::is_valid_name(name)) {
    return fail(Errc::invalid_argument,
                "invalid node name for a pin (1-64 characters of A-Z a-z 0-9 . _ -)");
  }
  auto it = pins_.find(name);
  if (it != pins_.end()) {
    if (it->second == key) return {};
    return fail(Errc::already_exists, "node '" + std::string(name) + "' is pinned to " +
                                          fingerprint(it->second) + "; unpin it first");
  }
  if (pins_.size() >= max_pins_) {
    return fail(Errc::limit_reached,
                "trust store holds its maximum of " + std::to_string(max_pins_) + " pins");
  }
  pins_.emplace(std::string(name), key);
  return {};
}

Result<void> TrustStore::replace(std::string_view name, const PublicKey& from,
                                 const PublicKey& to) {
  auto it = pins_.find(name);
  if (it == pins_.end()) {
    return fail(Errc::not_found, "node '" + std::string(name) + "' is not pinned");
  }
  if (it->second == to) return {};
  if (it->second != from) {
    return fail(Errc::already_exists, "node '" + std::string(name) + "' is pinned to " +
                                          fingerprint(it->second) + ", not to " +
                                          fingerprint(from));
  }
  it->second = to;
  return {};
}

Result<void> TrustStore::unpin(std::string_view name) {
  auto it = pins_.find(name);
  if (it == pins_.end())
    return fail(Errc::not_found, "node '" + std::string(name) + "' is not pinned");
  pins_.erase(it);
  return {};
}

std::optional<PublicKey> TrustStore::lookup(std::string_view name) const {
  auto it = pins_.find(name);
  if (it == pins_.end()) return std::nullopt;
  return it->second;
}

Result<void> TrustStore::require(std::string_view name, const Sha256& key_sha256) {
  if (!wire::is_valid_name(name)) {
    return fail(Errc::invalid_argument,
                "invalid node name for a contact (1-64 characters of A-Z a-z 0-9 . _ -)");
  }
  auto it = required_.find(name);
  if (it != required_.end()) {
    if (it->second == key_sha256) return {};
    return fail(Errc::already_exists,
                "two contact strings name node '" + std::string(name) + "' with different keys");
  }
  if (required_.size() >= max_pins_) {
    return fail(Errc::limit_reached,
                "more than " + std::to_string(max_pins_) + " nodes named by contact strings");
  }
  required_.emplace(std::string(name), key_sha256);
  return {};
}

std::optional<Sha256> TrustStore::required(std::string_view name) const {
  auto it = required_.find(name);
  if (it == required_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, PublicKey>> TrustStore::list() const {
  return {pins_.begin(), pins_.end()};
}

}  // namespace barrel_p2p::auth
