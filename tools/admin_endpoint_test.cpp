// Tests of the admin endpoint: a real node, the endpoint on loopback, requests over TCP.
#include "admin_endpoint.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace barrel_p2p::cli {
namespace {

class AdminEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / "admin-endpoint-test";
    std::filesystem::remove_all(dir_);
    node_ = start("alpha");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Node> start(const std::string& name) {
    Config config;
    config.node_name = name;
    config.data_dir = dir_ / name;
    config.cluster_name = "admin-test";
    config.log_level = "warn";
    auto node = Node::start(config);
    EXPECT_TRUE(node) << (node ? "" : node.error().to_string());
    return node ? std::move(*node) : nullptr;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(AdminEndpointTest, AnswersViewsConnectionsAndStatsAsJson) {
  ASSERT_TRUE(node_);
  auto other = start("beta");
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->join(node_->address()));
  for (int i = 0; i < 200 && node_->active_view().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto admin = AdminEndpoint::start(*node_, "127.0.0.1:0");
  ASSERT_TRUE(admin) << admin.error().to_string();
  const std::string address = (*admin)->address();
  EXPECT_EQ(address.rfind("127.0.0.1:", 0), 0U);
  EXPECT_NE(address, "127.0.0.1:0");

  auto views = admin_request(address, "views");
  ASSERT_TRUE(views) << views.error().to_string();
  EXPECT_EQ(*views, "{\"node\":\"alpha\",\"active\":[{\"name\":\"beta\",\"address\":\"" +
                        other->address() + "\"}],\"passive\":[]}");
  auto connections = admin_request(address, "connections");
  ASSERT_TRUE(connections);
  EXPECT_EQ(*connections, "{\"node\":\"alpha\",\"connected\":[\"beta\"]}");
  auto stats = admin_request(address, "stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->rfind("{\"node\":\"alpha\",\"connections\":1,\"peers\":1,", 0), 0U) << *stats;
  auto unknown = admin_request(address, "shutdown");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->rfind("{\"error\":\"unknown command 'shutdown'", 0), 0U) << *unknown;
  auto huge = admin_request(address, std::string(kAdminRequestMax + 1, 'x'));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->rfind("{\"error\":\"request line missing or longer than", 0), 0U) << *huge;

  (*admin)->stop();
  EXPECT_FALSE(admin_request(address, "views"));  // closed
}

TEST_F(AdminEndpointTest, RefusesAddressesThatAreNotLoopback) {
  ASSERT_TRUE(node_);
  for (const char* address : {"0.0.0.0:0", "10.1.2.3:0", "[::]:0", "192.168.0.1:7000"}) {
    auto admin = AdminEndpoint::start(*node_, address);
    ASSERT_FALSE(admin) << address;
    EXPECT_EQ(admin.error().code, Errc::invalid_argument);
    EXPECT_NE(admin.error().message.find("not a loopback address"), std::string::npos)
        << admin.error().message;
  }
  EXPECT_FALSE(AdminEndpoint::start(*node_, "nowhere"));
  auto v6 = AdminEndpoint::start(*node_, "[::1]:0");
  EXPECT_TRUE(v6) << (v6 ? "" : v6.error().to_string());  // may fail only without IPv6
}

TEST(AdminJson, StringsAreEscaped) {
  EXPECT_EQ(json_string("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\u000ad\\u0001\"");
}

}  // namespace
}  // namespace barrel_p2p::cli
