#include "wire/link_frame.hpp"

#include <string>

#include "core/assert.hpp"

namespace barrel_p2p::wire {

namespace {

constexpr std::uint64_t kVarintLimit = std::uint64_t{1} << 62U;
// Consumed bytes are reclaimed once they reach this size and outnumber the unread bytes, so
// each compaction moves no more bytes than were consumed since the previous one.
constexpr std::size_t kCompactMinimum = 4096;

enum class ParseStatus : std::uint8_t { incomplete, complete, invalid };

struct HeaderParse {
  ParseStatus status = ParseStatus::incomplete;
  FrameType type = FrameType::control;
  std::size_t payload_length = 0;
  std::size_t header_size = 0;
  std::string error;
};

std::size_t varint_length(std::uint8_t first_byte) { return std::size_t{1} << (first_byte >> 6U); }

// Reads the varint at `input[offset]`; nullopt when its bytes have not all arrived.
std::optional<std::uint64_t> peek_varint(core::ByteView input, std::size_t offset,
                                         std::size_t& length) {
  if (offset >= input.size()) return std::nullopt;
  length = varint_length(input[offset]);
  if (input.size() - offset < length) return std::nullopt;
  core::ByteReader reader(input.subspan(offset, length));
  return reader.varint();
}

HeaderParse invalid(std::string reason) {
  HeaderParse parse;
  parse.status = ParseStatus::invalid;
  parse.error = std::move(reason);
  return parse;
}

// Parses the frame header at the start of `input`, validating each field as soon as its bytes
// are present.
HeaderParse parse_header(core::ByteView input, std::size_t max_payload) {
  std::size_t type_length = 0;
  const auto type = peek_varint(input, 0, type_length);
  if (!type) return {};
  if (type_length != core::varint_size(*type)) {
    return invalid("link frame: non-minimal varint in frame type");
  }
  if (*type < 1 || *type > 10)
    return invalid("link frame: unknown frame type " + std::to_string(*type));
  std::size_t length_length = 0;
  const auto length = peek_varint(input, type_length, length_length);
  if (!length) return {};
  if (length_length != core::varint_size(*length)) {
    return invalid("link frame: non-minimal varint in payload length");
  }
  if (*length > max_payload) {
    return invalid("link frame: payload length " + std::to_string(*length) + " exceeds the limit " +
                   std::to_string(max_payload));
  }
  HeaderParse parse;
  parse.status = ParseStatus::complete;
  parse.type = static_cast<FrameType>(*type);
  parse.payload_length = static_cast<std::size_t>(*length);
  parse.header_size = type_length + length_length;
  return parse;
}

}  // namespace

std::string_view frame_type_name(FrameType type) {
  switch (type) {
    case FrameType::auth: return "auth";
    case FrameType::control: return "control";
    case FrameType::data: return "data";
    case FrameType::goodbye: return "goodbye";
    case FrameType::process: return "process";
    case FrameType::membership: return "membership";
    case FrameType::broadcast: return "broadcast";
    case FrameType::registry: return "registry";
    case FrameType::views: return "views";
    case FrameType::path: return "path";
  }
  return "unknown";
}

void encode_frame_header(core::Bytes& out, FrameType type, std::size_t payload_length) {
  BARREL_ASSERT(payload_length < kVarintLimit, "frame payload too long for a varint");
  core::ByteWriter writer(out);
  writer.varint(static_cast<std::uint64_t>(type));
  writer.varint(payload_length);
}

void encode_frame(core::Bytes& out, FrameType type, core::ByteView payload) {
  encode_frame_header(out, type, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

Result<Frame> decode_frame(core::ByteView whole, std::size_t max_payload) {
  HeaderParse header = parse_header(whole, max_payload);
  if (header.status == ParseStatus::invalid) return fail(Errc::protocol, std::move(header.error));
  if (header.status == ParseStatus::incomplete ||
      whole.size() - header.header_size < header.payload_length) {
    return fail(Errc::protocol, "link frame: truncated frame");
  }
  if (whole.size() - header.header_size > header.payload_length) {
    return fail(Errc::protocol, "link frame: trailing bytes after the frame");
  }
  core::ByteView payload = whole.subspan(header.header_size);
  return Frame{header.type, core::Bytes(payload.begin(), payload.end())};
}

FrameDecoder::FrameDecoder(std::size_t max_payload) : max_payload_(max_payload) {
  BARREL_ASSERT(max_payload < kVarintLimit, "max_payload must fit a varint");
}

const Error& FrameDecoder::error() const {
  BARREL_ASSERT(error_.has_value());
  return *error_;
}

Result<void> FrameDecoder::push(core::ByteView chunk) {
  if (error_) return Unexpected(*error_);
  compact();
  buffer_.insert(buffer_.end(), chunk.begin(), chunk.end());
  return scan_headers();
}

Result<void> FrameDecoder::scan_headers() {
  while (scan_ < buffer_.size()) {
    const core::ByteView rest = core::ByteView(buffer_).subspan(scan_);
    HeaderParse header = parse_header(rest, max_payload_);
    if (header.status == ParseStatus::incomplete) break;
    if (header.status == ParseStatus::invalid) {
      error_ = Error{Errc::protocol, std::move(header.error)};
      return Unexpected(*error_);
    }
    scan_ += header.header_size + header.payload_length;
  }
  return {};
}

std::optional<Frame> FrameDecoder::next() {
  if (error_ || read_ >= scan_) return std::nullopt;
  // Every header before scan_ was validated by push(), so this parse is complete.
  const HeaderParse header = parse_header(core::ByteView(buffer_).subspan(read_), max_payload_);
  BARREL_ASSERT(header.status == ParseStatus::complete);
  const std::size_t end = read_ + header.header_size + header.payload_length;
  if (end > buffer_.size()) return std::nullopt;
  const auto first = buffer_.begin() + static_cast<std::ptrdiff_t>(read_ + header.header_size);
  Frame frame{header.type, core::Bytes(first, buffer_.begin() + static_cast<std::ptrdiff_t>(end))};
  read_ = end;
  if (read_ == buffer_.size()) {
    // Everything consumed: O(1) reset, keeps the capacity for the next bytes.
    buffer_.clear();
    scan_ -= read_;
    read_ = 0;
  }
  return frame;
}

void FrameDecoder::compact() {
  if (read_ < kCompactMinimum || read_ < buffer_.size() - read_) return;
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
  scan_ -= read_;
  read_ = 0;
}

}  // namespace barrel_p2p::wire
