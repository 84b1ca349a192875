// Signing and checking rotation records (decision 0023; the codec is wire/rotation_record.hpp).
//   old_signature = Sign_old(lp("barrel_p2p/rotate/v1/old") ‖ body)
//   new_signature = Sign_new(lp("barrel_p2p/rotate/v1/new") ‖ body ‖ old_signature)
// body = wire::rotation_record_body(). The labels differ from each other and from the auth
// transcript's, so no signature made for one purpose verifies for another. The old key's
// signature names its successor; the new key's countersignature shows the record's author
// holds the new key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "barrel_p2p/result.hpp"
#include "proto/auth/identity.hpp"
#include "wire/rotation_record.hpp"

namespace barrel_p2p::auth {

/// Domain-separation label of the old key's signature.
inline constexpr std::string_view kRotationOldLabel = "barrel_p2p/rotate/v1/old";
/// Domain-separation label of the new key's countersignature.
inline constexpr std::string_view kRotationNewLabel = "barrel_p2p/rotate/v1/new";

/// A record saying that node `node_name` of `cluster_name` replaced `old_keys` by `new_keys`,
/// signed by both. Precondition (our bug otherwise): both names are valid
/// (wire::is_valid_name).
[[nodiscard]] wire::RotationRecord make_rotation_record(
    const KeyPair& old_keys, const KeyPair& new_keys, std::string_view cluster_name,
    std::string_view node_name, std::uint64_t sequence, std::uint64_t created_unix_ms);

/// Checks `record` as a proof that node `node_name` of `cluster_name` now holds `new_key`:
/// the names match, record.new_key is `new_key`, the old key's signature and the new key's
/// countersignature both verify. It does not look at the trust store: whether the record's
/// old key is the one pinned is the caller's question (decision 0023).
/// Errors: Errc::crypto naming the first check that fails ("cluster name differs", "node
/// name differs", "new key differs", "old key's signature does not verify", "new key's
/// signature does not verify").
[[nodiscard]] Result<void> check_rotation_record(const wire::RotationRecord& record,
                                                 std::string_view cluster_name,
                                                 std::string_view node_name,
                                                 const PublicKey& new_key);

}  // namespace barrel_p2p::auth
