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

/// One event from its block of lines (without the blank line that ended it).
StreamEvent parse_event(std::string_view block) {
  StreamEvent event{{}, "message", {}};
  bool has_data = false;
  while (!block.empty()) {
    const auto end = block.find('\n');
    std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view{} : block.substr(end + 1);
    if (line.empty() || line.front() == ':') continue;  // a comment (keep-alive)
    const auto colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "id") event.id = value;
    if (field == "event") event.type = value;
    if (field == "data") {
      if (has_data) event.data += '\n';
      event.data += value;
      has_data = true;
    }
  }
  return event;
}

}  // namespace

bool take_stream_events(std::string& buffer,
                        const std::function<bool(const StreamEvent&)>& on_event) {
  for (auto end = buffer.find("\n\n"); end != std::string::npos; end = buffer.find("\n\n")) {
    const std::string block = buffer.substr(0, end);
    buffer.erase(0, end + 2);
    const bool comment_only =
        block.find_first_not_of('\n') == std::string::npos || parse_event(block).data.empty();
    if (!comment_only && !on_event(parse_event(block))) return false;
  }
  return true;
}

Result<void> admin_stream(const AdminTarget& target, const std::string& path,
                          std::chrono::seconds idle_limit,
                          const std::function<bool(const StreamEvent&)>& on_event) {
  auto client = client_for(target);
  if (!client) return Unexpected(client.error());
  (*client)->set_read_timeout(idle_limit);
  std::string buffer;
  int status = 0;
  bool stopped = false;
  auto result = (*client)->Get(
      path,
      [&](const httplib::Response& response) {
        status = response.status;
        return status == 200;
      },
      [&](const char* data, std::size_t length) {
        buffer.append(data, length);
        stopped = !take_stream_events(buffer, on_event);
        return !stopped;
      });
  if (stopped) return {};
  if (status != 0 && status != 200) {
    return fail(Errc::io, "HTTP status " + std::to_string(status));
  }
  if (!result) {
    return fail(Errc::io, "the event stream from " + target.address + " broke (" +
                              httplib::to_string(result.error()) + ")");
  }
  return {};
}

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
