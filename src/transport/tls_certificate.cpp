#include "transport/tls_certificate.hpp"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include <algorithm>
#include <ctime>
#include <string>
#include <utility>

#include "core/assert.hpp"

namespace barrel_p2p::transport {
namespace {

/// Serial number length: 16 bytes (RFC 5280 allows up to 20).
constexpr std::size_t kSerialSize = 16;
constexpr std::chrono::hours kActivationBackdate{1};
/// Ten years, counting leap days as the calendar does on average.
constexpr std::chrono::seconds kValidityPeriod{std::chrono::years{10}};
/// 2000-01-01T00:00:00Z, the activation time when generate() is given no clock.
constexpr std::time_t kClocklessActivation = 946'684'800;
/// GnuTLS encodes an expiration of (time_t)-1 as 99991231235959Z, "no well-defined expiration".
constexpr std::time_t kNoExpiration = -1;

Unexpected gnutls_failure(std::string_view what, int code) {
  return fail(Errc::crypto, std::string(what) + ": " + gnutls_strerror(code));
}

gnutls_datum_t datum_of(core::ByteView data) {
  // GnuTLS takes a non-const pointer in datums it only reads.
  return {const_cast<unsigned char*>(data.data()), static_cast<unsigned>(data.size())};
}

/// Copies a GnuTLS-allocated datum into Bytes and frees it, wiping it first when `secret`.
core::Bytes take_datum(gnutls_datum_t& datum, bool secret) {
  core::Bytes out(datum.data, datum.data + datum.size);
  if (secret) gnutls_memset(datum.data, 0, datum.size);
  gnutls_free(datum.data);
  datum = {nullptr, 0};
  return out;
}

using KeyId = std::array<std::uint8_t, kSha256Size>;

Result<KeyId> key_id_of(gnutls_x509_privkey_t key) {
  KeyId id{};
  std::size_t size = id.size();
  const int rc = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, id.data(), &size);
  if (rc < 0) return gnutls_failure("cannot compute the key's id", rc);
  if (size != id.size()) return fail(Errc::crypto, "unexpected key id size");
  return id;
}

Result<KeyId> key_id_of(gnutls_x509_crt_t certificate) {
  KeyId id{};
  std::size_t size = id.size();
  const int rc = gnutls_x509_crt_get_key_id(certificate, GNUTLS_KEYID_USE_SHA256, id.data(), &size);
  if (rc < 0) return gnutls_failure("cannot compute the certificate's key id", rc);
  if (size != id.size()) return fail(Errc::crypto, "unexpected key id size");
  return id;
}

/// Sets every field of a fresh self-signed certificate for `key` and signs it.
Result<void> fill_certificate(gnutls_x509_crt_t certificate, gnutls_x509_privkey_t key,
                              std::string_view common_name, std::time_t activation,
                              std::time_t expiration) {
  auto id = key_id_of(key);
  if (!id) return Unexpected(std::move(id).error());
  // The key is fresh and random, so its id is a random, unique serial. Top bits 01: positive
  // (RFC 5280 §4.1.2.2) and never a leading zero byte, so the DER stays minimal.
  std::array<std::uint8_t, kSerialSize> serial{};
  std::copy_n(id->begin(), serial.size(), serial.begin());
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x3f) | 0x40);
  int rc = gnutls_x509_crt_set_version(certificate, 3);
  if (rc >= 0) rc = gnutls_x509_crt_set_serial(certificate, serial.data(), serial.size());
  if (rc >= 0) rc = gnutls_x509_crt_set_activation_time(certificate, activation);
  if (rc >= 0) rc = gnutls_x509_crt_set_expiration_time(certificate, expiration);
  if (rc >= 0) {
    rc = gnutls_x509_crt_set_dn_by_oid(certificate, GNUTLS_OID_X520_COMMON_NAME, 0,
                                       common_name.data(),
                                       static_cast<unsigned>(common_name.size()));
  }
  if (rc >= 0) rc = gnutls_x509_crt_set_key(certificate, key);
  if (rc >= 0) rc = gnutls_x509_crt_set_basic_constraints(certificate, 0, -1);
  if (rc >= 0) rc = gnutls_x509_crt_set_key_usage(certificate, GNUTLS_KEY_DIGITAL_SIGNATURE);
  if (rc < 0) return gnutls_failure("cannot fill in the certificate", rc);
  // Ed25519 signs the whole message (RFC 8410); GnuTLS wants SHA-512 named for it.
  rc = gnutls_x509_crt_sign2(certificate, certificate, key, GNUTLS_DIG_SHA512, 0);
  if (rc < 0) return gnutls_failure("cannot sign the certificate", rc);
  return {};
}
}  // namespace

std::array<std::uint8_t, kSha256Size> sha256_of(core::ByteView data) {
  std::array<std::uint8_t, kSha256Size> digest{};
  const int rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data(), data.size(), digest.data());
  // SHA-256 is always compiled into GnuTLS; failure here is not recoverable input.
  BARREL_ASSERT(rc == 0, "gnutls_hash_fast(SHA-256) failed");
  return digest;
}

Result<TlsCertificate> TlsCertificate::generate(std::string_view common_name,
                                                std::chrono::system_clock::time_point now) {
  const std::time_t activation = std::chrono::system_clock::to_time_t(now - kActivationBackdate);
  const std::time_t expiration = std::chrono::system_clock::to_time_t(now + kValidityPeriod);
  return generate_with_validity(common_name, activation, expiration);
}

Result<TlsCertificate> TlsCertificate::generate(std::string_view common_name) {
  return generate_with_validity(common_name, kClocklessActivation, kNoExpiration);
}

Result<TlsCertificate> TlsCertificate::from_der(core::ByteView cert_der, core::ByteView key_der) {
  if (cert_der.size() > kCertificateDerSizeMax || key_der.size() > kPrivateKeyDerSizeMax) {
    return fail(Errc::invalid_argument, "certificate or key DER is too large");
  }
  TlsCertificate out;
  int rc = gnutls_x509_crt_init(&out.certificate_);
  if (rc < 0) return gnutls_failure("cannot allocate a certificate", rc);
  const gnutls_datum_t cert_datum = datum_of(cert_der);
  rc = gnutls_x509_crt_import(out.certificate_, &cert_datum, GNUTLS_X509_FMT_DER);
  if (rc < 0) return gnutls_failure("cannot parse the certificate", rc);
  rc = gnutls_x509_privkey_init(&out.key_);
  if (rc < 0) return gnutls_failure("cannot allocate a private key", rc);
  const gnutls_datum_t key_datum = datum_of(key_der);
  rc = gnutls_x509_privkey_import_pkcs8(out.key_, &key_datum, GNUTLS_X509_FMT_DER, nullptr,
                                        GNUTLS_PKCS_PLAIN);
  if (rc < 0) return gnutls_failure("cannot parse the private key", rc);
  auto cert_id = key_id_of(out.certificate_);
  if (!cert_id) return Unexpected(std::move(cert_id).error());
  auto key_id = key_id_of(out.key_);
  if (!key_id) return Unexpected(std::move(key_id).error());
  if (*cert_id != *key_id) return fail(Errc::crypto, "certificate and key do not match");
  if (auto finished = out.finish(); !finished) return Unexpected(std::move(finished).error());
  // Peers hash the DER we send; it must be the bytes we were given, or cert_sha256() would not
  // identify the stored certificate.
  if (!std::equal(cert_der.begin(), cert_der.end(), out.cert_der_.begin(), out.cert_der_.end())) {
    return fail(Errc::crypto, "certificate DER has trailing or non-canonical bytes");
  }
  return out;
}

TlsCertificate::TlsCertificate(TlsCertificate&& other) noexcept
    : key_(std::exchange(other.key_, nullptr)),
      certificate_(std::exchange(other.certificate_, nullptr)),
      credentials_(std::exchange(other.credentials_, nullptr)),
      cert_der_(std::move(other.cert_der_)),
      cert_sha256_(other.cert_sha256_) {}

TlsCertificate& TlsCertificate::operator=(TlsCertificate&& other) noexcept {
  if (this != &other) {
    release();
    key_ = std::exchange(other.key_, nullptr);
    certificate_ = std::exchange(other.certificate_, nullptr);
    credentials_ = std::exchange(other.credentials_, nullptr);
    cert_der_ = std::move(other.cert_der_);
    cert_sha256_ = other.cert_sha256_;
  }
  return *this;
}

TlsCertificate::~TlsCertificate() { release(); }

void TlsCertificate::release() noexcept {
  if (credentials_ != nullptr) gnutls_certificate_free_credentials(credentials_);
  if (certificate_ != nullptr) gnutls_x509_crt_deinit(certificate_);
  if (key_ != nullptr) gnutls_x509_privkey_deinit(key_);  // Wipes the key material.
  credentials_ = nullptr;
  certificate_ = nullptr;
  key_ = nullptr;
}

Result<core::Bytes> TlsCertificate::key_der() const {
  BARREL_ASSERT(key_ != nullptr, "key_der() on a moved-from TlsCertificate");
  gnutls_datum_t datum{nullptr, 0};
  const int rc = gnutls_x509_privkey_export2_pkcs8(key_, GNUTLS_X509_FMT_DER, nullptr,
                                                   GNUTLS_PKCS_PLAIN, &datum);
  if (rc < 0) return gnutls_failure("cannot export the private key", rc);
  return take_datum(datum, /*secret=*/true);
}

Result<void> TlsCertificate::finish() {
  gnutls_datum_t datum{nullptr, 0};
  int rc = gnutls_x509_crt_export2(certificate_, GNUTLS_X509_FMT_DER, &datum);
  if (rc < 0) return gnutls_failure("cannot export the certificate", rc);
  cert_der_ = take_datum(datum, /*secret=*/false);
  cert_sha256_ = sha256_of(cert_der_);
  rc = gnutls_certificate_allocate_credentials(&credentials_);
  if (rc < 0) return gnutls_failure("cannot allocate TLS credentials", rc);
  // GnuTLS copies the certificate and key into the credentials.
  rc = gnutls_certificate_set_x509_key(credentials_, &certificate_, 1, key_);
  if (rc < 0) return gnutls_failure("cannot load the certificate into TLS credentials", rc);
  return {};
}

Result<TlsCertificate> TlsCertificate::generate_with_validity(std::string_view common_name,
                                                              std::time_t activation,
                                                              std::time_t expiration) {
  if (common_name.empty() || common_name.size() > kCommonNameSizeMax) {
    return fail(Errc::invalid_argument, "certificate common name must be 1-" +
                                            std::to_string(kCommonNameSizeMax) + " bytes");
  }
  TlsCertificate out;
  int rc = gnutls_x509_privkey_init(&out.key_);
  if (rc < 0) return gnutls_failure("cannot allocate a private key", rc);
  rc = gnutls_x509_privkey_generate(out.key_, GNUTLS_PK_EDDSA_ED25519,
                                    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519), 0);
  if (rc < 0) return gnutls_failure("cannot generate an Ed25519 key", rc);
  rc = gnutls_x509_crt_init(&out.certificate_);
  if (rc < 0) return gnutls_failure("cannot allocate a certificate", rc);
  if (auto filled =
          fill_certificate(out.certificate_, out.key_, common_name, activation, expiration);
      !filled) {
    return Unexpected(std::move(filled).error());
  }
  if (auto finished = out.finish(); !finished) return Unexpected(std::move(finished).error());
  return out;
}

}  // namespace barrel_p2p::transport
