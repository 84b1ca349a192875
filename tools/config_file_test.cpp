// Tests of the TOML configuration loader and its key table.
#include "config_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "config_keys.hpp"

namespace barrel_p2p::cli {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kMinimal = R"(
[node]
name = "alice"
data_dir = "/var/lib/alice"
)";

/// A value for every key but cluster.secret (it excludes cluster.secret_file), none of them
/// the default. Keyed by "table.key"; values are TOML literals.
std::map<std::string, std::string> every_key_sample(const std::string& secret_file) {
  return {
      {"node.name", "\"alice\""},
      {"node.data_dir", "\"/var/lib/alice\""},
      {"node.listen", "\"10.0.0.1:4000\""},
      {"node.event_queue_limit", "1000"},
      {"node.busy_poll_us", "50"},
      {"cluster.name", "\"prod\""},
      {"cluster.secret_file", "\"" + secret_file + "\""},
      {"trust.mode", "\"strict\""},
      {"auth.handshake_budget_ms", "2000"},
      {"auth.timestamp_skew_ms", "3000"},
      {"transport.idle_timeout_ms", "9000"},
      {"transport.keep_alive_ms", "3000"},
      {"transport.max_connections", "10"},
      {"transport.max_handshakes", "4"},
      {"transport.max_frame_size", "65536"},
      {"transport.send_buffer_limit", "131072"},
      {"processes.mailbox_limit", "77"},
      {"processes.node_queue_limit", "262144"},
      {"processes.worker_threads", "3"},
      {"connections.connect_timeout_ms", "1500"},
      {"connections.addresses", "{ bob = \"10.0.0.2:4000\", carol = \"carol.example:4000\" }"},
      {"connections.endpoint_dir", "\"/run/barrel\""},
      {"connections.reaper_min_age_ms", "0"},
      {"connections.reaper_interval_ms", "0"},
      {"membership.contacts", "[\"10.0.0.2:4000\", \"[::1]:4001\"]"},
      {"membership.contact_retry_ms", "2500"},
      {"membership.advertise_address", "\"203.0.113.7:4000\""},
      {"membership.active_view_size", "6"},
      {"membership.passive_view_size", "40"},
      {"membership.active_random_walk", "7"},
      {"membership.passive_random_walk", "4"},
      {"membership.shuffle_interval_ms", "5000"},
      {"membership.shuffle_size", "10"},
      {"membership.ihave_timeout_ms", "300"},
      {"membership.max_broadcast_size", "4096"},
      {"admin.listen", "\"10.0.0.1:9464\""},
      {"admin.token_file", "\"/etc/barrel/admin.token\""},
      {"registry.anti_entropy_interval_ms", "2000"},
      {"registry.max_names", "100"},
      {"registry.max_entries_per_name", "8"},
      {"registry.max_entries", "500"},
      {"registry.max_name_size", "64"},
      {"registry.max_metadata_size", "512"},
      {"registry.max_tombstones", "300"},
      {"registry.max_state_size", "32768"},
      {"registry.max_clock_skew_ms", "10000"},
      {"registry.route_ttl", "4"},
      {"registry.route_fanout", "3"},
      {"registry.route_timeout_ms", "700"},
      {"registry.route_cache_ttl_ms", "9000"},
      {"registry.route_max_in_flight", "16"},
      {"registry.lease_ms", "30000"},
      {"registry.lease_renew_interval_ms", "5000"},
      {"streams.max_pending_preambles", "32"},
      {"streams.max_inbound_per_peer", "40"},
      {"streams.window", "65536"},
      {"streams.send_buffer", "131072"},
      {"log.level", "\"debug\""},
      {"log.format", "\"json\""},
  };
}

std::string to_toml(const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> tables;
  for (const auto& [dotted, literal] : values) {
    const auto dot = dotted.find('.');
    tables[dotted.substr(0, dot)] += dotted.substr(dot + 1) + " = " + literal + "\n";
  }
  std::string out;
  for (const auto& [table, body] : tables) out += "[" + table + "]\n" + body;
  return out;
}

std::string temp_file(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
  return path;
}

/// The error message of a parse that must fail.
std::string error_of(std::string_view text, std::span<const ConfigOverride> overrides = {}) {
  auto config = parse_config(text, "test.toml", overrides);
  EXPECT_FALSE(config.has_value()) << text;
  return config ? std::string() : config.error().message;
}

TEST(ConfigFile, EveryKeyIsParsed) {
  const std::string secret = temp_file("secret", "s3cret\n");
  const auto sample = every_key_sample(secret);
  for (const ConfigKey& key : config_keys()) {
    if (dotted_name(key) == "cluster.secret") continue;  // excludes secret_file; tested below
    EXPECT_TRUE(sample.count(dotted_name(key))) << dotted_name(key) << " is not in the sample";
  }
  auto config = parse_config(to_toml(sample), "test.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->node_name, "alice");
  EXPECT_EQ(config->data_dir, "/var/lib/alice");
  EXPECT_EQ(config->listen_address, "10.0.0.1:4000");
  EXPECT_EQ(config->event_queue_limit, 1000u);
  EXPECT_EQ(config->busy_poll, 50us);
  EXPECT_EQ(config->cluster_name, "prod");
  EXPECT_EQ(config->cluster_secret, "s3cret");
  EXPECT_EQ(config->trust_mode, TrustMode::strict);
  EXPECT_EQ(config->handshake_budget, 2000ms);
  EXPECT_EQ(config->timestamp_skew, 3000ms);
  EXPECT_EQ(config->idle_timeout, 9000ms);
  EXPECT_EQ(config->keep_alive, 3000ms);
  EXPECT_EQ(config->max_connections, 10u);
  EXPECT_EQ(config->max_handshakes, 4u);
  EXPECT_EQ(config->max_frame_size, 65536u);
  EXPECT_EQ(config->send_buffer_limit, 131072u);
  EXPECT_EQ(config->mailbox_limit, 77u);
  EXPECT_EQ(config->node_queue_limit, 262144u);
  EXPECT_EQ(config->worker_threads, 3u);
  EXPECT_EQ(config->connect_timeout, 1500ms);
  EXPECT_EQ(config->node_addresses,
            (std::map<std::string, std::string>{{"bob", "10.0.0.2:4000"},
                                                {"carol", "carol.example:4000"}}));
  EXPECT_EQ(config->endpoint_dir, "/run/barrel");
  EXPECT_EQ(config->reaper_min_age, 0ms);
  EXPECT_EQ(config->reaper_interval, 0ms);
  const MembershipConfig& m = config->membership;
  EXPECT_EQ(m.contacts, (std::vector<std::string>{"10.0.0.2:4000", "[::1]:4001"}));
  EXPECT_EQ(m.contact_retry, 2500ms);
  EXPECT_EQ(m.advertise_address, "203.0.113.7:4000");
  EXPECT_EQ(m.active_view_size, 6u);
  EXPECT_EQ(m.passive_view_size, 40u);
  EXPECT_EQ(m.active_random_walk, 7u);
  EXPECT_EQ(m.passive_random_walk, 4u);
  EXPECT_EQ(m.shuffle_interval, 5000ms);
  EXPECT_EQ(m.shuffle_size, 10u);
  EXPECT_EQ(m.ihave_timeout, 300ms);
  EXPECT_EQ(m.max_broadcast_size, 4096u);
  EXPECT_EQ(config->admin.listen, "10.0.0.1:9464");
  EXPECT_EQ(config->admin.token_file, "/etc/barrel/admin.token");
  const RegistryConfig& r = config->registry;
  EXPECT_EQ(r.anti_entropy_interval, 2000ms);
  EXPECT_EQ(r.max_names, 100u);
  EXPECT_EQ(r.max_entries_per_name, 8u);
  EXPECT_EQ(r.max_entries, 500u);
  EXPECT_EQ(r.max_name_size, 64u);
  EXPECT_EQ(r.max_metadata_size, 512u);
  EXPECT_EQ(r.max_tombstones, 300u);
  EXPECT_EQ(r.max_state_size, 32768u);
  EXPECT_EQ(r.max_clock_skew, 10000ms);
  EXPECT_EQ(r.route_ttl, 4u);
  EXPECT_EQ(r.route_fanout, 3u);
  EXPECT_EQ(r.route_timeout, 700ms);
  EXPECT_EQ(r.route_cache_ttl, 9000ms);
  EXPECT_EQ(r.route_max_in_flight, 16u);
  EXPECT_EQ(r.lease, 30000ms);
  EXPECT_EQ(r.lease_renew_interval, 5000ms);
  EXPECT_EQ(config->streams.max_pending_preambles, 32u);
  EXPECT_EQ(config->streams.max_inbound_per_peer, 40u);
  EXPECT_EQ(config->streams.window, 65536u);
  EXPECT_EQ(config->streams.send_buffer, 131072u);
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->log_format, "json");
}

TEST(ConfigFile, ContactsMustBeAnArrayOfAddresses) {
  std::string message = error_of(std::string(kMinimal) + "[membership]\ncontacts = \"a:1\"\n");
  EXPECT_NE(message.find("test.toml:6: membership.contacts: expected an array of strings, got "
                         "string"),
            std::string::npos)
      << message;
  message = error_of(std::string(kMinimal) + "[membership]\ncontacts = [\"10.0.0.1:1\", 7]\n");
  EXPECT_NE(message.find("membership.contacts[1]: expected a string, got integer"),
            std::string::npos)
      << message;
  message = error_of(std::string(kMinimal) + "[membership]\ncontacts = [\"nowhere\"]\n");
  EXPECT_NE(message.find("test.toml:6: membership.contacts: 'nowhere'"), std::string::npos)
      << message;
  message = error_of(std::string(kMinimal) +
                     "[membership]\nactive_random_walk = 2\npassive_random_walk = 3\n");
  EXPECT_NE(message.find("membership.passive_random_walk: must not exceed active_random_walk"),
            std::string::npos)
      << message;
}

// connections.addresses takes contact strings too (issue 13, deliverable 3): the node named
// must then prove that name and key. A contact string under another name, or a malformed one,
// is refused naming the key and the line.
TEST(ConfigFile, AddressesAcceptContactStrings) {
  const std::string fingerprint = "SHA256:" + std::string(64, 'a');
  const std::string contact = "bob@10.0.0.2:4000#" + fingerprint;
  auto config = parse_config(std::string(kMinimal) + "[connections]\naddresses = { bob = \"" +
                                 contact + "\", carol = \"10.0.0.3:4000\" }\n",
                             "test.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->node_addresses.at("bob"), contact);
  EXPECT_EQ(config->node_addresses.at("carol"), "10.0.0.3:4000");

  const ConfigOverride set{"connections.addresses", "bob=" + contact, "--set"};
  config = parse_config(kMinimal, "test.toml", std::span(&set, 1));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->node_addresses.at("bob"), contact);

  std::string message = error_of(std::string(kMinimal) + "[connections]\naddresses = { carol = \"" +
                                 contact + "\" }\n");
  EXPECT_NE(message.find("test.toml:6: connections.addresses: the contact string for carol "
                         "names 'bob'"),
            std::string::npos)
      << message;
  message = error_of(std::string(kMinimal) +
                     "[connections]\naddresses = { bob = \"bob@10.0.0.2:4000#SHA256:ab\" }\n");
  EXPECT_NE(message.find("connections.addresses: "), std::string::npos) << message;
  EXPECT_NE(message.find("64 hex digits"), std::string::npos) << message;
}

TEST(ConfigFile, ContactsOverrideIsCommaSeparated) {
  const ConfigOverride set{"membership.contacts", "127.0.0.1:4000,,127.0.0.1:4001", "--set"};
  auto config = parse_config(kMinimal, "test.toml", std::span(&set, 1));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->membership.contacts,
            (std::vector<std::string>{"127.0.0.1:4000", "127.0.0.1:4001"}));
  const ConfigOverride clear{"membership.contacts", "", "--set"};
  const std::string with = std::string(kMinimal) + "[membership]\ncontacts = [\"127.0.0.1:1\"]\n";
  config = parse_config(with, "test.toml", std::span(&clear, 1));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->membership.contacts.empty());
}

TEST(ConfigFile, ClusterSecretInline) {
  auto config = parse_config(std::string(kMinimal) + "[cluster]\nsecret = \"hunter2\"\n", "t");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->cluster_secret, "hunter2");
  EXPECT_EQ(render_config(*config).find("hunter2"), std::string::npos);
}

TEST(ConfigFile, DefaultsWhenAbsent) {
  auto config = parse_config(kMinimal, "test.toml");
  ASSERT_TRUE(config) << config.error().message;
  Config expected;
  expected.node_name = "alice";
  expected.data_dir = "/var/lib/alice";
  EXPECT_EQ(render_config(*config), render_config(expected));
  EXPECT_FALSE(config->cluster_secret.has_value());
  EXPECT_EQ(config->trust_mode, TrustMode::tofu);
}

TEST(ConfigFile, RenderedConfigParsesBack) {
  auto sample = every_key_sample("");
  sample.erase("cluster.secret_file");  // rendered as a comment: it is not read back
  auto config = parse_config(to_toml(sample), "test.toml");
  ASSERT_TRUE(config) << config.error().message;
  const std::string rendered = render_config(*config);
  auto again = parse_config(rendered + "[cluster]\nsecret = \"x\"\n", "rendered");
  ASSERT_FALSE(again.has_value());  // [cluster] twice: a TOML error, caught as a value
  auto without_secret = parse_config(rendered, "rendered");
  ASSERT_TRUE(without_secret) << without_secret.error().message << "\n" << rendered;
  EXPECT_EQ(render_config(*without_secret), rendered);
}

TEST(ConfigFile, RequiredKeyMissing) {
  const std::string message = error_of("[node]\nname = \"alice\"\n");
  EXPECT_NE(message.find("node.data_dir: required key is missing"), std::string::npos) << message;
}

TEST(ConfigFile, UnknownKeyIsRefused) {
  const std::string message = error_of(std::string(kMinimal) + "nmae = \"x\"\n");
  EXPECT_NE(message.find("test.toml:5: unknown key node.nmae"), std::string::npos) << message;
}

TEST(ConfigFile, UnknownTableIsRefused) {
  const std::string message = error_of(std::string(kMinimal) + "[gossip]\nfanout = 3\n");
  EXPECT_NE(message.find("unknown table [gossip]"), std::string::npos) << message;
}

TEST(ConfigFile, KeyOutsideATableIsRefused) {
  const std::string message = error_of("name = \"alice\"\n");
  EXPECT_NE(message.find("unknown table [name]"), std::string::npos) << message;
  const std::string array = error_of("[[node]]\nname = \"alice\"\n");
  EXPECT_NE(array.find("node: expected a table"), std::string::npos) << array;
}

TEST(ConfigFile, WrongTypeIsRefused) {
  std::string message = error_of(std::string(kMinimal) + "[transport]\nidle_timeout_ms = \"5s\"\n");
  EXPECT_NE(message.find("test.toml:6: transport.idle_timeout_ms: expected a positive integer "
                         "up to 604800000, got string"),
            std::string::npos)
      << message;
  message = error_of(std::string(kMinimal) + "[transport]\nidle_timeout_ms = 5.5\n");
  EXPECT_NE(message.find("transport.idle_timeout_ms: expected a positive integer up to 604800000, "
                         "got floating"),
            std::string::npos)
      << message;
  message = error_of("[node]\nname = 7\ndata_dir = \"d\"\n");
  EXPECT_NE(message.find("node.name: expected a string, got integer"), std::string::npos)
      << message;
  message = error_of(std::string(kMinimal) + "[connections]\naddresses = { bob = 4000 }\n");
  EXPECT_NE(message.find("connections.addresses.bob: expected a string, got integer"),
            std::string::npos)
      << message;
}

TEST(ConfigFile, OutOfRangeValueIsRefused) {
  const std::map<std::string, std::string> cases = {
      {"[transport]\nidle_timeout_ms = 0\n",
       "transport.idle_timeout_ms: expected a positive integer up to 604800000, got 0"},
      {"[transport]\nidle_timeout_ms = -5\n",
       "transport.idle_timeout_ms: expected a positive integer up to 604800000, got -5"},
      {"[processes]\nworker_threads = 100\n",
       "processes.worker_threads: expected a positive integer up to 64, got 100"},
      {"[trust]\nmode = \"maybe\"\n", "trust.mode: expected one of tofu, strict, got 'maybe'"},
      {"[log]\nlevel = \"loud\"\n", "log.level: expected one of trace, debug"},
      {"[log]\nformat = \"xml\"\n", "log.format: expected one of text, json, got 'xml'"},
      {"[connections]\nreaper_interval_ms = -1\n",
       "connections.reaper_interval_ms: expected a non-negative integer up to"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = error_of(std::string(kMinimal) + text);
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
}

TEST(ConfigFile, EveryIntegerKeyRefusesValuesBelowItsMinimum) {
  for (const ConfigKey& key : config_keys()) {
    if (key.rule.kind != KeyKind::integer) continue;
    // kMinimal ends inside [node]; other tables get their own header.
    const std::string header =
        key.table == "node" ? std::string() : "[" + std::string(key.table) + "]\n";
    const std::string text = std::string(kMinimal) + header + std::string(key.name) + " = " +
                             std::to_string(key.rule.min - 1) + "\n";
    const std::string message = error_of(text);
    EXPECT_NE(message.find(dotted_name(key) + ": expected "), std::string::npos) << message;
  }
}

TEST(ConfigFile, ValidateErrorsNameTheKey) {
  std::string message = error_of(std::string(kMinimal) + "[transport]\nkeep_alive_ms = 6000\n");
  EXPECT_NE(message.find("test.toml:6: transport.keep_alive_ms: must be positive and below "
                         "transport.idle_timeout_ms"),
            std::string::npos)
      << message;
  message = error_of("[node]\nname = \"no spaces\"\ndata_dir = \"d\"\n");
  EXPECT_NE(message.find("test.toml:2: node.name: 'no spaces' must be"), std::string::npos)
      << message;
  message = error_of(std::string(kMinimal) + "[node]\nlisten = \"nowhere\"\n");
  EXPECT_FALSE(message.empty());  // Heartbeats must come more often than the lease runs out (0
                                  // turns leases off).
  message = error_of(std::string(kMinimal) +
                     "[registry]\nlease_ms = 5000\nlease_renew_interval_ms = 5000\n");
  EXPECT_NE(message.find("registry.lease_renew_interval_ms: must be positive and below"),
            std::string::npos)
      << message;
  EXPECT_TRUE(parse_config(
      std::string(kMinimal) + "[registry]\nlease_ms = 0\nlease_renew_interval_ms = 5000\n",
      "test.toml"));
}

TEST(ConfigFile, SyntaxErrorNamesTheLine) {
  const std::string message = error_of("[node]\nname = \"alice\ndata_dir = 1\n");
  EXPECT_NE(message.find("test.toml:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("TOML syntax"), std::string::npos) << message;
}

TEST(ConfigFile, ClusterSecretAndSecretFileExcludeEachOther) {
  const std::string path = temp_file("secret3", "abc");
  const std::string message = error_of(
      std::string(kMinimal) + "[cluster]\nsecret = \"hunter2\"\nsecret_file = \"" + path + "\"\n");
  EXPECT_NE(message.find("cluster.secret: cannot be set together with cluster.secret_file"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos);
}

TEST(ConfigFile, MissingSecretFileIsNamed) {
  auto config = parse_config(
      std::string(kMinimal) + "[cluster]\nsecret_file = \"/nonexistent/secret\"\n", "t.toml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, Errc::not_found);
  EXPECT_NE(config.error().message.find("cluster.secret_file"), std::string::npos);
  EXPECT_NE(config.error().message.find("/nonexistent/secret"), std::string::npos);
}

TEST(ConfigFile, EmptySecretIsRefusedWithoutShowingIt) {
  auto assignment = parse_assignment("cluster.secret=");
  ASSERT_TRUE(assignment);
  const std::vector<ConfigOverride> overrides = {*assignment};
  const std::string message = error_of(kMinimal, overrides);
  EXPECT_NE(message.find("--set cluster.secret=<hidden>: cluster.secret: must not be empty"),
            std::string::npos)
      << message;
}

TEST(ConfigFile, EnvironmentOverrides) {
  const std::vector<std::string> environment = {
      "PATH=/usr/bin", "BARREL_TESTS=1", "BARREL_TRANSPORT_IDLE_TIMEOUT_MS=7000",
      "BARREL_CONNECTIONS_ADDRESSES=bob=10.0.0.2:4000,carol=h:1"};
  auto overrides = environment_overrides(environment);
  ASSERT_TRUE(overrides) << overrides.error().message;
  ASSERT_EQ(overrides->size(), 2u);
  EXPECT_EQ((*overrides)[0].key, "transport.idle_timeout_ms");
  auto config = parse_config(kMinimal, "test.toml", *overrides);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->idle_timeout, 7000ms);
  EXPECT_EQ(config->node_addresses.size(), 2u);
  EXPECT_EQ(config->node_addresses.at("carol"), "h:1");
}

TEST(ConfigFile, EnvironmentTypoIsRefused) {
  const std::vector<std::string> environment = {"BARREL_TRANSPORT_IDLE_TIMEOUT=7000"};
  auto overrides = environment_overrides(environment);
  ASSERT_FALSE(overrides);
  EXPECT_NE(overrides.error().message.find("BARREL_TRANSPORT_IDLE_TIMEOUT names no key"),
            std::string::npos)
      << overrides.error().message;
}

TEST(ConfigFile, EnvironmentValueOfWrongTypeNamesTheVariable) {
  const std::vector<std::string> environment = {"BARREL_TRANSPORT_IDLE_TIMEOUT_MS=5s"};
  auto overrides = environment_overrides(environment);
  ASSERT_TRUE(overrides);
  const std::string message = error_of(kMinimal, *overrides);
  EXPECT_NE(message.find(
                "environment variable BARREL_TRANSPORT_IDLE_TIMEOUT_MS: "
                "transport.idle_timeout_ms: expected a positive integer up to 604800000, got '5s'"),
            std::string::npos)
      << message;
}

TEST(ConfigFile, PrecedenceIsFileThenEnvironmentThenSet) {
  const std::string file = std::string(kMinimal) + "[transport]\nidle_timeout_ms = 5000\n" +
                           "[log]\nlevel = \"warn\"\n[trust]\nmode = \"strict\"\n";
  const std::vector<std::string> environment = {"BARREL_TRANSPORT_IDLE_TIMEOUT_MS=7000",
                                                "BARREL_LOG_LEVEL=error"};
  auto overrides = environment_overrides(environment);
  ASSERT_TRUE(overrides);
  auto assignment = parse_assignment("transport.idle_timeout_ms=9000");
  ASSERT_TRUE(assignment) << assignment.error().message;
  overrides->push_back(*assignment);
  auto config = parse_config(file, "test.toml", *overrides);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->idle_timeout, 9000ms);           // --set wins
  EXPECT_EQ(config->log_level, "error");             // environment beats the file
  EXPECT_EQ(config->trust_mode, TrustMode::strict);  // the file beats the default
}

TEST(ConfigFile, AssignmentErrors) {
  auto missing_equals = parse_assignment("log.level");
  ASSERT_FALSE(missing_equals);
  EXPECT_NE(missing_equals.error().message.find("expected table.key=value"), std::string::npos);
  auto unknown = parse_assignment("log.colour=red");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown key log.colour"), std::string::npos);
  auto value_with_equals = parse_assignment("connections.addresses=bob=h:1");
  ASSERT_TRUE(value_with_equals);
  EXPECT_EQ(value_with_equals->value, "bob=h:1");
}

TEST(ConfigFile, MissingFileIsNamed) {
  auto config = load_config_file("/nonexistent/node.toml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, Errc::not_found);
  EXPECT_NE(config.error().message.find("/nonexistent/node.toml"), std::string::npos);
}

TEST(ConfigFile, LoadsAFile) {
  const std::string path = temp_file("node.toml", std::string(kMinimal));
  auto config = load_config_file(path);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->node_name, "alice");
}

TEST(ConfigFile, ExampleFileParses) {
  const std::string path = std::string(BARREL_SOURCE_DIR) + "/examples/node.toml";
  auto config = load_config_file(path);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->membership.contacts, std::vector<std::string>{"127.0.0.1:4001"});
}

TEST(ConfigKeys, EveryKeyIsDocumented) {
  std::set<std::string> environment_names;
  for (const ConfigKey& key : config_keys()) {
    const std::string name = dotted_name(key);
    EXPECT_GE(key.doc.size(), 20u) << name << " needs a doc string";
    EXPECT_EQ(key.doc.back(), '.') << name << ": end the doc string with a full stop";
    EXPECT_EQ(key.doc.find('|'), std::string_view::npos) << name << ": '|' breaks the table";
    EXPECT_EQ(key.table.find('_'), std::string_view::npos) << name << ": see environment_name";
    EXPECT_NE(key.access.set, nullptr) << name;
    EXPECT_NE(key.access.show, nullptr) << name;
    EXPECT_FALSE(key.field.empty()) << name;
    EXPECT_TRUE(environment_names.insert(environment_name(key)).second) << name;
    if (!key.excludes.empty()) {
      EXPECT_NE(find_config_key(key.excludes), nullptr) << name;
    }
  }
}

TEST(ConfigKeys, ReferencePageEmbedsTheGeneratedTable) {
  const std::string path = std::string(BARREL_SOURCE_DIR) + "/docs/reference/configuration.md";
  std::ifstream in(path);
  ASSERT_TRUE(in.is_open()) << path;
  std::stringstream page;
  page << in.rdbuf();
  EXPECT_NE(page.str().find(render_reference_table()), std::string::npos)
      << path << " is out of date: paste the output of `barrel-p2p config reference` between "
      << "its generated-table markers";
}

}  // namespace
}  // namespace barrel_p2p::cli
