#include "http_admin.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <strings.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "admin_json.hpp"
#include "admin_page.hpp"
#include "barrel_p2p/files.hpp"
#include "membership_feed.hpp"
#include "metrics_text.hpp"

namespace barrel_p2p::cli {

namespace {

using Json = nlohmann::json;

/// A listen address split into what httplib binds: host and port, and whether it is loopback.
struct ListenAddress {
  std::string host;  // numeric, without brackets
  int port = 0;
  bool ipv6 = false;
  bool loopback = false;
};

/// Parses "127.0.0.1:4000", "[::1]:4000" or "localhost:4000" (numeric hosts and "localhost"
/// only: no name is resolved). Errors: invalid_argument naming the bad part.
Result<ListenAddress> parse_listen_address(std::string_view text) {
  const bool bracketed = !text.empty() && text.front() == '[';
  const auto colon = bracketed ? text.find("]:") : text.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(Errc::invalid_argument,
                std::string(bracketed ? "expected [ipv6]:port" : "expected host:port") + ", got '" +
                    std::string(text) + "'");
  }
  const std::string_view host = bracketed ? text.substr(1, colon - 1) : text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + (bracketed ? 2 : 1));
  int port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return fail(Errc::invalid_argument, "invalid port '" + std::string(port_text) + "'");
  }
  ListenAddress address;
  address.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  address.port = port;
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, address.host.c_str(), &v4) == 1) {
    address.loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (::inet_pton(AF_INET6, address.host.c_str(), &v6) == 1) {
    address.ipv6 = true;
    address.loopback = IN6_IS_ADDR_LOOPBACK(&v6) != 0;
  } else {
    return fail(Errc::invalid_argument, "not a numeric IP address: '" + address.host + "'");
  }
  return address;
}

/// Whether a Host header names a loopback address or localhost, with or without a port.
bool is_loopback_host(std::string_view host) {
  if (host.empty()) return true;  // HTTP/1.0 without Host: not a browser
  if (const auto colon = host.rfind(':');
      colon != std::string_view::npos &&
      host.find_first_not_of("0123456789", colon + 1) == std::string_view::npos) {
    host = host.substr(0, colon);  // drop the port ("::1:PORT" from some clients too)
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") return true;
  auto address = parse_listen_address(host.find(':') == std::string_view::npos
                                          ? std::string(host) + ":0"
                                          : "[" + std::string(host) + "]:0");
  return address && address->loopback;
}

/// Compares in time independent of where the strings differ (the length may show).
bool same_token(std::string_view presented, std::string_view expected) {
  if (presented.size() != expected.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    difference |= static_cast<unsigned char>(presented[i] ^ expected[i]);
  }
  return difference == 0;
}

int status_for(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return 400;
    case Errc::not_found: return 404;
    case Errc::limit_reached: return 429;
    case Errc::closed: return 503;
    default: return 500;
  }
}

void reply(httplib::Response& response, int status, const Json& document) {
  response.status = status;
  response.set_content(json_text(document) + "\n", "application/json");
}

/// The text of one batch of the event stream (SSE: an `id`, `event` and `data` line per event).
std::string event_stream_text(const FeedBatch& batch) {
  std::string text;
  if (batch.missed > 0) {
    text += "event: missed\ndata: " + json_text({{"missed", batch.missed}}) + "\n\n";
  }
  for (const auto& event : batch.events) {
    text += "id: " + std::to_string(event.id) + "\nevent: " + event_type_name(event.event) +
            "\ndata: " + json_text(event_json(event)) + "\n\n";
  }
  return text;
}

/// True for "/" and "/<name>" of an embedded page file.
bool is_page_path(const std::string& path) {
  if (path == "/") return true;
  const auto files = admin_page_files();
  return std::any_of(files.begin(), files.end(), [&](const AdminPageFile& file) {
    return path.size() == file.name.size() + 1 && path.substr(1) == file.name;
  });
}

/// How long GET /v1/members waits for active peers' views: ?timeout_ms=N (1 to
/// kAdminClusterTimeoutMax ms), else kAdminClusterTimeout.
std::chrono::milliseconds cluster_timeout(const httplib::Request& request) {
  const std::string text = request.get_param_value("timeout_ms");
  std::int64_t ms = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || ms < 1) {
    return kAdminClusterTimeout;
  }
  return std::min(std::chrono::milliseconds(ms), kAdminClusterTimeoutMax);
}

/// The id after which a stream starts: Last-Event-ID (a reconnecting client), else ?since=N,
/// else the last event published (new events only). An id beyond the last one (from before a
/// restart: ids start at 1 again) counts as the last one.
std::uint64_t stream_start(const httplib::Request& request, const MembershipFeed& feed) {
  std::string text = request.get_header_value("Last-Event-ID");
  if (text.empty()) text = request.get_param_value("since");
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return feed.last_id();
  return std::min(id, feed.last_id());
}

}  // namespace

Result<std::string> read_admin_token(const std::filesystem::path& path,
                                     bool allow_insecure_file_modes) {
  auto bytes = read_file(path, kAdminTokenFileMax);
  if (!bytes) return fail(bytes.error().code, "admin.token_file: " + bytes.error().message);
  std::error_code error;
  const auto permissions = std::filesystem::status(path, error).permissions();
  using std::filesystem::perms;
  const auto shared = perms::group_all | perms::others_all;
  if (!error && (permissions & shared) != perms::none && !allow_insecure_file_modes) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(permissions & perms::mask));
    return fail(Errc::unsafe_file,
                "admin.token_file " + path.string() + " is mode " + mode +
                    ": a secret file must not be readable or writable by group or others "
                    "(chmod 600 it)");
  }
  std::string token(bytes->begin(), bytes->end());
  if (!token.empty() && token.back() == '\n') token.pop_back();
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.size() < kAdminTokenMin) {
    return fail(Errc::invalid_argument,
                "admin.token_file " + path.string() + " holds " + std::to_string(token.size()) +
                    " bytes: a token needs at least " + std::to_string(kAdminTokenMin));
  }
  return token;
}

/// The server and what its handlers share. Handlers run on httplib's pool threads.
class HttpAdmin::Server {
 public:
  Server(Node& node, std::string token)
      : node_(node), token_(std::move(token)), feed_(std::make_shared<MembershipFeed>()) {}

  void configure();
  Result<void> subscribe();
  void stop();

 private:
  friend class HttpAdmin;  // binds and runs http_

  httplib::Server http_;
  Node& node_;  // outlives the server (HttpAdmin::start's contract)
  std::string token_;
  std::shared_ptr<MembershipFeed> feed_;  // shared with the callback on the loop thread
  Subscription subscription_;
  std::atomic<std::size_t> streams_open_{0};

  bool admit(const httplib::Request& request, httplib::Response& response) const;
  void add_resources();
  void add_actions();
  void add_page();
  void serve_events(const httplib::Request& request, httplib::Response& response);
  /// The JSON object of a POST body. Errors: invalid_argument (not JSON, not an object).
  static Result<Json> body_object(const httplib::Request& request);
};

void HttpAdmin::Server::configure() {
  // httplib takes ownership of the queue it is given (its API wants a raw pointer).
  http_.new_task_queue = [] { return new httplib::ThreadPool(kAdminThreads); };
  http_.set_payload_max_length(kAdminBodyMax);
  http_.set_read_timeout(5, 0);
  http_.set_write_timeout(5, 0);
  http_.set_keep_alive_timeout(1);
  http_.set_keep_alive_max_count(100);
  http_.set_pre_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        return admit(request, response) ? httplib::Server::HandlerResponse::Unhandled
                                        : httplib::Server::HandlerResponse::Handled;
      });
  http_.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (!response.body.empty()) return;
    const std::string why =
        response.status == 404   ? "no resource " + request.method + " " + request.path
        : response.status == 413 ? "request body over " + std::to_string(kAdminBodyMax) + " bytes"
                                 : "request refused";
    reply(response, response.status, error_json(why));
  });
  http_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, const std::exception_ptr&) {
        reply(response, 500, error_json("internal error"));
      });
  add_resources();
  add_actions();
  add_page();
}

bool HttpAdmin::Server::admit(const httplib::Request& request, httplib::Response& response) const {
  // The page's own files hold no node data: a browser loads them without a token (it cannot
  // send one on navigation); the page then sends the token from its address's fragment.
  if (request.method == "GET" && is_page_path(request.path)) return true;
  if (!token_.empty()) {
    const std::string header = request.get_header_value("Authorization");
    constexpr std::string_view kScheme = "Bearer ";
    const bool ok = header.size() > kScheme.size() &&
                    strncasecmp(header.c_str(), kScheme.data(), kScheme.size()) == 0 &&
                    same_token(std::string_view(header).substr(kScheme.size()), token_);
    if (ok) return true;
    response.set_header("WWW-Authenticate", "Bearer realm=\"barrel-p2p\"");
    reply(response, 401, error_json("missing or wrong bearer token"));
    return false;
  }
  if (!is_loopback_host(request.get_header_value("Host"))) {
    reply(response, 403, error_json("Host must be a loopback address or localhost"));
    return false;
  }
  if (request.method == "POST" &&
      request.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
    reply(response, 415, error_json("POST bodies must be Content-Type: application/json"));
    return false;
  }
  return true;
}

void HttpAdmin::Server::add_resources() {
  http_.Get("/v1/members", [this](const httplib::Request& request, httplib::Response& response) {
    Json members = members_json(node_);
    if (request.get_param_value("cluster") != "0") {
      auto cluster = node_.cluster_view(cluster_timeout(request));
      members["cluster"] = cluster ? cluster_json(*cluster) : error_json(cluster.error().message);
    }
    reply(response, 200, members);
  });
  http_.Get("/v1/connections", [this](const httplib::Request&, httplib::Response& response) {
    reply(response, 200, connections_json(node_, node_.stats(), node_.path_stats()));
  });
  http_.Get(R"(/v1/connections/([^/]+))", [this](const httplib::Request& request,
                                                 httplib::Response& response) {
    const std::string peer = request.matches[1];
    auto path = node_.path_stats(peer);
    if (!path) {
      const bool missing = path.error().code == Errc::not_found;
      reply(response, missing ? 404 : 503, error_json(path.error().message));
      return;
    }
    Json answer = {{"node", node_.name()}, {"peer", peer}, {"path", path_json(*path)}};
    if (request.get_param_value("ping") == "1") {
      auto ping = node_.ping(peer, std::chrono::seconds(1));
      if (ping) {
        answer["ping_us"] = std::chrono::duration_cast<std::chrono::microseconds>(*ping).count();
      } else {
        answer["ping_error"] = ping.error().message;
      }
    }
    reply(response, 200, answer);
  });
  http_.Get("/v1/stats", [this](const httplib::Request&, httplib::Response& response) {
    reply(response, 200, stats_json(node_.name(), node_.stats()));
  });
  http_.Get("/v1/services", [this](const httplib::Request& request, httplib::Response& response) {
    reply(response, 200, services_json(node_, request.get_param_value("prefix")));
  });
  http_.Get("/v1/health", [this](const httplib::Request& request, httplib::Response& response) {
    const auto stats = node_.stats();
    const bool joined = !node_.active_view().empty();
    const bool ready_asked = request.has_param("ready");
    reply(response, ready_asked && !joined ? 503 : 200,
          {{"status", joined || !ready_asked ? "ok" : "not_joined"},
           {"node", node_.name()},
           {"joined", joined},
           {"peers", stats.peers},
           {"connections", stats.connections}});
  });
  http_.Get("/v1/events", [this](const httplib::Request& request, httplib::Response& response) {
    serve_events(request, response);
  });
  http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics_text(node_, node_.stats(), feed_->counts()),
                         kPrometheusContentType);
  });
}

void HttpAdmin::Server::add_page() {
  for (const AdminPageFile& file : admin_page_files()) {
    const std::string path = file.name == "index.html" ? "/" : "/" + std::string(file.name);
    http_.Get(path, [file](const httplib::Request&, httplib::Response& response) {
      response.set_header("Cache-Control", "no-cache");
      response.set_content(file.body.data(), file.body.size(),
                           std::string(admin_page_content_type(file.name)).c_str());
    });
  }
}

Result<Json> HttpAdmin::Server::body_object(const httplib::Request& request) {
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return fail(Errc::invalid_argument, "the body must be a JSON object");
  }
  return body;
}

void HttpAdmin::Server::add_actions() {
  http_.Post("/v1/join", [this](const httplib::Request& request, httplib::Response& response) {
    auto body = body_object(request);
    if (!body || !body->contains("address") || !(*body)["address"].is_string()) {
      return reply(response, 400, error_json(R"(expected {"address": "host:port"})"));
    }
    const std::string address = (*body)["address"].get<std::string>();
    auto joined = node_.join(address);
    if (!joined)
      return reply(response, status_for(joined.error().code), error_json(joined.error().message));
    reply(response, 202, {{"joining", address}});
  });
  http_.Post("/v1/leave", [this](const httplib::Request&, httplib::Response& response) {
    auto left = node_.leave();
    if (!left)
      return reply(response, status_for(left.error().code), error_json(left.error().message));
    reply(response, 200, {{"left", true}});
  });
  http_.Post("/v1/broadcast", [this](const httplib::Request& request, httplib::Response& response) {
    auto body = body_object(request);
    if (!body || !body->contains("tag") || !(*body)["tag"].is_string() ||
        !body->contains("payload") || !(*body)["payload"].is_string()) {
      return reply(response, 400, error_json(R"(expected {"tag": "...", "payload": "..."})"));
    }
    const std::string tag = (*body)["tag"].get<std::string>();
    const std::string payload = (*body)["payload"].get<std::string>();
    const Bytes bytes(payload.begin(), payload.end());
    auto sent = node_.broadcast(tag, bytes);
    if (!sent)
      return reply(response, status_for(sent.error().code), error_json(sent.error().message));
    reply(response, 202, {{"tag", tag}, {"bytes", bytes.size()}});
  });
}

void HttpAdmin::Server::serve_events(const httplib::Request& request, httplib::Response& response) {
  if (streams_open_.fetch_add(1) >= kAdminEventStreamsMax) {
    streams_open_.fetch_sub(1);
    return reply(
        response, 503,
        error_json("at most " + std::to_string(kAdminEventStreamsMax) + " event streams at once"));
  }
  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider(
      "text/event-stream",
      [feed = feed_, cursor = stream_start(request, *feed_)](std::size_t offset,
                                                             httplib::DataSink& sink) mutable {
        if (offset == 0) {
          // Something at once, so the client knows the stream is open before any event.
          static constexpr std::string_view kOpen = ": membership events\n\n";
          return sink.write(kOpen.data(), kOpen.size());
        }
        const FeedBatch batch = feed->wait_after(cursor, kAdminEventHeartbeat);
        if (batch.closed) {
          sink.done();
          return true;
        }
        if (!batch.events.empty()) cursor = batch.events.back().id;
        std::string text = event_stream_text(batch);
        if (text.empty()) text = ": keep-alive\n\n";  // never empty: that would end the stream
        return sink.write(text.data(), text.size());
      },
      [this](bool) { streams_open_.fetch_sub(1); });
}

Result<void> HttpAdmin::Server::subscribe() {
  auto subscription = node_.on_membership_event(
      [feed = feed_](const MembershipEvent& event) { feed->publish(event); });
  if (!subscription) return Unexpected(subscription.error());
  subscription_ = *subscription;
  return {};
}

void HttpAdmin::Server::stop() {
  subscription_.cancel();
  feed_->close();  // event streams end at once
  http_.stop();
}

Result<void> check_admin_settings(const AdminSettings& settings) {
  auto address = parse_listen_address(settings.listen);
  if (!address) return fail(Errc::invalid_argument, "admin address: " + address.error().message);
  if (!address->loopback && settings.token.empty()) {
    return fail(Errc::invalid_argument,
                "admin endpoint on " + settings.listen +
                    ": an address that is not loopback (127.0.0.0/8, ::1) needs a bearer token "
                    "(set admin.token_file)");
  }
  return {};
}

Result<std::unique_ptr<HttpAdmin>> HttpAdmin::start(Node& node, AdminSettings settings) {
  if (auto checked = check_admin_settings(settings); !checked) return Unexpected(checked.error());
  auto address = parse_listen_address(settings.listen);
  // A client that closes an event stream must not kill the node with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  auto server = std::make_unique<Server>(node, std::move(settings.token));
  server->configure();
  int port = address->port;
  if (port == 0) {
    port = server->http_.bind_to_any_port(address->host);
  } else if (!server->http_.bind_to_port(address->host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return fail(Errc::io, "admin endpoint on " + settings.listen + ": cannot bind (" +
                              std::strerror(errno) + ")");
  }
  if (auto subscribed = server->subscribe(); !subscribed) return Unexpected(subscribed.error());
  auto admin = std::unique_ptr<HttpAdmin>(new HttpAdmin(std::move(server)));
  admin->address_ =
      (address->ipv6 ? "[" + address->host + "]" : address->host) + ":" + std::to_string(port);
  return admin;
}

HttpAdmin::HttpAdmin(std::unique_ptr<Server> server) : server_(std::move(server)) {
  thread_ = std::thread([server = server_.get()] { server->http_.listen_after_bind(); });
  // stop() only ends a server that is running: wait for it, so a stop() right after start()
  // is not lost (bounded: listen_after_bind() sets the flag before its first accept).
  for (int i = 0; i < 5'000 && !server_->http_.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

HttpAdmin::~HttpAdmin() { stop(); }

void HttpAdmin::stop() {
  if (stopped_.exchange(true)) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace barrel_p2p::cli
