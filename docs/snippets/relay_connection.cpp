// docs/how-to/relay-a-connection.md.
#include <memory>
#include <span>
#include <string>

#include <barrel_p2p/node.hpp>

using namespace std::chrono_literals;

namespace snippets {

// snippet-begin: transport
class MyTransport final : public barrel_p2p::DatagramTransport {
 public:
  barrel_p2p::Result<void> start(Receiver receiver) override;  // keep the receiver
  barrel_p2p::Result<void> send(std::span<const std::uint8_t> datagram) override;
  void stop() override;  // the connection closed
};
// snippet-end: transport

barrel_p2p::Result<void> MyTransport::start(Receiver /*receiver*/) { return {}; }
barrel_p2p::Result<void> MyTransport::send(std::span<const std::uint8_t> /*datagram*/) {
  return {};
}
void MyTransport::stop() {}

void relay(barrel_p2p::Node& node, const std::string& bob_contact) {
  // snippet-begin: use
  barrel_p2p::ConnectOptions options;
  options.transport = std::make_shared<MyTransport>();
  node.set_connect_options("bob", options).value();     // a name, or bob's contact string
  auto peer = node.connect_and_wait(bob_contact, 10s);  // this connection uses the transport
  // snippet-end: use
}

}  // namespace snippets
