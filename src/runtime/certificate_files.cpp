#include "runtime/certificate_files.hpp"

#include <sodium.h>

#include <chrono>
#include <string>
#include <utility>

#include "core/bytes.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p::runtime {
namespace {

namespace fs = std::filesystem;

fs::path certificate_path(const fs::path& data_dir) {
  return quic_directory(data_dir) / "node.crt";
}
fs::path key_path(const fs::path& data_dir) { return quic_directory(data_dir) / "node.key"; }

/// Wipes a buffer that held a private key when it goes out of scope.
class WipeOnExit {
 public:
  explicit WipeOnExit(core::Bytes& bytes) : bytes_(bytes) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { sodium_memzero(bytes_.data(), bytes_.size()); }

 private:
  core::Bytes& bytes_;  // Declared before this guard in the same scope, so it outlives it.
};

/// Writes the key (0600) and then the certificate (0644), each atomically.
Result<void> store(const fs::path& data_dir, const transport::TlsCertificate& certificate) {
  auto key = certificate.key_der();
  if (!key) return Unexpected(std::move(key).error());
  WipeOnExit wipe(*key);
  if (auto written = write_file_atomic(key_path(data_dir), *key, kSecretFileMode); !written) {
    return written;
  }
  return write_file_atomic(certificate_path(data_dir), certificate.cert_der(), kPublicFileMode);
}

Result<transport::TlsCertificate> generate_and_store(const fs::path& data_dir,
                                                     std::string_view common_name) {
  auto certificate =
      transport::TlsCertificate::generate(common_name, std::chrono::system_clock::now());
  if (!certificate) return certificate;
  if (auto stored = store(data_dir, *certificate); !stored) {
    return Unexpected(std::move(stored).error());
  }
  return certificate;
}

/// Prefixes an error with the files it concerns, keeping its class.
Unexpected about_pair(const fs::path& data_dir, const Error& error) {
  return fail(error.code, "TLS certificate " + certificate_path(data_dir).string() + " / key " +
                              key_path(data_dir).string() + ": " + error.message +
                              "; fix or remove both files, or rotate the certificate");
}

}  // namespace

fs::path quic_directory(const fs::path& data_dir) { return data_dir / "quic"; }

Result<transport::TlsCertificate> load_or_create_certificate(const fs::path& data_dir,
                                                             std::string_view common_name) {
  auto certificate = read_file(certificate_path(data_dir), transport::kCertificateDerSizeMax);
  auto key = read_file(key_path(data_dir), transport::kPrivateKeyDerSizeMax);
  core::Bytes no_key;
  WipeOnExit wipe(key ? *key : no_key);  // The key bytes are wiped on every path out.
  const bool certificate_missing = !certificate && certificate.error().code == Errc::not_found;
  const bool key_missing = !key && key.error().code == Errc::not_found;
  if (certificate_missing && key_missing) return generate_and_store(data_dir, common_name);
  if (certificate_missing != key_missing) {
    const fs::path missing = certificate_missing ? certificate_path(data_dir) : key_path(data_dir);
    return about_pair(data_dir,
                      Error{Errc::io, "incomplete pair, " + missing.string() + " is missing"});
  }
  if (!certificate) return Unexpected(std::move(certificate).error());
  if (!key) return Unexpected(std::move(key).error());
  auto loaded = transport::TlsCertificate::from_der(*certificate, *key);
  if (!loaded) return about_pair(data_dir, loaded.error());
  return loaded;
}

Result<transport::TlsCertificate> rotate_certificate(const fs::path& data_dir,
                                                     std::string_view common_name) {
  return generate_and_store(data_dir, common_name);
}

}  // namespace barrel_p2p::runtime
