// Fixed-size map keys for QUIC connection IDs and stateless-reset tokens (no heap per lookup).
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>

namespace barrel_p2p::transport {

/// A connection ID as a hashable value.
struct CidKey {
  std::array<std::uint8_t, NGTCP2_MAX_CIDLEN> bytes{};
  std::uint8_t length = 0;

  static CidKey from(const std::uint8_t* data, std::size_t size) {
    CidKey key;
    key.length = static_cast<std::uint8_t>(size > NGTCP2_MAX_CIDLEN ? NGTCP2_MAX_CIDLEN : size);
    std::memcpy(key.bytes.data(), data, key.length);
    return key;
  }
  static CidKey from(const ngtcp2_cid& cid) { return from(cid.data, cid.datalen); }
  bool operator==(const CidKey& other) const {
    return length == other.length && std::memcmp(bytes.data(), other.bytes.data(), length) == 0;
  }
};

struct CidKeyHash {
  std::size_t operator()(const CidKey& key) const {
    return std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(key.bytes.data()), key.length));
  }
};

/// A 16-byte stateless reset token as a hashable value.
struct TokenKey {
  std::array<std::uint8_t, NGTCP2_STATELESS_RESET_TOKENLEN> bytes{};
  bool operator==(const TokenKey&) const = default;
};

struct TokenKeyHash {
  std::size_t operator()(const TokenKey& key) const {
    return std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(key.bytes.data()), key.bytes.size()));
  }
};

}  // namespace barrel_p2p::transport
