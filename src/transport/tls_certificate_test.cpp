#include "transport/tls_certificate.hpp"

#include <gnutls/x509.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <string>
#include <utility>

namespace barrel_p2p::transport {
namespace {

using namespace std::chrono_literals;

// A fixed wall-clock instant (2023-11-14T22:13:20Z) so validity checks are exact.
const std::chrono::system_clock::time_point kTestNow{std::chrono::seconds(1'700'000'000)};

TlsCertificate generate_ok(std::string_view common_name = "node-a") {
  auto certificate = TlsCertificate::generate(common_name, kTestNow);
  EXPECT_TRUE(certificate) << certificate.error().to_string();
  return std::move(certificate).value();
}

/// The certificate parsed back by GnuTLS, freed on destruction.
class ParsedCertificate {
 public:
  explicit ParsedCertificate(const core::Bytes& der) {
    EXPECT_EQ(gnutls_x509_crt_init(&certificate_), 0);
    const gnutls_datum_t datum{const_cast<unsigned char*>(der.data()),
                               static_cast<unsigned>(der.size())};
    EXPECT_EQ(gnutls_x509_crt_import(certificate_, &datum, GNUTLS_X509_FMT_DER), 0);
  }
  ParsedCertificate(const ParsedCertificate&) = delete;
  ParsedCertificate& operator=(const ParsedCertificate&) = delete;
  ~ParsedCertificate() { gnutls_x509_crt_deinit(certificate_); }
  [[nodiscard]] gnutls_x509_crt_t get() const { return certificate_; }

  [[nodiscard]] std::string common_name() const {
    char name[128] = {};
    std::size_t size = sizeof(name);
    EXPECT_EQ(
        gnutls_x509_crt_get_dn_by_oid(certificate_, GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &size),
        0);
    return {name, size};
  }

  [[nodiscard]] core::Bytes serial() const {
    core::Bytes serial(32);
    std::size_t size = serial.size();
    EXPECT_EQ(gnutls_x509_crt_get_serial(certificate_, serial.data(), &size), 0);
    serial.resize(size);
    return serial;
  }

 private:
  gnutls_x509_crt_t certificate_ = nullptr;
};

TEST(TlsCertificate, GenerateBuildsSelfSignedEd25519Certificate) {
  const TlsCertificate certificate = generate_ok("node-a");
  ASSERT_FALSE(certificate.cert_der().empty());
  EXPECT_EQ(certificate.cert_sha256(), sha256_of(certificate.cert_der()));
  EXPECT_NE(certificate.credentials(), nullptr);

  const ParsedCertificate parsed(certificate.cert_der());
  EXPECT_EQ(gnutls_x509_crt_get_version(parsed.get()), 3);
  EXPECT_EQ(parsed.common_name(), "node-a");
  EXPECT_EQ(gnutls_x509_crt_get_pk_algorithm(parsed.get(), nullptr), GNUTLS_PK_EDDSA_ED25519);
  EXPECT_EQ(gnutls_x509_crt_get_signature_algorithm(parsed.get()), GNUTLS_SIGN_EDDSA_ED25519);
  EXPECT_EQ(gnutls_x509_crt_get_activation_time(parsed.get()),
            std::chrono::system_clock::to_time_t(kTestNow - 1h));
  EXPECT_EQ(gnutls_x509_crt_get_expiration_time(parsed.get()),
            std::chrono::system_clock::to_time_t(kTestNow + std::chrono::years(10)));
  const core::Bytes serial = parsed.serial();
  ASSERT_EQ(serial.size(), 16U);
  EXPECT_EQ(serial[0] & 0xc0, 0x40);  // Positive, no leading zero byte.

  unsigned critical = 0;
  EXPECT_EQ(gnutls_x509_crt_get_basic_constraints(parsed.get(), &critical, nullptr, nullptr),
            0);  // 0: not a CA.
  unsigned usage = 0;
  EXPECT_GE(gnutls_x509_crt_get_key_usage(parsed.get(), &usage, &critical), 0);
  EXPECT_EQ(usage, static_cast<unsigned>(GNUTLS_KEY_DIGITAL_SIGNATURE));

  // The signature verifies under the certificate's own key.
  gnutls_x509_crt_t self = parsed.get();
  unsigned status = 1;
  EXPECT_EQ(
      gnutls_x509_crt_verify(parsed.get(), &self, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &status),
      0);
  EXPECT_EQ(status, 0U);
}

TEST(TlsCertificate, ClocklessGenerateHasNoWellDefinedExpiration) {
  auto certificate = TlsCertificate::generate("raw-peer");
  ASSERT_TRUE(certificate) << certificate.error().to_string();
  const ParsedCertificate parsed(certificate->cert_der());
  EXPECT_EQ(gnutls_x509_crt_get_activation_time(parsed.get()), 946'684'800);
  // 99991231235959Z: GnuTLS reports it as (time_t)-1 or as the year-9999 instant.
  const std::time_t expiration = gnutls_x509_crt_get_expiration_time(parsed.get());
  EXPECT_TRUE(expiration == -1 || expiration == 253'402'300'799) << expiration;
}

TEST(TlsCertificate, EachGenerateHasItsOwnKeyAndSerial) {
  const TlsCertificate first = generate_ok();
  const TlsCertificate second = generate_ok();
  EXPECT_NE(first.cert_sha256(), second.cert_sha256());
  EXPECT_NE(ParsedCertificate(first.cert_der()).serial(),
            ParsedCertificate(second.cert_der()).serial());
}

TEST(TlsCertificate, GenerateRejectsBadCommonNames) {
  for (const std::string& name : {std::string(), std::string(65, 'a')}) {
    auto certificate = TlsCertificate::generate(name, kTestNow);
    ASSERT_FALSE(certificate) << name.size();
    EXPECT_EQ(certificate.error().code, Errc::invalid_argument);
  }
  EXPECT_TRUE(TlsCertificate::generate(std::string(64, 'a'), kTestNow));
}

TEST(TlsCertificate, DerRoundTripKeepsTheChannelBinding) {
  const TlsCertificate original = generate_ok();
  auto key = original.key_der();
  ASSERT_TRUE(key) << key.error().to_string();
  auto loaded = TlsCertificate::from_der(original.cert_der(), *key);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->cert_der(), original.cert_der());
  EXPECT_EQ(loaded->cert_sha256(), original.cert_sha256());
  auto reexported = loaded->key_der();
  ASSERT_TRUE(reexported);
  EXPECT_EQ(*reexported, *key);
}

TEST(TlsCertificate, FromDerRefusesAKeyOfAnotherCertificate) {
  const TlsCertificate first = generate_ok();
  const TlsCertificate second = generate_ok();
  auto other_key = second.key_der();
  ASSERT_TRUE(other_key);
  auto loaded = TlsCertificate::from_der(first.cert_der(), *other_key);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::crypto);
  EXPECT_EQ(loaded.error().message, "certificate and key do not match");
}

TEST(TlsCertificate, FromDerRefusesCorruptInput) {
  const TlsCertificate original = generate_ok();
  auto key = original.key_der();
  ASSERT_TRUE(key);
  const core::Bytes junk = {0x30, 0x03, 0x01, 0x02, 0x03};
  EXPECT_EQ(TlsCertificate::from_der(junk, *key).error().code, Errc::crypto);
  EXPECT_EQ(TlsCertificate::from_der(original.cert_der(), junk).error().code, Errc::crypto);
  EXPECT_EQ(TlsCertificate::from_der({}, {}).error().code, Errc::crypto);

  core::Bytes truncated = original.cert_der();
  truncated.pop_back();
  EXPECT_EQ(TlsCertificate::from_der(truncated, *key).error().code, Errc::crypto);
  core::Bytes trailing = original.cert_der();
  trailing.push_back(0);
  EXPECT_EQ(TlsCertificate::from_der(trailing, *key).error().code, Errc::crypto);
  core::Bytes flipped = original.cert_der();
  flipped[flipped.size() / 2] ^= 0x01;
  auto tampered = TlsCertificate::from_der(flipped, *key);
  if (tampered) {
    // A flip in a field GnuTLS does not check still changes the channel binding.
    EXPECT_NE(tampered->cert_sha256(), original.cert_sha256());
  }

  const core::Bytes huge(kCertificateDerSizeMax + 1, 0x30);
  EXPECT_EQ(TlsCertificate::from_der(huge, *key).error().code, Errc::invalid_argument);
}

TEST(TlsCertificate, MovesKeepTheCredentials) {
  TlsCertificate original = generate_ok();
  const gnutls_certificate_credentials_t credentials = original.credentials();
  const auto digest = original.cert_sha256();
  TlsCertificate moved(std::move(original));
  EXPECT_EQ(moved.credentials(), credentials);
  EXPECT_EQ(moved.cert_sha256(), digest);
  TlsCertificate assigned = generate_ok();
  assigned = std::move(moved);
  EXPECT_EQ(assigned.credentials(), credentials);
  EXPECT_EQ(assigned.cert_sha256(), digest);
}

TEST(TlsCertificate, Sha256OfMatchesAKnownVector) {
  const std::string abc = "abc";  // FIPS 180-2 appendix B.1.
  EXPECT_EQ(core::to_hex(sha256_of(core::as_bytes(abc))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/// One direction of an in-memory TLS transport.
using Pipe = std::deque<unsigned char>;

struct Endpoint {
  Pipe* in = nullptr;
  Pipe* out = nullptr;
};

ssize_t push(gnutls_transport_ptr_t context, const void* data, std::size_t size) {
  auto* endpoint = static_cast<Endpoint*>(context);
  const auto* bytes = static_cast<const unsigned char*>(data);
  endpoint->out->insert(endpoint->out->end(), bytes, bytes + size);
  return static_cast<ssize_t>(size);
}

ssize_t pull(gnutls_transport_ptr_t context, void* data, std::size_t size) {
  auto* endpoint = static_cast<Endpoint*>(context);
  if (endpoint->in->empty()) {
    errno = EAGAIN;
    return -1;
  }
  const std::size_t count = std::min(size, endpoint->in->size());
  std::copy_n(endpoint->in->begin(), count, static_cast<unsigned char*>(data));
  endpoint->in->erase(endpoint->in->begin(), endpoint->in->begin() + static_cast<long>(count));
  return static_cast<ssize_t>(count);
}

gnutls_session_t make_session(unsigned flags, const TlsCertificate& certificate,
                              Endpoint& endpoint) {
  gnutls_session_t session = nullptr;
  EXPECT_EQ(gnutls_init(&session, flags | GNUTLS_NONBLOCK), 0);
  EXPECT_EQ(gnutls_priority_set_direct(session, "NORMAL:-VERS-ALL:+VERS-TLS1.3", nullptr), 0);
  EXPECT_EQ(gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, certificate.credentials()), 0);
  gnutls_transport_set_ptr(session, &endpoint);
  gnutls_transport_set_push_function(session, push);
  gnutls_transport_set_pull_function(session, pull);
  return session;
}

core::Bytes peer_certificate(gnutls_session_t session) {
  unsigned count = 0;
  const gnutls_datum_t* peers = gnutls_certificate_get_peers(session, &count);
  if (peers == nullptr || count == 0) return {};
  return {peers[0].data, peers[0].data + peers[0].size};
}

// The credentials work for a TLS 1.3 handshake with client certificates, as QUIC uses them.
TEST(TlsCertificate, CredentialsCompleteAMutualTls13Handshake) {
  const TlsCertificate server_certificate = generate_ok("server");
  const TlsCertificate client_certificate = generate_ok("client");
  Pipe to_server;
  Pipe to_client;
  Endpoint server_end{&to_server, &to_client};
  Endpoint client_end{&to_client, &to_server};
  gnutls_session_t server = make_session(GNUTLS_SERVER, server_certificate, server_end);
  gnutls_session_t client = make_session(GNUTLS_CLIENT, client_certificate, client_end);
  gnutls_certificate_server_set_request(server, GNUTLS_CERT_REQUIRE);
  int server_rc = GNUTLS_E_AGAIN;
  int client_rc = GNUTLS_E_AGAIN;
  for (int round = 0; round < 20 && (server_rc != 0 || client_rc != 0); ++round) {
    if (client_rc != 0) client_rc = gnutls_handshake(client);
    if (server_rc != 0) server_rc = gnutls_handshake(server);
    ASSERT_TRUE(client_rc == 0 || client_rc == GNUTLS_E_AGAIN) << gnutls_strerror(client_rc);
    ASSERT_TRUE(server_rc == 0 || server_rc == GNUTLS_E_AGAIN) << gnutls_strerror(server_rc);
  }
  EXPECT_EQ(client_rc, 0);
  EXPECT_EQ(server_rc, 0);
  EXPECT_EQ(gnutls_protocol_get_version(client), GNUTLS_TLS1_3);
  EXPECT_EQ(sha256_of(peer_certificate(client)), server_certificate.cert_sha256());
  EXPECT_EQ(sha256_of(peer_certificate(server)), client_certificate.cert_sha256());
  gnutls_deinit(client);
  gnutls_deinit(server);
}

}  // namespace
}  // namespace barrel_p2p::transport
