// docs/how-to/two-node-messaging.md (examples/two_nodes.cpp is the whole program).
#include <memory>
#include <string>

#include <barrel_p2p/codec.hpp>
#include <barrel_p2p/node.hpp>

using namespace barrel_p2p;
using namespace std::chrono_literals;

namespace snippets {

void greeter(Node* node, std::shared_ptr<int> count) {
  // snippet-begin: service
  SpawnOptions options;
  options.name = "greeter";
  auto greeter = node->spawn(
      [count](Process& self, Envelope&& message) {
        if (message.kind != EnvelopeKind::call) return;
        auto name = decode_as<std::string>(message).value_or("stranger");
        (void)self.reply(message,
                         encode("hello " + name + ", you are visitor " + std::to_string(++*count)));
      },
      options);
  // snippet-end: service
}

void function(Node* node, Pid pid) {
  // snippet-begin: function
  (void)node->register_function("greeter_pid",
                                [pid](BytesView) -> Result<Bytes> { return pid.serialize(); });
  // snippet-end: function
}

void visitor(Node* node, const std::string& greeter_address) {
  // snippet-begin: visitor
  (void)node->add_address("greeter", greeter_address);  // or Config::node_addresses,
                                                        // or a shared endpoint_dir
  auto pid = Pid::deserialize(node->rpc("greeter", "greeter_pid", {}, 5s).get().value());
  auto me = node->mailbox().value();     // this thread's own process
  auto ref = me->monitor(*pid).value();  // exactly one DOWN, ever
  auto reply = me->call(*pid, encode(std::string("ada")), 5s).get();
  // snippet-end: visitor
}

}  // namespace snippets
