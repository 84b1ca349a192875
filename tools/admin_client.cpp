#include "admin_client.hpp"

#include <httplib.h>

#include <charconv>
#include <memory>
#include <string_view>

namespace barrel_p2p::cli {

namespace {

constexpr int kTimeoutSeconds = 5;

/// A client for "host:port" or "[v6]:port". Errors: invalid_argument.
Result<std::unique_ptr<httplib::Client>> client_for(const AdminTarget& target) {
  const std::string_view text = target.address;
  const bool bracketed = !text.empty() && text.front() == '[';
  const auto colon = bracketed ? text.find("]:") : text.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(Errc::invalid_argument,
                "admin address: expected host:port, got '" + target.address + "'");
  }
  const std::string host(bracketed ? text.substr(1, colon - 1) : text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + (bracketed ? 2 : 1));
  int port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port <= 0 || port > 65535) {
    return fail(Errc::invalid_argument, "admin address: invalid port in '" + target.address + "'");
  }
  auto client = std::make_unique<httplib::Client>(host, port);
  client->set_connection_timeout(kTimeoutSeconds, 0);
  client->set_read_timeout(kTimeoutSeconds, 0);
  client->set_write_timeout(kTimeoutSeconds, 0);
  if (!target.token.empty()) client->set_bearer_token_auth(target.token);
  return client;
}

Result<AdminReply> reply_of(const httplib::Result& result, const AdminTarget& target) {
  if (!result) {
    return fail(Errc::io, "no answer from the admin endpoint at " + target.address + " (" +
                              httplib::to_string(result.error()) + ")");
  }
  return AdminReply{result->status, result->body};
}

}  // namespace

Result<AdminReply> admin_get(const AdminTarget& target, const std::string& path) {
  auto client = client_for(target);
  if (!client) return Unexpected(client.error());
  return reply_of((*client)->Get(path), target);
}

Result<AdminReply> admin_post(const AdminTarget& target, const std::string& path,
                              const std::string& body) {
  auto client = client_for(target);
  if (!client) return Unexpected(client.error());
  return reply_of((*client)->Post(path, body, "application/json"), target);
}

}  // namespace barrel_p2p::cli
