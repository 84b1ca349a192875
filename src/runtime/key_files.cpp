#include "runtime/key_files.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>
#include <utility>

#include "core/bytes.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p::runtime {
namespace {

namespace fs = std::filesystem;

using KeyArray = std::array<std::uint8_t, kIdentityKeySize>;

/// libsodium must be initialised once per process before randombytes_buf; sodium_init() is
/// itself thread-safe and idempotent, and the function-local static runs it only once.
Result<void> ensure_sodium() {
  static const int initialised = sodium_init();
  if (initialised < 0) return fail(Errc::crypto, "libsodium failed to initialise");
  return {};
}

fs::path seed_path(const fs::path& data_dir) { return keys_directory(data_dir) / "node.key"; }
fs::path public_path(const fs::path& data_dir) { return keys_directory(data_dir) / "node.pub"; }

KeyArray derive_public_key(const KeyArray& seed) {
  KeyArray public_key{};
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret_key{};
  crypto_sign_seed_keypair(public_key.data(), secret_key.data(), seed.data());
  sodium_memzero(secret_key.data(), secret_key.size());
  return public_key;
}

IdentityBytes generate_identity() {
  IdentityBytes identity;
  randombytes_buf(identity.seed.data(), identity.seed.size());
  identity.public_key = derive_public_key(identity.seed);
  return identity;
}

/// Adds what the file should contain to a read error; the error class is kept.
Unexpected explain(Error error, std::string_view expected) {
  if (error.code == Errc::not_found) return Unexpected(std::move(error));
  return fail(error.code, error.message + " (expected " + std::string(expected) + ")");
}

/// Reads a raw 32-byte key file into `out`, wiping the intermediate buffer.
Result<void> read_key_file(const fs::path& path, std::string_view expected, KeyArray& out) {
  auto bytes = read_file_exact(path, kIdentityKeySize);
  if (!bytes) return explain(std::move(bytes).error(), expected);
  std::copy(bytes->begin(), bytes->end(), out.begin());
  sodium_memzero(bytes->data(), bytes->size());
  return {};
}

Result<void> write_key_file(const fs::path& path, const KeyArray& key, mode_t mode) {
  return write_file_atomic(path, core::ByteView(key.data(), key.size()), mode);
}

}  // namespace

IdentityBytes::~IdentityBytes() { sodium_memzero(seed.data(), seed.size()); }

fs::path keys_directory(const fs::path& data_dir) { return data_dir / "keys"; }

Result<IdentityBytes> load_identity(const fs::path& data_dir) {
  if (auto ready = ensure_sodium(); !ready) return Unexpected(std::move(ready).error());
  IdentityBytes identity;
  const fs::path seed_file = seed_path(data_dir);
  const fs::path public_file = public_path(data_dir);
  if (auto read = read_key_file(seed_file, "a raw 32-byte Ed25519 seed", identity.seed); !read) {
    return Unexpected(std::move(read).error());
  }
  const KeyArray derived = derive_public_key(identity.seed);
  auto read = read_key_file(public_file, "a raw 32-byte Ed25519 public key", identity.public_key);
  if (!read && read.error().code == Errc::not_found) {
    // A crash between writing node.key and node.pub (or a rotation) leaves no public half:
    // it follows from the seed, so restore it.
    if (auto written = write_key_file(public_file, derived, kPublicFileMode); !written) {
      return Unexpected(std::move(written).error());
    }
    identity.public_key = derived;
    return identity;
  }
  if (!read) return Unexpected(std::move(read).error());
  if (identity.public_key != derived) {
    return fail(Errc::crypto, "key pair mismatch: " + public_file.string() +
                                  " does not belong to " + seed_file.string() +
                                  "; refusing to load");
  }
  return identity;
}

namespace {

/// Errc::unsafe_file when node.pub exists without node.key: an identity was lost (or moved),
/// and a fresh one would change the node's key behind its peers' backs.
Result<void> refuse_orphan_public_key(const fs::path& data_dir) {
  const fs::path public_file = public_path(data_dir);
  std::error_code error;
  if (!fs::exists(public_file, error) || fs::exists(seed_path(data_dir), error)) return {};
  return fail(Errc::unsafe_file,
              public_file.string() + " exists without " + seed_path(data_dir).string() +
                  ": refusing to create a new identity (restore node.key, or replace the "
                  "identity explicitly with `barrel-p2p keys generate --force`)");
}

/// For rotate_identity() when only node.pub is left: keeps it as node.pub.old (byte for byte),
/// removes it, and creates a fresh pair.
Result<IdentityBytes> replace_orphan_public_key(const fs::path& data_dir) {
  const fs::path public_file = public_path(data_dir);
  auto bytes = read_file(public_file, 4096);
  if (!bytes) return Unexpected(std::move(bytes).error());
  fs::path old_public_file = public_file;
  old_public_file += ".old";
  if (auto kept = write_file_atomic(old_public_file, *bytes, kPublicFileMode); !kept) {
    return Unexpected(std::move(kept).error());
  }
  if (auto removed = remove_file(public_file); !removed) return Unexpected(removed.error());
  return create_identity(data_dir);
}

}  // namespace

Result<IdentityBytes> create_identity(const fs::path& data_dir) {
  if (auto ready = ensure_sodium(); !ready) return Unexpected(std::move(ready).error());
  if (auto orphan = refuse_orphan_public_key(data_dir); !orphan) {
    return Unexpected(orphan.error());
  }
  IdentityBytes identity = generate_identity();
  const fs::path seed_file = seed_path(data_dir);
  // write_file_new, not a check-then-write: an identity key is never replaced by accident,
  // even by a concurrent create.
  auto written = write_file_new(
      seed_file, core::ByteView(identity.seed.data(), identity.seed.size()), kSecretFileMode);
  if (!written) {
    if (written.error().code == Errc::already_exists) {
      return fail(Errc::already_exists,
                  seed_file.string() + " already exists; refusing to replace a node key");
    }
    return Unexpected(std::move(written).error());
  }
  if (auto published = write_key_file(public_path(data_dir), identity.public_key, kPublicFileMode);
      !published) {
    return Unexpected(std::move(published).error());
  }
  return identity;
}

Result<IdentityBytes> load_or_create_identity(const fs::path& data_dir) {
  auto loaded = load_identity(data_dir);
  if (loaded || loaded.error().code != Errc::not_found) return loaded;
  return create_identity(data_dir);
}

Result<IdentityBytes> generate_fresh_identity() {
  if (auto ready = ensure_sodium(); !ready) return Unexpected(std::move(ready).error());
  return generate_identity();
}

Result<void> replace_identity(const fs::path& data_dir, const IdentityBytes& current,
                              const IdentityBytes& fresh) {
  const fs::path seed_file = seed_path(data_dir);
  const fs::path public_file = public_path(data_dir);
  fs::path old_seed_file = seed_file;
  old_seed_file += ".old";
  fs::path old_public_file = public_file;
  old_public_file += ".old";
  if (auto kept = write_key_file(old_seed_file, current.seed, kSecretFileMode); !kept) {
    return kept;
  }
  if (auto kept = write_key_file(old_public_file, current.public_key, kPublicFileMode); !kept) {
    return kept;
  }
  // Without node.pub, both the old and the new node.key load (the public half is derived), so
  // a crash between the next two writes cannot leave a mismatched pair.
  if (auto removed = remove_file(public_file);
      !removed && removed.error().code != Errc::not_found) {
    return removed;
  }
  if (auto written = write_key_file(seed_file, fresh.seed, kSecretFileMode); !written) {
    return written;
  }
  return write_key_file(public_file, fresh.public_key, kPublicFileMode);
}

Result<IdentityBytes> rotate_identity(const fs::path& data_dir) {
  auto current = load_identity(data_dir);
  if (!current && current.error().code == Errc::not_found && !refuse_orphan_public_key(data_dir)) {
    return replace_orphan_public_key(data_dir);
  }
  if (!current) return current;
  IdentityBytes fresh = generate_identity();
  if (auto replaced = replace_identity(data_dir, *current, fresh); !replaced) {
    return Unexpected(std::move(replaced).error());
  }
  return fresh;
}

}  // namespace barrel_p2p::runtime
