#include "proto/registry/registry_delta.hpp"

#include <algorithm>

#include "wire/auth_message.hpp"
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::registry {

namespace {
constexpr std::uint8_t kDeltaType = 1;

std::optional<ShapeError> shape_error(Refusal reason, std::string detail) {
  return ShapeError{reason, std::move(detail)};
}

std::optional<ShapeError> check_entry(const DeltaEntry& entry, const Limits& limits) {
  if (entry.stamp.is_zero()) return shape_error(Refusal::malformed, "zero entry stamp");
  if (entry.name.empty() || entry.name.size() > limits.max_name_size) {
    return shape_error(Refusal::name_size, "name empty or longer than max_name_size");
  }
  if (entry.pid.empty() || entry.pid.size() > limits.max_pid_size) {
    return shape_error(Refusal::pid_size, "pid empty or longer than max_pid_size");
  }
  if (entry.metadata.size() > limits.max_metadata_size) {
    return shape_error(Refusal::metadata_size, "metadata longer than max_metadata_size");
  }
  return std::nullopt;
}

std::optional<ShapeError> check_slice(const NodeSlice& slice, const Limits& limits) {
  if (!wire::is_valid_name(slice.node)) return shape_error(Refusal::malformed, "invalid node");
  if (slice.floor.is_zero() && slice.removed.empty() && slice.entries.empty()) {
    return shape_error(Refusal::malformed, "empty node slice");
  }
  for (std::size_t i = 0; i < slice.removed.size(); ++i) {
    if (slice.removed[i] <= slice.floor) {
      return shape_error(Refusal::malformed, "removed dot at or below the floor");
    }
    if (i > 0 && slice.removed[i] <= slice.removed[i - 1]) {
      return shape_error(Refusal::malformed, "removed dots out of order");
    }
  }
  for (std::size_t i = 0; i < slice.entries.size(); ++i) {
    const DeltaEntry& entry = slice.entries[i];
    if (i > 0 && entry.stamp <= slice.entries[i - 1].stamp) {
      return shape_error(Refusal::malformed, "entries out of order");
    }
    if (std::binary_search(slice.removed.begin(), slice.removed.end(), entry.stamp)) {
      return shape_error(Refusal::malformed, "dot both live and removed");
    }
    if (auto error = check_entry(entry, limits)) return error;
  }
  return std::nullopt;
}

void write_blob(core::ByteWriter& w, const core::Bytes& bytes) { w.length_prefixed(bytes); }

std::size_t blob_size(std::size_t size) { return core::varint_size(size) + size; }

core::Bytes read_blob(core::ByteReader& r) {
  const std::uint64_t length = wire::read_canonical_varint(r);
  if (!r.ok()) return {};
  if (length > r.remaining()) {
    r.fail("truncated");
    return {};
  }
  core::ByteView view = r.bytes(static_cast<std::size_t>(length));
  return {view.begin(), view.end()};
}

std::string read_text(core::ByteReader& r) {
  core::Bytes bytes = read_blob(r);
  return {bytes.begin(), bytes.end()};
}

NodeSlice read_slice(core::ByteReader& r) {
  NodeSlice slice;
  slice.node = read_text(r);
  slice.floor = hlc::read_timestamp(r);
  // Counts are not trusted for allocation: each item consumes input, so a reader that runs out
  // fails and ends the loop.
  const std::uint64_t removed = wire::read_canonical_varint(r);
  for (std::uint64_t i = 0; i < removed && r.ok(); ++i) {
    slice.removed.push_back(hlc::read_timestamp(r));
  }
  const std::uint64_t entries = wire::read_canonical_varint(r);
  for (std::uint64_t i = 0; i < entries && r.ok(); ++i) {
    DeltaEntry entry;
    entry.stamp = hlc::read_timestamp(r);
    entry.name = read_text(r);
    entry.pid = read_blob(r);
    entry.metadata = read_blob(r);
    slice.entries.push_back(std::move(entry));
  }
  return slice;
}
}  // namespace

std::string_view refusal_name(Refusal reason) noexcept {
  switch (reason) {
    case Refusal::malformed: return "malformed";
    case Refusal::too_large: return "too_large";
    case Refusal::name_size: return "name_size";
    case Refusal::pid_size: return "pid_size";
    case Refusal::metadata_size: return "metadata_size";
    case Refusal::names: return "names";
    case Refusal::entries_per_name: return "entries_per_name";
    case Refusal::entries: return "entries";
    case Refusal::tombstones: return "tombstones";
    case Refusal::nodes: return "nodes";
    case Refusal::foreign_dot: return "foreign_dot";
  }
  return "unknown";
}

std::optional<ShapeError> check_shape(const Delta& delta, const Limits& limits) {
  for (std::size_t i = 0; i < delta.nodes.size(); ++i) {
    if (i > 0 && delta.nodes[i].node <= delta.nodes[i - 1].node) {
      return shape_error(Refusal::malformed, "node slices out of order");
    }
    if (auto error = check_slice(delta.nodes[i], limits)) return error;
  }
  return std::nullopt;
}

std::size_t encoded_size(const Delta& delta) {
  std::size_t size = 1 + core::varint_size(delta.nodes.size());
  for (const NodeSlice& slice : delta.nodes) {
    size += blob_size(slice.node.size()) + hlc::kEncodedSize;
    size += core::varint_size(slice.removed.size()) + slice.removed.size() * hlc::kEncodedSize;
    size += core::varint_size(slice.entries.size());
    for (const DeltaEntry& entry : slice.entries) {
      size += hlc::kEncodedSize + blob_size(entry.name.size()) + blob_size(entry.pid.size()) +
              blob_size(entry.metadata.size());
    }
  }
  return size;
}

core::Bytes encode(const Delta& delta) {
  core::Bytes out;
  out.reserve(encoded_size(delta));
  core::ByteWriter w(out);
  w.u8(kDeltaType);
  w.varint(delta.nodes.size());
  for (const NodeSlice& slice : delta.nodes) {
    w.string(slice.node);
    hlc::write_timestamp(w, slice.floor);
    w.varint(slice.removed.size());
    for (const hlc::Timestamp& stamp : slice.removed) hlc::write_timestamp(w, stamp);
    w.varint(slice.entries.size());
    for (const DeltaEntry& entry : slice.entries) {
      hlc::write_timestamp(w, entry.stamp);
      w.string(entry.name);
      write_blob(w, entry.pid);
      write_blob(w, entry.metadata);
    }
  }
  return out;
}

Result<Delta> decode(core::ByteView bytes, const Limits& limits, Refusal* why) {
  auto refuse = [why](Refusal reason, std::string_view detail) {
    if (why != nullptr) *why = reason;
    return fail(Errc::protocol, "registry delta: " + std::string(detail));
  };
  if (bytes.size() > limits.max_size) return refuse(Refusal::too_large, "larger than its limit");
  core::ByteReader r(bytes);
  Delta delta;
  if (r.u8() != kDeltaType && r.ok()) r.fail("unknown message type");
  const std::uint64_t count = wire::read_canonical_varint(r);
  for (std::uint64_t i = 0; i < count && r.ok(); ++i) delta.nodes.push_back(read_slice(r));
  if (!r.finished()) return refuse(Refusal::malformed, r.ok() ? "trailing bytes" : r.error());
  if (auto error = check_shape(delta, limits)) return refuse(error->reason, error->detail);
  return delta;
}

}  // namespace barrel_p2p::registry
