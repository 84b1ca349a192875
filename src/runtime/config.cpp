// Config::validate: every field checked once at start, errors name the field.
#include "barrel_p2p/config.hpp"

#include "core/socket_address.hpp"
#include "node/engine.hpp"
#include "proto/auth/contact.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p {

std::string_view trust_mode_name(TrustMode mode) {
  return mode == TrustMode::strict ? "strict" : "tofu";
}

namespace {
Unexpected invalid(std::string_view field, const std::string& why) {
  return fail(Errc::invalid_argument, std::string(field) + ": " + why);
}
/// A node listening on a wildcard address cannot tell peers where to reach it: the wildcard
/// would make them dial themselves. So it needs an explicit advertise address, which must be
/// host:port with a host other than a wildcard (a DNS name is looked up by the dialer).
Result<void> validate_advertise_address(const core::SocketAddress& listen,
                                        const std::string& advertise) {
  static constexpr std::string_view kField = "membership.advertise_address";
  if (advertise.empty()) {
    if (!listen.is_unspecified()) return {};
    return invalid(kField, "must be set when listen_address is the wildcard " + listen.to_string() +
                               " (peers cannot dial a wildcard address: give the host:port they "
                               "should dial)");
  }
  const auto colon = advertise.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == advertise.size() ||
      advertise.size() > 255) {
    return invalid(kField, "'" + advertise + "' is not host:port");
  }
  if (auto numeric = core::SocketAddress::parse(advertise);
      numeric && (numeric->is_unspecified() || numeric->port() == 0)) {
    return invalid(kField, "'" + advertise + "' is a wildcard address or port 0");
  }
  return {};
}

/// Contact strings in membership.contacts and node_addresses: each parses, and no node is
/// named with two different keys (every link with that name must prove the one key).
Result<void> validate_configured_contacts(const MembershipConfig& membership,
                                          const std::map<std::string, std::string>& addresses) {
  std::map<std::string, auth::Sha256, std::less<>> keys;
  auto check = [&](std::string_view field, const std::string& text) -> Result<void> {
    auto contact = auth::parse_contact_or_address(text);
    if (!contact) {
      // A contact string's error quotes it (bounded, printable); a plain address is quoted here.
      const std::string& why = contact.error().message;
      return invalid(field, auth::is_contact_string(text) ? why : "'" + text + "': " + why);
    }
    if (!contact->peer) return {};
    auto [it, inserted] = keys.emplace(contact->peer->name, contact->peer->key_sha256);
    if (!inserted && it->second != contact->peer->key_sha256) {
      return invalid(field,
                     "contact strings name node '" + it->first + "' with two different keys");
    }
    return {};
  };
  for (const auto& text : membership.contacts) {
    if (auto checked = check("membership.contacts", text); !checked) return checked;
  }
  for (const auto& [name, text] : addresses) {
    if (!auth::is_contact_string(text)) continue;  // host:port, checked by the caller
    if (auto checked = check("node_addresses", text); !checked) return checked;
  }
  return {};
}
}  // namespace

Result<void> Config::validate() const {
  if (!wire::is_valid_name(node_name)) {
    return invalid("node_name", "'" + node_name + "' must be 1-64 characters of [A-Za-z0-9._-]");
  }
  if (!wire::is_valid_name(cluster_name)) {
    return invalid("cluster_name",
                   "'" + cluster_name + "' must be 1-64 characters of [A-Za-z0-9._-]");
  }
  if (data_dir.empty()) return invalid("data_dir", "must be set");
  auto listen = core::SocketAddress::parse(listen_address);
  if (!listen) return invalid("listen_address", listen.error().message);
  if (auto advertised = validate_advertise_address(*listen, membership.advertise_address);
      !advertised) {
    return advertised;
  }
  if (cluster_secret && cluster_secret->empty()) {
    return invalid("cluster_secret", "must not be empty when set");
  }
  if (handshake_budget.count() <= 0) return invalid("handshake_budget", "must be positive");
  if (timestamp_skew.count() <= 0) return invalid("timestamp_skew", "must be positive");
  if (idle_timeout.count() <= 0) return invalid("idle_timeout", "must be positive");
  if (keep_alive.count() <= 0 || keep_alive >= idle_timeout) {
    return invalid("keep_alive", "must be positive and below idle_timeout");
  }
  if (max_connections == 0) return invalid("max_connections", "must be at least 1");
  if (max_handshakes == 0) return invalid("max_handshakes", "must be at least 1");
  if (max_frame_size == 0 || max_frame_size > (std::size_t{1} << 30)) {
    return invalid("max_frame_size", "must be between 1 byte and 1 GiB");
  }
  if (send_buffer_limit < max_frame_size) {
    return invalid("send_buffer_limit", "must be at least max_frame_size");
  }
  if (event_queue_limit == 0) return invalid("event_queue_limit", "must be at least 1");
  if (streams.max_pending_preambles == 0) {
    return invalid("streams.max_pending_preambles", "must be at least 1");
  }
  if (streams.max_inbound_per_peer == 0 || streams.max_inbound_per_peer > (1U << 20U)) {
    return invalid("streams.max_inbound_per_peer", "must be between 1 and 1,048,576");
  }
  if (streams.window < 1024 || streams.window > (std::uint64_t{1} << 30U)) {
    return invalid("streams.window", "must be between 1 KiB and 1 GiB");
  }
  if (streams.send_buffer < 1024 || streams.send_buffer > (std::size_t{1} << 30U)) {
    return invalid("streams.send_buffer", "must be between 1 KiB and 1 GiB");
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), log_level) == std::end(kLevels)) {
    return invalid("log_level", "'" + log_level +
                                    "' is not one of trace, debug, info, warn, "
                                    "error, off");
  }
  if (log_format != "text" && log_format != "json") {
    return invalid("log_format", "'" + log_format + "' is not one of text, json");
  }
  if (mailbox_limit == 0) return invalid("mailbox_limit", "must be at least 1");
  if (node_queue_limit < max_frame_size) {
    return invalid("node_queue_limit", "must be at least max_frame_size");
  }
  if (worker_threads == 0 || worker_threads > 64) {
    return invalid("worker_threads", "must be between 1 and 64");
  }
  if (connect_timeout.count() <= 0) return invalid("connect_timeout", "must be positive");
  for (const auto& [name, address] : node_addresses) {
    if (!wire::is_valid_name(name)) {
      return invalid("node_addresses", "'" + name + "' is not a valid node name");
    }
    if (auth::is_contact_string(address)) {
      // name@host:port#SHA256:<hex>: the node there must prove this name and key (parsed
      // again with the other contact strings below).
      auto contact = auth::parse_contact(address);
      if (!contact) return invalid("node_addresses", contact.error().message);
      if (contact->peer->name != name) {
        return invalid("node_addresses",
                       "the contact string for " + name + " names '" + contact->peer->name + "'");
      }
      continue;
    }
    if (address.rfind(':') == std::string::npos || address.size() > 255) {
      return invalid("node_addresses", "'" + address + "' for " + name + " is not host:port");
    }
  }
  if (reaper_min_age.count() < 0) return invalid("reaper_min_age", "must not be negative");
  if (reaper_interval.count() < 0) return invalid("reaper_interval", "must not be negative");
  if (auto contacts = validate_configured_contacts(membership, node_addresses); !contacts) {
    return contacts;
  }
  if (membership.contact_retry.count() <= 0) {
    return invalid("membership.contact_retry", "must be positive");
  }
  if (membership.active_view_size == 0 || membership.active_view_size > 64) {
    return invalid("membership.active_view_size", "must be 1-64");
  }
  if (membership.passive_view_size > 1024) {
    return invalid("membership.passive_view_size", "must be at most 1024");
  }
  if (membership.active_random_walk == 0 || membership.active_random_walk > 32) {
    return invalid("membership.active_random_walk", "must be 1-32");
  }
  if (membership.passive_random_walk > membership.active_random_walk) {
    return invalid("membership.passive_random_walk", "must not exceed active_random_walk");
  }
  if (membership.shuffle_interval.count() <= 0) {
    return invalid("membership.shuffle_interval", "must be positive");
  }
  if (membership.shuffle_size < 2 || membership.shuffle_size > 64) {
    return invalid("membership.shuffle_size", "must be 2-64");
  }
  if (membership.ihave_timeout.count() <= 0) {
    return invalid("membership.ihave_timeout", "must be positive");
  }
  if (membership.max_broadcast_size == 0 || membership.max_broadcast_size > (64u << 20)) {
    return invalid("membership.max_broadcast_size", "must be between 1 byte and 64 MiB");
  }
  if (registry.anti_entropy_interval.count() < 0) {
    return invalid("registry.anti_entropy_interval", "must not be negative (0 turns it off)");
  }
  if (registry.lease.count() < 0) {
    return invalid("registry.lease", "must not be negative (0 turns leases off)");
  }
  if (registry.lease.count() > 0 && (registry.lease_renew_interval.count() <= 0 ||
                                     registry.lease_renew_interval >= registry.lease)) {
    return invalid("registry.lease_renew_interval", "must be positive and below registry.lease");
  }
  // The registry core checks the rest (sizes and bounds) with the same "registry.<key>" names.
  if (auto valid = node::registry_core_config(registry).validate(); !valid) {
    return fail(Errc::invalid_argument, "registry." + valid.error().message);
  }
  if (auto valid = node::registry_route_config(registry).validate(); !valid) {
    return fail(Errc::invalid_argument, "registry." + valid.error().message);
  }
  return {};
}

}  // namespace barrel_p2p
