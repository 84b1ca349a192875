#include "wire/stream_preamble.hpp"

#include <algorithm>

#include "core/assert.hpp"

namespace barrel_p2p::wire {

core::Bytes encode_stream_preamble(std::string_view tag) {
  BARREL_ASSERT(!tag.empty() && tag.size() <= kMaxStreamTagSize, "tag size out of bounds");
  core::Bytes out;
  core::ByteWriter writer(out);
  writer.varint(tag.size());
  writer.bytes(core::ByteView(reinterpret_cast<const std::uint8_t*>(tag.data()), tag.size()));
  return out;
}

StreamPreambleDecoder::Status StreamPreambleDecoder::feed(core::ByteView data,
                                                          std::size_t& consumed) {
  consumed = 0;
  while (status_ == Status::incomplete && consumed < data.size()) {
    if (length_need_ == 0 || length_have_ < length_need_) {
      const std::uint8_t byte = data[consumed++];
      if (length_need_ == 0) {
        // QUIC varint: the top two bits give the length; tags need at most 2 bytes.
        const unsigned prefix = byte >> 6U;
        if (prefix > 1) {
          status_ = Status::malformed;
          break;
        }
        length_need_ = prefix == 0 ? 1 : 2;
      }
      length_bytes_[length_have_++] = byte;
      if (length_have_ < length_need_) continue;
      tag_length_ = length_need_ == 1 ? length_bytes_[0]
                                      : ((length_bytes_[0] & 0x3FU) << 8U) | length_bytes_[1];
      const bool minimal = length_need_ == 1 || tag_length_ > 63;
      if (tag_length_ == 0 || tag_length_ > kMaxStreamTagSize || !minimal) {
        status_ = Status::malformed;
        break;
      }
      tag_.reserve(tag_length_);
      continue;
    }
    const std::size_t take = std::min(tag_length_ - tag_.size(), data.size() - consumed);
    tag_.append(reinterpret_cast<const char*>(data.data() + consumed), take);
    consumed += take;
    if (tag_.size() == tag_length_) status_ = Status::complete;
  }
  return status_;
}

Result<std::string> decode_stream_preamble(core::ByteView data, std::size_t& size) {
  StreamPreambleDecoder decoder;
  size = 0;
  switch (decoder.feed(data, size)) {
    case StreamPreambleDecoder::Status::complete: return decoder.tag();
    case StreamPreambleDecoder::Status::malformed:
      return fail(Errc::protocol, "malformed stream preamble");
    case StreamPreambleDecoder::Status::incomplete: break;
  }
  return fail(Errc::protocol, "stream preamble cut short");
}

}  // namespace barrel_p2p::wire
