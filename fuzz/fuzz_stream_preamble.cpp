// libFuzzer target: wire::StreamPreambleDecoder on hostile bytes, fed whole and in two pieces.
// Both feedings agree; an accepted tag is within its bound and re-encodes to the bytes consumed.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.hpp"
#include "wire/stream_preamble.hpp"

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  namespace wire = barrel_p2p::wire;
  using barrel_p2p::core::ByteView;
  wire::StreamPreambleDecoder whole;
  std::size_t consumed = 0;
  const auto status = whole.feed(ByteView(data, size), consumed);
  BARREL_ASSERT(consumed <= size && consumed <= wire::kMaxStreamPreambleSize, "overread");
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  wire::StreamPreambleDecoder pieces;
  std::size_t first = 0;
  std::size_t second = 0;
  pieces.feed(ByteView(data, split), first);
  const auto status_pieces = pieces.feed(ByteView(data + first, size - first), second);
  BARREL_ASSERT(status == status_pieces, "feeding in pieces changed the outcome");
  if (status != wire::StreamPreambleDecoder::Status::complete) return 0;
  BARREL_ASSERT(first + second == consumed && pieces.tag() == whole.tag(), "pieces disagree");
  BARREL_ASSERT(!whole.tag().empty() && whole.tag().size() <= wire::kMaxStreamTagSize, "bound");
  const barrel_p2p::core::Bytes again = wire::encode_stream_preamble(whole.tag());
  BARREL_ASSERT(again.size() == consumed && std::equal(again.begin(), again.end(), data),
                "decode/encode round trip changed the bytes");
  return 0;
}
