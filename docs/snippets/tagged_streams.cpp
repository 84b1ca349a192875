// docs/how-to/tagged-streams.md.
#include <chrono>
#include <vector>

#include <barrel_p2p/node.hpp>

namespace snippets {

struct StreamQueue {
  void push(const barrel_p2p::Stream& stream);
};
void consume(const barrel_p2p::Bytes& chunk);

void accept(barrel_p2p::Node* node, StreamQueue& queue) {
  // snippet-begin: acceptor
  // On bob: hand every stream opened under "files" to a thread of the application.
  (void)node->register_acceptor("files", [&](barrel_p2p::Stream stream) {
    // Runs on the node's loop thread: do not block here.
    queue.push(stream);
  });
  // snippet-end: acceptor
}

barrel_p2p::Error send_file(barrel_p2p::Node* node, barrel_p2p::BytesView bytes) {
  // snippet-begin: open
  // On alice, once bob is a peer (connect(), or membership):
  auto stream = node->open_stream("bob", "files");
  if (!stream) return stream.error();
  auto written = stream->write(bytes, std::chrono::seconds(30));  // blocking form
  (void)stream->finish();                                         // end of stream
  // snippet-end: open
  return {};
}

void read_all(barrel_p2p::Stream stream) {
  // snippet-begin: read
  for (;;) {
    auto chunk = stream.read(64 * 1024, std::chrono::seconds(30));
    if (!chunk) break;          // closed (reset, connection lost) or timeout
    if (chunk->empty()) break;  // the writer called finish(): end of stream
    consume(*chunk);
  }
  // snippet-end: read
}

// snippet-begin: echo
barrel_p2p::Task echo(barrel_p2p::Stream stream) {
  for (;;) {
    auto chunk = co_await stream.read();
    if (!chunk || chunk->empty()) break;
    if (!co_await stream.write(*chunk)) break;
  }
  (void)stream.finish();
}
// snippet-end: echo

}  // namespace snippets
