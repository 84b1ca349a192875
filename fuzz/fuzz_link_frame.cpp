// libFuzzer target: link frames. Input = 1 byte chunking seed | 1 byte payload limit | stream.
// Checks: the one-shot decoder re-encodes what it accepts byte for byte; the incremental
// decoder fed in pseudo-random chunk sizes reaches the same verdict as one push of the whole
// stream (and, when it succeeds, the same frames), and its frames re-encode to a prefix of the
// stream; an incomplete tail stays within its bound.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/assert.hpp"
#include "wire/link_frame.hpp"

namespace {

using barrel_p2p::core::Bytes;
using barrel_p2p::core::ByteView;
using barrel_p2p::wire::Frame;
using barrel_p2p::wire::FrameDecoder;

struct Decoded {
  std::vector<Frame> frames;
  bool failed = false;
  std::size_t buffered = 0;
};

// Feeds `stream` in chunks whose sizes come from a small LCG seeded by `seed` (0 = one push).
Decoded decode_stream(ByteView stream, std::size_t max_payload, std::uint8_t seed) {
  FrameDecoder decoder(max_payload);
  Decoded out;
  std::uint32_t state = seed;
  std::size_t offset = 0;
  while (offset < stream.size() && !out.failed) {
    state = state * 1103515245U + 12345U;
    const std::size_t size =
        seed == 0 ? stream.size()
                  : std::min<std::size_t>(1 + (state >> 16U) % 64U, stream.size() - offset);
    out.failed = !decoder.push(stream.subspan(offset, size));
    offset += size;
    while (auto frame = decoder.next()) out.frames.push_back(std::move(*frame));
  }
  out.buffered = decoder.buffered();
  return out;
}

void check_one_shot(ByteView stream, std::size_t max_payload) {
  auto frame = barrel_p2p::wire::decode_frame(stream, max_payload);
  if (!frame) return;
  Bytes encoded;
  barrel_p2p::wire::encode_frame(encoded, frame->type, frame->payload);
  BARREL_ASSERT(std::equal(encoded.begin(), encoded.end(), stream.begin(), stream.end()),
                "one-shot decode/encode round trip changed the bytes");
}

}  // namespace

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t seed = data[0];
  const std::size_t max_payload = data[1];
  const ByteView stream(data + 2, size - 2);
  check_one_shot(stream, max_payload);

  const Decoded chunked = decode_stream(stream, max_payload, seed);
  const Decoded whole = decode_stream(stream, max_payload, 0);
  BARREL_ASSERT(chunked.failed == whole.failed, "chunking changed the verdict");
  // A failed decoder yields nothing after the failing push, so only clean runs must match.
  BARREL_ASSERT(chunked.failed || chunked.frames == whole.frames,
                "chunking changed the decoded frames");
  Bytes encoded;
  for (const Frame& frame : chunked.frames) {
    barrel_p2p::wire::encode_frame(encoded, frame.type, frame.payload);
  }
  BARREL_ASSERT(
      encoded.size() <= stream.size() && std::equal(encoded.begin(), encoded.end(), stream.begin()),
      "decoded frames do not re-encode to a prefix of the stream");
  if (!chunked.failed) {
    BARREL_ASSERT(encoded.size() + chunked.buffered == stream.size());
    BARREL_ASSERT(chunked.buffered <= barrel_p2p::wire::kMaxFrameHeaderSize + max_payload,
                  "incomplete tail exceeds its bound");
  }
  return 0;
}
