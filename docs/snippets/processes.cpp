// docs/concepts/processes.md: pids, spawning, mailboxes, coroutines and the codec.
#include <cstdint>
#include <string>

#include <barrel_p2p/codec.hpp>
#include <barrel_p2p/node.hpp>

using namespace barrel_p2p;
using namespace std::chrono_literals;

namespace illustration {  // the shape of barrel_p2p::Pid, as the page shows it
// snippet-begin: pid
struct Pid {
  std::string node;
  std::uint64_t id;
  std::uint64_t incarnation;
};
// snippet-end: pid
}  // namespace illustration

struct Point {
  std::int32_t x = 0;
  std::int32_t y = 0;
};

// snippet-begin: codec-declare
template <>
struct barrel_p2p::Codec<Point> {
  static Bytes encode(const Point& p);
  static Result<Point> decode(BytesView bytes);  // peer bytes: check sizes, never trust
};
// snippet-end: codec-declare

namespace snippets {

void spawn_echo(const Config& config) {
  // snippet-begin: spawn
  auto node = barrel_p2p::Node::start(config).value();
  auto echo = node->spawn([](Process& self, Envelope&& m) {
                    if (m.kind == EnvelopeKind::call) (void)self.reply(m, m.payload);
                  })
                  .value();
  // snippet-end: spawn
}

void mailbox(Node* node, const Pid& echo, BytesView bytes) {
  // snippet-begin: mailbox
  auto me = node->mailbox().value();             // a process owned by this thread
  (void)me->send(echo, bytes);                   // errors: limit_reached (full local mailbox)
  auto reply = me->call(echo, bytes, 1s).get();  // blocks this thread only
  auto down = me->receive_if([](const Envelope& e) { return e.kind == EnvelopeKind::down; }, 5s);
  // snippet-end: mailbox
}

// snippet-begin: task
Task ask_twice(Node& node, Pid echo) {
  auto a = co_await node.call(echo, encode(std::string("a")), 1s);
  auto b = co_await node.call(echo, encode(std::string("b")), 1s);
}
// snippet-end: task

void codec_use(Process& self, const Pid& pid, const Envelope& envelope) {
  // snippet-begin: codec-use
  (void)self.send(pid, encode(Point{1, 2}));
  auto point = decode_as<Point>(envelope);
  // snippet-end: codec-use
}

}  // namespace snippets
