// Typed messages over byte messages: specialise Codec<T> once, then send and decode values.
//
//   struct Point { int x, y; };
//   template <> struct barrel_p2p::Codec<Point> {
//     static barrel_p2p::Bytes encode(const Point& p) { ... }
//     static barrel_p2p::Result<Point> decode(barrel_p2p::BytesView bytes) { ... }
//   };
//   self.send(pid, encode(Point{1, 2}));
//   auto point = decode_as<Point>(envelope);  // Result<Point>
//
// decode() receives peer bytes: it must check sizes and fail with invalid_argument rather
// than trust them. See docs/concepts/processes.md.
#pragma once

#include <string>

#include "barrel_p2p/envelope.hpp"
#include "barrel_p2p/process.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

/// The customisation point. No primary definition: a missing specialisation fails to compile.
template <typename T>
struct Codec;

/// UTF-8 text (any bytes, really) as itself.
template <>
struct Codec<std::string> {
  /// The text's bytes; never fails.
  static Bytes encode(const std::string& text) { return Bytes(text.begin(), text.end()); }
  /// The bytes as a string; never fails.
  static Result<std::string> decode(BytesView bytes) {
    return std::string(bytes.begin(), bytes.end());
  }
};

/// Raw bytes, unchanged.
template <>
struct Codec<Bytes> {
  /// A copy of `bytes`.
  static Bytes encode(const Bytes& bytes) { return bytes; }
  /// A copy of `bytes`; never fails.
  static Result<Bytes> decode(BytesView bytes) { return Bytes(bytes.begin(), bytes.end()); }
};

/// Codec<T>::encode(value).
template <typename T>
Bytes encode(const T& value) {
  return Codec<T>::encode(value);
}

/// Codec<T>::decode(bytes).
template <typename T>
Result<T> decode(BytesView bytes) {
  return Codec<T>::decode(bytes);
}

/// Decodes a message or call envelope's payload as T.
template <typename T>
Result<T> decode_as(const Envelope& envelope) {
  return Codec<T>::decode(envelope.payload);
}

}  // namespace barrel_p2p
