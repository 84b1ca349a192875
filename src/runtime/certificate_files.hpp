// The node's TLS certificate on disk (SPEC §2.1 "On-disk layout"): <data>/quic/node.crt (DER,
// mode 0644) and <data>/quic/node.key (unencrypted PKCS#8 DER, mode 0600). Generated on first
// start and reused afterwards, so cert_sha256() is stable across restarts.
#pragma once

#include <filesystem>
#include <string_view>

#include "barrel_p2p/result.hpp"
#include "transport/tls_certificate.hpp"

namespace barrel_p2p::runtime {

/// <data_dir>/quic: the directory holding node.crt and node.key.
std::filesystem::path quic_directory(const std::filesystem::path& data_dir);

/// Loads <data_dir>/quic/node.crt and node.key, or generates and stores a new pair (CN =
/// `common_name`, dated by the system clock) when neither file exists. A pair that is corrupt,
/// mismatched or incomplete is an error, never silently replaced: rotate_certificate() is
/// the explicit way out. The common name of a loaded certificate is not checked.
/// Errors: Errc::crypto when a file does not parse or the two do not match; Errc::io when a
/// file is missing while the other exists, or cannot be read or written; Errc::limit_reached
/// when a file is implausibly large; Errc::invalid_argument for a bad `common_name`.
Result<transport::TlsCertificate> load_or_create_certificate(const std::filesystem::path& data_dir,
                                                             std::string_view common_name);

/// Generates a new certificate and key and replaces the stored pair (key first, each file
/// atomically), whatever state the old pair is in. A crash between the two writes leaves a
/// mismatched pair that load_or_create_certificate() reports; rotating again repairs it.
/// Errors: Errc::invalid_argument for a bad `common_name`; Errc::crypto when generation fails;
/// Errc::io when a file cannot be written.
Result<transport::TlsCertificate> rotate_certificate(const std::filesystem::path& data_dir,
                                                     std::string_view common_name);

}  // namespace barrel_p2p::runtime
