// Tests of the HTTP admin endpoint: real nodes, the endpoint on loopback, requests through
// the CLI's client and through httplib directly (for headers the client does not send).
#include "http_admin.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "admin_client.hpp"
#include "admin_json.hpp"
#include "admin_page.hpp"
#include "barrel_p2p/files.hpp"
#include "membership_feed.hpp"
#include "metrics_text.hpp"

namespace barrel_p2p::cli {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

/// Converts to any field type: counts an aggregate's fields by brace-initialising it.
struct AnyField {
  template <typename T>
  operator T() const;  // NOLINT(google-explicit-constructor): declared only, never called
};

template <typename T, typename... Fields>
consteval std::size_t field_count() {
  if constexpr (requires { T{Fields{}..., AnyField{}}; }) {
    return field_count<T, Fields..., AnyField>();
  } else {
    return sizeof...(Fields);
  }
}

/// Polls `done` every 20 ms, at most 250 times (5 s).
template <typename Predicate>
bool eventually(Predicate done) {
  for (int i = 0; i < 250; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

class HttpAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / "http-admin-test";
    std::filesystem::remove_all(dir_);
    node_ = start_node("alpha");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Node> start_node(const std::string& name) {
    Config config;
    config.node_name = name;
    config.data_dir = dir_ / name;
    config.cluster_name = "admin-test";
    config.log_level = "warn";
    auto node = Node::start(config);
    EXPECT_TRUE(node) << (node ? "" : node.error().to_string());
    return node ? std::move(*node) : nullptr;
  }

  std::unique_ptr<HttpAdmin> serve(const std::string& token = {}) {
    auto admin = HttpAdmin::start(*node_, AdminSettings{"127.0.0.1:0", token});
    EXPECT_TRUE(admin) << (admin ? "" : admin.error().to_string());
    return admin ? std::move(*admin) : nullptr;
  }

  /// alpha and beta with each other in their active views.
  std::unique_ptr<Node> joined_peer() {
    auto beta = start_node("beta");
    EXPECT_TRUE(beta && beta->join(node_->address()));
    EXPECT_TRUE(eventually([&] { return node_->active_view().size() == 1; }));
    return beta;
  }

  static Json get_json(const AdminTarget& target, const std::string& path, int status = 200) {
    auto reply = admin_get(target, path);
    EXPECT_TRUE(reply) << (reply ? "" : reply.error().to_string());
    if (!reply) return {};
    EXPECT_EQ(reply->status, status) << path << ": " << reply->body;
    return Json::parse(reply->body, nullptr, false);
  }

  static int post_status(const AdminTarget& target, const std::string& path,
                         const std::string& body) {
    auto reply = admin_post(target, path, body);
    EXPECT_TRUE(reply) << (reply ? "" : reply.error().to_string());
    return reply ? reply->status : 0;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(HttpAdminTest, ResourcesAnswerJsonOfTheirDocumentedShape) {
  ASSERT_TRUE(node_);
  auto beta = joined_peer();
  auto admin = serve();
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->address().rfind("127.0.0.1:", 0), 0U);
  const AdminTarget target{admin->address(), {}};

  const Json members = get_json(target, "/v1/members");
  EXPECT_EQ(members["node"]["name"], "alpha");
  EXPECT_EQ(members["node"]["address"], node_->address());
  EXPECT_EQ(members["node"]["fingerprint"], node_->fingerprint());
  EXPECT_EQ(members["active"],
            Json::parse(R"([{"name":"beta","address":")" + beta->address() + R"("}])"));
  EXPECT_TRUE(members["passive"].is_array());
  EXPECT_EQ(members["connected"], Json::parse(R"(["beta"])"));
  // The cluster as gathered from active peers: beta answered with its own views.
  const Json& cluster = members["cluster"];
  ASSERT_TRUE(cluster.is_object()) << members.dump();
  EXPECT_EQ(cluster["active_links"], Json::parse(R"([["alpha","beta"]])"));
  EXPECT_EQ(cluster["on_demand_links"], Json::array());
  EXPECT_EQ(cluster["unanswered"], Json::array());
  ASSERT_EQ(cluster["nodes"].size(), 2U);
  EXPECT_EQ(cluster["nodes"][0]["name"], "alpha");
  EXPECT_EQ(cluster["nodes"][0]["source"], "self");
  EXPECT_EQ(cluster["nodes"][1]["name"], "beta");
  EXPECT_EQ(cluster["nodes"][1]["source"], "peer");
  EXPECT_EQ(cluster["nodes"][1]["health"], "ok");
  EXPECT_EQ(cluster["nodes"][1]["address"], beta->address());
  EXPECT_EQ(cluster["nodes"][1]["active"], Json::parse(R"(["alpha"])"));
  EXPECT_EQ(cluster["nodes"][1]["passive_size"], beta->passive_view().size());
  EXPECT_FALSE(get_json(target, "/v1/members?cluster=0").contains("cluster"));

  const Json connections = get_json(target, "/v1/connections");
  EXPECT_EQ(connections["node"], "alpha");
  EXPECT_EQ(connections["connections"], 1);
  ASSERT_EQ(connections["peers"].size(), 1U);
  const Json& peer = connections["peers"][0];
  EXPECT_EQ(peer["name"], "beta");
  EXPECT_EQ(peer["active"], true);
  EXPECT_EQ(peer["path"]["remote"], beta->address());
  for (const char* key :
       {"dialed", "local", "smoothed_rtt_us", "latest_rtt_us", "min_rtt_us", "rtt_variance_us",
        "congestion_window", "bytes_in_flight", "delivery_rate"}) {
    EXPECT_TRUE(peer["path"].contains(key)) << key;
  }
  const Json one = get_json(target, "/v1/connections/beta");
  EXPECT_EQ(one["node"], "alpha");
  EXPECT_EQ(one["peer"], "beta");
  EXPECT_EQ(one["path"]["remote"], beta->address());
  EXPECT_GT(one["path"]["smoothed_rtt_us"].get<std::int64_t>(), 0);
  EXPECT_FALSE(one.contains("ping_us"));
  const Json pinged = get_json(target, "/v1/connections/beta?ping=1");
  EXPECT_GT(pinged["ping_us"].get<std::int64_t>(), 0);

  const Json stats = get_json(target, "/v1/stats");
  EXPECT_EQ(stats["node"], "alpha");
  EXPECT_EQ(stats["peers"], 1);
  EXPECT_GT(stats["auth_succeeded"].get<int>(), 0);
  EXPECT_TRUE(stats["membership_messages_out"].is_object());
  EXPECT_TRUE(stats["auth_failed_by_reason"].is_object());

  auto pid = beta->spawn([](Process&, Envelope&&) {});
  ASSERT_TRUE(pid);
  ASSERT_TRUE(beta->register_service("db.primary", *pid, std::vector<std::uint8_t>{'v', '1'}));
  Json services;
  for (int i = 0; i < 500; ++i) {  // until the registration reaches alpha (bounded: 10 s)
    services = get_json(target, "/v1/services?prefix=db.");
    if (!services["services"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(services["node"], "alpha");
  EXPECT_EQ(services["services"],
            Json::parse(R"([{"name":"db.primary","instances":[{"node":"beta","pid":")" +
                        pid->to_string() + R"(","metadata_hex":"7631"}]}])"));
  EXPECT_EQ(get_json(target, "/v1/services?prefix=x.")["services"], Json::array());
  EXPECT_EQ(get_json(target, "/v1/stats")["registry_entries"], 1);

  const Json health = get_json(target, "/v1/health");
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["joined"], true);
  EXPECT_EQ(get_json(target, "/v1/health?ready")["status"], "ok");

  const Json missing = get_json(target, "/v1/nothing", 404);
  EXPECT_EQ(missing["error"], "no resource GET /v1/nothing");
}

TEST_F(HttpAdminTest, StatsCarryEveryNodeStatsField) {
  ASSERT_TRUE(node_);
  // A new NodeStats field fails here until admin_json.cpp writes it.
  EXPECT_EQ(stats_json_field_count(), field_count<NodeStats>());
  const Json stats = stats_json("alpha", node_->stats());
  EXPECT_EQ(stats.size(), field_count<NodeStats>() + 1);  // and "node"
}

TEST_F(HttpAdminTest, ALoneNodeIsAliveButNotReady) {
  ASSERT_TRUE(node_);
  auto admin = serve();
  ASSERT_TRUE(admin);
  const AdminTarget target{admin->address(), {}};
  EXPECT_EQ(get_json(target, "/v1/health")["joined"], false);
  EXPECT_EQ(get_json(target, "/v1/health?ready", 503)["status"], "not_joined");
}

TEST_F(HttpAdminTest, JoinBroadcastAndLeaveAct) {
  ASSERT_TRUE(node_);
  auto beta = start_node("beta");
  ASSERT_TRUE(beta);
  std::atomic<int> delivered{0};
  auto subscription = beta->subscribe("news", [&](const BroadcastMessage& message) {
    if (message.origin == "alpha" && message.payload == Bytes{'h', 'i'}) ++delivered;
  });
  ASSERT_TRUE(subscription);
  auto admin = serve();
  ASSERT_TRUE(admin);
  const AdminTarget target{admin->address(), {}};

  EXPECT_EQ(post_status(target, "/v1/join", R"({"address":")" + beta->address() + R"("})"), 202);
  ASSERT_TRUE(eventually([&] { return node_->active_view().size() == 1; }));
  EXPECT_EQ(post_status(target, "/v1/broadcast", R"({"tag":"news","payload":"hi"})"), 202);
  EXPECT_TRUE(eventually([&] { return delivered == 1; }));
  const NodeStats sent = node_->stats();  // Plumtree's counters, as /v1/stats shows them
  EXPECT_EQ(sent.broadcasts, 1U);
  EXPECT_EQ(sent.broadcast_deliveries, 1U);  // its own
  EXPECT_GE(sent.broadcast_frames_out.at("gossip"), 1U);
  const NodeStats received = beta->stats();
  EXPECT_EQ(received.broadcast_deliveries, 1U);
  EXPECT_GE(received.broadcast_frames_in.at("gossip"), 1U);
  EXPECT_EQ(post_status(target, "/v1/leave", "{}"), 200);
  EXPECT_TRUE(eventually([&] { return node_->active_view().empty(); }));
  subscription->cancel();
}

TEST_F(HttpAdminTest, BadRequestsAreRefusedWithTheirStatus) {
  ASSERT_TRUE(node_);
  auto admin = serve();
  ASSERT_TRUE(admin);
  const AdminTarget target{admin->address(), {}};
  EXPECT_EQ(post_status(target, "/v1/join", "not json"), 400);
  EXPECT_EQ(post_status(target, "/v1/join", R"(["127.0.0.1:1"])"), 400);
  EXPECT_EQ(post_status(target, "/v1/join", R"({"address":7})"), 400);
  EXPECT_EQ(post_status(target, "/v1/join", R"({"address":"no port"})"), 400);
  EXPECT_EQ(post_status(target, "/v1/broadcast", R"({"tag":"t"})"), 400);
  EXPECT_EQ(post_status(target, "/v1/broadcast",
                        R"({"tag":")" + std::string(300, 't') + R"(","payload":"x"})"),
            400);  // tag over 255 bytes
  const std::string huge(kAdminBodyMax + 1, ' ');
  EXPECT_EQ(post_status(target, "/v1/broadcast", huge), 413);
  auto no_link = admin_get(target, "/v1/connections/nobody");
  ASSERT_TRUE(no_link);
  EXPECT_EQ(no_link->status, 404);  // no authenticated link to that node
  EXPECT_NE(no_link->body.find("nobody"), std::string::npos);

  httplib::Client client("127.0.0.1", std::stoi(admin->address().substr(10)));
  auto form = client.Post("/v1/leave", "a=b", "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 415);  // a web page's form cannot act on the node
  auto rebound = client.Get("/v1/members", {{"Host", "attacker.example:80"}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);  // DNS rebinding: a name that is not localhost
  auto by_name = client.Get("/v1/members", {{"Host", "localhost:1"}});
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->status, 200);
}

TEST_F(HttpAdminTest, ATokenIsRequiredOfEveryRequestOnceSet) {
  ASSERT_TRUE(node_);
  const std::string token = "0123456789abcdef0123456789abcdef";
  auto admin = serve(token);
  ASSERT_TRUE(admin);
  for (const char* path : {"/v1/members", "/v1/stats", "/metrics", "/v1/events"}) {
    auto none = admin_get(AdminTarget{admin->address(), {}}, path);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_EQ(Json::parse(none->body)["error"], "missing or wrong bearer token");
    auto wrong = admin_get(AdminTarget{admin->address(), token + "x"}, path);
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401) << path;
  }
  EXPECT_EQ(post_status(AdminTarget{admin->address(), {}}, "/v1/leave", "{}"), 401);
  auto right = admin_get(AdminTarget{admin->address(), token}, "/v1/members");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  // The page's own files carry no node data: a browser loads them without a token.
  for (const char* path : {"/", "/page.js", "/page.css"}) {
    auto page = admin_get(AdminTarget{admin->address(), {}}, path);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200) << path;
  }
}

TEST_F(HttpAdminTest, TheLivePageIsServedFromEmbeddedFiles) {
  ASSERT_TRUE(node_);
  auto admin = serve();
  ASSERT_TRUE(admin);
  httplib::Client client(admin->address());
  auto index = client.Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("data-active-links"), std::string::npos);
  EXPECT_NE(index->body.find("<script src=\"/page.js\">"), std::string::npos);
  auto script = client.Get("/page.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script->body.find("/v1/members"), std::string::npos);
  auto style = client.Get("/page.css");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->get_header_value("Content-Type"), "text/css; charset=utf-8");
  // Nothing loads from elsewhere: no absolute URL in any file.
  for (const AdminPageFile& file : admin_page_files()) {
    EXPECT_EQ(file.body.find("http://"), std::string_view::npos) << file.name;
    EXPECT_EQ(file.body.find("https://"), std::string_view::npos) << file.name;
  }
}

TEST(AdminJson, ClusterListsReportedSeenAndSilentNodesAndEachLinkOnce) {
  ClusterView view;
  view.self = {"a", "127.0.0.1:1", {{"b", "127.0.0.1:2"}, {"c", ""}}, 3, {"e"}};
  view.peers = {{"b", "127.0.0.1:2", {{"a", ""}, {"d", ""}}, 4, {}}};
  view.unanswered = {"c"};
  const Json cluster = cluster_json(view);
  EXPECT_EQ(cluster["active_links"], Json::parse(R"([["a","b"],["a","c"],["b","d"]])"));
  EXPECT_EQ(cluster["on_demand_links"], Json::parse(R"([["a","e"]])"));
  EXPECT_EQ(cluster["unanswered"], Json::parse(R"(["c"])"));
  std::vector<std::string> names;
  std::vector<std::string> health;
  for (const Json& node : cluster["nodes"]) {
    names.push_back(node["name"]);
    health.push_back(node["health"]);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(health, (std::vector<std::string>{"ok", "ok", "no_answer", "unknown", "unknown"}));
  EXPECT_EQ(cluster["nodes"][3]["passive_size"], nullptr);
}

TEST_F(HttpAdminTest, AddressesOffLoopbackNeedAToken) {
  ASSERT_TRUE(node_);
  for (const char* address : {"0.0.0.0:0", "10.1.2.3:7000", "[::]:0", "192.168.0.1:7000"}) {
    auto refused = HttpAdmin::start(*node_, AdminSettings{address, {}});
    ASSERT_FALSE(refused) << address;
    EXPECT_EQ(refused.error().code, Errc::invalid_argument);
    EXPECT_NE(refused.error().message.find("needs a bearer token"), std::string::npos)
        << refused.error().message;
    EXPECT_TRUE(check_admin_settings(AdminSettings{address, "0123456789abcdef"})) << address;
  }
  EXPECT_FALSE(check_admin_settings(AdminSettings{"nowhere", {}}));
  EXPECT_FALSE(check_admin_settings(AdminSettings{"127.0.0.1:65536", {}}));
  auto v6 = HttpAdmin::start(*node_, AdminSettings{"[::1]:0", {}});
  ASSERT_TRUE(v6) << v6.error().to_string();
  EXPECT_EQ((*v6)->address().rfind("[::1]:", 0), 0U);
  EXPECT_EQ(get_json(AdminTarget{(*v6)->address(), {}}, "/v1/health")["node"], "alpha");
}

TEST_F(HttpAdminTest, TokenFilesAreSecretsOfSomeLength) {
  std::filesystem::create_directories(dir_);
  const auto path = dir_ / "token";
  ASSERT_TRUE(write_file_atomic(path, "0123456789abcdef-long-enough\n", FileAccess::everyone));
  auto shared = read_admin_token(path, false);
  ASSERT_FALSE(shared);
  EXPECT_EQ(shared.error().code, Errc::unsafe_file);
  EXPECT_NE(shared.error().message.find("is mode 0644"), std::string::npos);
  ASSERT_TRUE(read_admin_token(path, true));  // allow_insecure_file_modes
  ASSERT_TRUE(write_file_atomic(path, "0123456789abcdef-long-enough\n", FileAccess::owner_only));
  auto token = read_admin_token(path, false);
  ASSERT_TRUE(token) << token.error().to_string();
  EXPECT_EQ(*token, "0123456789abcdef-long-enough");
  ASSERT_TRUE(write_file_atomic(path, "short\n", FileAccess::owner_only));
  auto short_token = read_admin_token(path, false);
  ASSERT_FALSE(short_token);
  EXPECT_EQ(short_token.error().code, Errc::invalid_argument);
  EXPECT_EQ(read_admin_token(dir_ / "absent", false).error().code, Errc::not_found);
}

TEST_F(HttpAdminTest, EventsStreamMembershipEventsAsServerSentEvents) {
  ASSERT_TRUE(node_);
  auto admin = serve();
  ASSERT_TRUE(admin);
  auto beta = joined_peer();
  httplib::Client client("127.0.0.1", std::stoi(admin->address().substr(10)));
  client.set_read_timeout(5, 0);
  std::string stream;
  std::string content_type;
  auto result = client.Get(
      "/v1/events?since=0",
      [&](const httplib::Response& response) {
        content_type = response.get_header_value("Content-Type");
        return response.status == 200;
      },
      [&](const char* data, std::size_t length) {
        stream.append(data, length);
        // NeighborUp happened before the stream opened: since=0 replays it.
        return stream.find("event: neighbor_up") == std::string::npos;
      });
  EXPECT_EQ(content_type, "text/event-stream");
  ASSERT_NE(stream.find("event: neighbor_up\ndata: "), std::string::npos) << stream;
  const auto data = stream.find("data: ", stream.find("event: neighbor_up"));
  const Json up = Json::parse(stream.substr(data + 6, stream.find('\n', data) - data - 6));
  EXPECT_EQ(up["type"], "neighbor_up");
  EXPECT_EQ(up["node"], "beta");
  EXPECT_EQ(up["address"], beta->address());
  EXPECT_GT(up["id"].get<int>(), 0);
}

TEST_F(HttpAdminTest, EventStreamsAreBoundedAndEndWithTheEndpoint) {
  ASSERT_TRUE(node_);
  auto admin = serve();
  ASSERT_TRUE(admin);
  const int port = std::stoi(admin->address().substr(10));
  std::atomic<int> opened{0};
  std::vector<std::thread> readers;
  for (std::size_t i = 0; i < kAdminEventStreamsMax; ++i) {
    readers.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(30, 0);  // the streams end when the endpoint stops
      (void)client.Get("/v1/events", [&](const char*, std::size_t) {
        ++opened;
        return true;
      });
    });
  }
  EXPECT_TRUE(eventually([&] { return opened >= static_cast<int>(kAdminEventStreamsMax); }));
  auto refused = admin_get(AdminTarget{admin->address(), {}}, "/v1/events");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  admin->stop();  // ends every stream at once
  for (auto& reader : readers) reader.join();
}

TEST(MembershipFeed, KeepsTheLatestEventsAndCountsWhatAReaderMissed) {
  MembershipFeed feed;
  for (std::size_t i = 0; i < kMembershipFeedCapacity + 10; ++i) feed.publish(Joined{});
  feed.publish(NeighborDown{"b", "failed"});
  EXPECT_EQ(feed.last_id(), kMembershipFeedCapacity + 11);
  const FeedBatch late = feed.wait_after(5, 0ms);
  EXPECT_EQ(late.missed, 6U);  // ids 6 to 11 were dropped
  ASSERT_EQ(late.events.size(), kMembershipFeedCapacity);
  EXPECT_EQ(late.events.front().id, 12U);
  const FeedBatch none = feed.wait_after(feed.last_id(), 0ms);
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(feed.counts().at("joined"), kMembershipFeedCapacity + 10);
  EXPECT_EQ(feed.counts().at("neighbor_down"), 1U);
  EXPECT_EQ(event_json(late.events.back()),
            Json::parse(R"({"id":)" + std::to_string(kMembershipFeedCapacity + 11) +
                        R"(,"time_ms":)" + std::to_string(late.events.back().unix_time_ms) +
                        R"(,"type":"neighbor_down","node":"b","reason":"failed"})"));
  feed.close();
  EXPECT_TRUE(feed.wait_after(feed.last_id(), 10s).closed);  // at once
}

TEST(DurationHistogram, CountsEachDurationInTheFirstBucketThatHoldsIt) {
  DurationHistogram histogram;
  histogram.record(0ns);
  histogram.record(10us);  // a bound is inclusive
  histogram.record(11us);
  histogram.record(3s);    // above every bound
  histogram.record(-5ns);  // as zero
  EXPECT_EQ(histogram.buckets[0], 3U);
  EXPECT_EQ(histogram.buckets[1], 1U);
  EXPECT_EQ(histogram.buckets.back(), 1U);
  EXPECT_EQ(histogram.count, 5U);
  EXPECT_EQ(histogram.sum, 3s + 21us);
}

TEST(PrometheusWriter, WritesHistogramsCumulativeUpToInfWithSumAndCountInSeconds) {
  DurationHistogram fast;
  fast.record(10us);
  fast.record(2ms);
  DurationHistogram slow;
  slow.record(5s);
  PrometheusWriter out;
  out.histograms("h_seconds", "Help.", "outcome", {{"ok", &fast}, {"failed", &slow}});
  out.histograms("t_seconds", "Turns.", "", {{"", &fast}});
  const std::string& text = out.text();
  EXPECT_NE(text.find("# TYPE h_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_bucket{outcome=\"ok\",le=\"1e-05\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_bucket{outcome=\"ok\",le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_bucket{outcome=\"ok\",le=\"0.0025\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_bucket{outcome=\"ok\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_sum{outcome=\"ok\"} 0.00201\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_count{outcome=\"ok\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_bucket{outcome=\"failed\",le=\"2.5\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_bucket{outcome=\"failed\",le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(
      text.find("t_seconds_bucket{le=\"+Inf\"} 2\nt_seconds_sum 0.00201\nt_seconds_count 2\n"),
      std::string::npos);
}

TEST(PrometheusWriter, WritesFamiliesWithEscapedLabels) {
  PrometheusWriter out;
  out.counters("x_total", "Help.", "reason", {{"a\"b\\c\nd", 3}});
  out.gauge("y", "Gauge.", 7);
  EXPECT_EQ(out.text(),
            "# HELP x_total Help.\n# TYPE x_total counter\nx_total{reason=\"a\\\"b\\\\c\\nd\"} 3\n"
            "# HELP y Gauge.\n# TYPE y gauge\ny 7\n");
}

TEST(AdminClient, StreamEventsAreSplitAtBlankLinesAndCommentsSkipped) {
  std::string buffer =
      ": membership events\n\nid: 1\nevent: joined\ndata: {\"a\":1}\n\n: keep-alive\n\n"
      "id: 2\nevent: left\ndata: x\ndata: y\n\nid: 3\nevent: par";
  std::vector<StreamEvent> events;
  EXPECT_TRUE(take_stream_events(buffer, [&](const StreamEvent& event) {
    events.push_back(event);
    return true;
  }));
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].id, "1");
  EXPECT_EQ(events[0].type, "joined");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[1].type, "left");
  EXPECT_EQ(events[1].data, "x\ny");
  EXPECT_EQ(buffer, "id: 3\nevent: par");  // incomplete: kept for the next read
  buffer += "tition_healed\ndata: {}\n\nid: 4\ndata: z\n\n";
  EXPECT_FALSE(take_stream_events(buffer, [](const StreamEvent&) { return false; }));
  EXPECT_EQ(buffer, "id: 4\ndata: z\n\n");  // stopped after the first
}

TEST(AdminJson, TextNeverThrowsOnBytesThatAreNotUtf8) {
  EXPECT_EQ(json_text(Json{{"tag", std::string("a\xff")}}), "{\"tag\":\"a\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace barrel_p2p::cli
