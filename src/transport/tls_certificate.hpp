// The node's self-signed TLS certificate and key (SPEC §2.1 "Secure carrier"): generated on
// first start, reused afterwards, and loaded into GnuTLS credentials for every QUIC session.
// The SHA-256 of the certificate's DER is the channel-binding value signed during the Ed25519
// handshake. GnuTLS only: no file I/O here (src/runtime/certificate_files.hpp stores it) and no
// ngtcp2 types.
#pragma once

#include <gnutls/gnutls.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string_view>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::transport {

/// Size of a SHA-256 digest, in bytes.
inline constexpr std::size_t kSha256Size = 32;
/// Largest certificate DER from_der() accepts; ours are about 300 bytes.
inline constexpr std::size_t kCertificateDerSizeMax = 16'384;
/// Largest PKCS#8 private-key DER from_der() accepts; an Ed25519 key is 48 bytes.
inline constexpr std::size_t kPrivateKeyDerSizeMax = 16'384;
/// Longest common name generate() accepts (X.520 ub-common-name), in bytes.
inline constexpr std::size_t kCommonNameSizeMax = 64;

/// SHA-256 of `data` (GnuTLS). Used for the channel binding of a peer's certificate.
std::array<std::uint8_t, kSha256Size> sha256_of(core::ByteView data);

/// A certificate, its private key and the GnuTLS credentials built from them. Move-only; a
/// moved-from value may only be destroyed or assigned to. The credentials handle stays valid
/// (and keeps its address) for the lifetime of the owning TlsCertificate, including across
/// moves, so sessions using it must end before the TlsCertificate is destroyed. Const
/// accessors may be called from several threads; GnuTLS credentials are safe to share.
class TlsCertificate {
 public:
  /// Generates a fresh Ed25519 key and a self-signed X.509 v3 certificate for it: CN =
  /// `common_name`, valid from now - 1 h to now + 10 years, basic constraints CA:FALSE, key
  /// usage digitalSignature, a positive 16-byte serial derived from the key's SHA-256 id.
  /// The key comes from GnuTLS's random generator (key generation cannot take ours).
  /// Errors: Errc::invalid_argument when `common_name` is empty or longer than
  /// kCommonNameSizeMax; Errc::crypto when GnuTLS fails.
  static Result<TlsCertificate> generate(std::string_view common_name,
                                         std::chrono::system_clock::time_point now);

  /// generate() without a clock, for tests and tools: valid from 2000-01-01 with no
  /// well-defined expiration (RFC 5280 §4.1.2.5, 99991231235959Z). Peers never check the
  /// validity period (no chain validation; the Ed25519 handshake authenticates), so this is
  /// as usable as a dated certificate. Errors: those of generate(common_name, now).
  static Result<TlsCertificate> generate(std::string_view common_name);

  /// Loads a certificate (DER) and its unencrypted PKCS#8 private key (DER).
  /// Errors: Errc::invalid_argument when either input is larger than its *_size_max;
  /// Errc::crypto when either does not parse, the certificate DER has bytes its encoding does
  /// not account for, or "certificate and key do not match" (their public-key ids differ).
  static Result<TlsCertificate> from_der(core::ByteView cert_der, core::ByteView key_der);

  TlsCertificate(TlsCertificate&& other) noexcept;
  TlsCertificate& operator=(TlsCertificate&& other) noexcept;
  TlsCertificate(const TlsCertificate&) = delete;
  TlsCertificate& operator=(const TlsCertificate&) = delete;
  ~TlsCertificate();

  /// The certificate as DER, exactly the bytes sent to peers.
  [[nodiscard]] const core::Bytes& cert_der() const { return cert_der_; }

  /// The private key as unencrypted PKCS#8 DER. Secret: the caller should wipe it after use.
  /// Errors: Errc::crypto when GnuTLS cannot export it.
  [[nodiscard]] Result<core::Bytes> key_der() const;

  /// SHA-256 of cert_der(): the channel-binding value (SPEC §2.1).
  [[nodiscard]] const std::array<std::uint8_t, kSha256Size>& cert_sha256() const {
    return cert_sha256_;
  }

  /// GnuTLS credentials holding this certificate and key, for gnutls_credentials_set().
  /// Owned by this object; do not free.
  [[nodiscard]] gnutls_certificate_credentials_t credentials() const { return credentials_; }

 private:
  TlsCertificate() = default;
  /// generate() with explicit validity bounds (seconds since the epoch).
  static Result<TlsCertificate> generate_with_validity(std::string_view common_name,
                                                       std::time_t activation,
                                                       std::time_t expiration);
  /// Exports the DER, hashes it and builds the credentials once key_ and certificate_ are set.
  Result<void> finish();
  void release() noexcept;

  gnutls_x509_privkey_t key_ = nullptr;
  gnutls_x509_crt_t certificate_ = nullptr;
  gnutls_certificate_credentials_t credentials_ = nullptr;
  core::Bytes cert_der_;
  std::array<std::uint8_t, kSha256Size> cert_sha256_{};
};

}  // namespace barrel_p2p::transport
