// The commands that operate a running node through its admin endpoint, in Serf's manner:
// `members`, `services`, `rtt NODE`, `join ADDRESS`, `leave`, `info`, `broadcast TAG MESSAGE`
// and `monitor`.
// Each is one HTTP request (monitor: one event stream); see docs/reference/cli.md.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin_client.hpp"
#include "admin_target_options.hpp"
#include "cli_support.hpp"
#include "commands.hpp"

namespace barrel_p2p::cli {

namespace {

using Json = nlohmann::json;

/// An event stream with nothing, not even the endpoint's 10 s keep-alive, for this long is
/// taken for a lost connection.
constexpr std::chrono::seconds kMonitorIdleLimit{30};

/// Options shared by the commands: where the endpoint is, and the output format.
struct ClusterOptions {
  AdminTargetOptions target;
  std::string format = "table";
};

/// Prints "barrel-p2p COMMAND: HTTP status N: reason", the reason being the answer's "error"
/// member, or its body when it has none.
void print_refusal(std::string_view command, const AdminReply& reply) {
  const Json answer = Json::parse(reply.body, nullptr, false);
  const std::string why =
      answer.is_object() && answer.contains("error") && answer["error"].is_string()
          ? answer["error"].get<std::string>()
          : reply.body;
  std::fprintf(stderr, "barrel-p2p %.*s: HTTP status %d: %s\n", static_cast<int>(command.size()),
               command.data(), reply.status, why.c_str());
}

/// The JSON body of a 2xx answer to GET `path`, or an exit status (printed reason).
struct Fetched {
  Json body;
  int exit_status = kExitOk;
};

Fetched fetch(std::string_view command, const AdminTarget& target, const std::string& path) {
  auto reply = admin_get(target, path);
  if (!reply) return {{}, report(command, reply.error())};
  if (reply->status / 100 != 2) {
    print_refusal(command, *reply);
    return {{}, exit_status_for(reply->status)};
  }
  Json body = Json::parse(reply->body, nullptr, false);
  if (!body.is_object()) {
    std::fprintf(stderr, "barrel-p2p %.*s: no JSON object in the answer\n",
                 static_cast<int>(command.size()), command.data());
    return {{}, kExitFailure};
  }
  return {std::move(body), kExitOk};
}

/// POSTs `body` to `path` and prints `done` (with the answer) on success.
int act(std::string_view command, const AdminTargetOptions& options, const std::string& path,
        const Json& body, const std::string& done) {
  auto target = resolve_admin_target(options);
  if (!target) return report(command, target.error());
  auto reply = admin_post(*target, path, body.dump(-1, ' ', false, Json::error_handler_t::replace));
  if (!reply) return report(command, reply.error());
  if (reply->status / 100 == 2) {
    std::printf("%s\n", done.c_str());
    return kExitOk;
  }
  print_refusal(command, *reply);
  return exit_status_for(reply->status);
}

/// Runs `run`, turning an answer of an unexpected shape (nlohmann throws on a wrong type) into
/// exit status 1: nothing a node answers may abort the command.
template <typename Run>
int guarded(std::string_view command, Run run) {
  try {
    return run();
  } catch (const Json::exception& error) {
    std::fprintf(stderr, "barrel-p2p %.*s: unexpected answer from the node: %s\n",
                 static_cast<int>(command.size()), command.data(), error.what());
    return kExitFailure;
  }
}

std::string text_of(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

/// `text` percent-encoded for a query string (RFC 3986 unreserved characters kept).
std::string query_escaped(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[byte >> 4U], kHex[byte & 0xfU]};
    }
  }
  return out;
}

/// Prints rows as columns two spaces apart, each as wide as its widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

/// One row of `members`.
struct MemberRow {
  std::string name;
  std::string address;
  std::string status;  // self, active, passive, linked
};

std::vector<MemberRow> member_rows(const Json& members) {
  std::vector<MemberRow> rows = {
      {text_of(members["node"]["name"]), text_of(members["node"]["address"]), "self"}};
  const auto listed = [&rows](const std::string& name) {
    return std::any_of(rows.begin(), rows.end(),
                       [&](const MemberRow& row) { return row.name == name; });
  };
  for (const char* view : {"active", "passive"}) {
    for (const auto& node : members[view]) {
      if (!listed(text_of(node["name"]))) {
        rows.push_back({text_of(node["name"]), text_of(node["address"]), view});
      }
    }
  }
  for (const auto& name : members["connected"]) {
    if (!listed(text_of(name))) rows.push_back({text_of(name), "-", "linked"});
  }
  return rows;
}

int run_members(const ClusterOptions& options) {
  auto target = resolve_admin_target(options.target);
  if (!target) return report("members", target.error());
  const Fetched members = fetch("members", *target, "/v1/members");
  if (members.exit_status != kExitOk) return members.exit_status;
  if (options.format == "json") {
    std::printf("%s\n", members.body.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table = {{"NAME", "ADDRESS", "STATUS"}};
  for (auto& row : member_rows(members.body)) {
    table.push_back({std::move(row.name), std::move(row.address), std::move(row.status)});
  }
  print_table(table);
  return kExitOk;
}

/// Milliseconds with three decimals, from a whole number of microseconds.
std::string millis_text(const Json& micros) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f ms",
                static_cast<double>(micros.is_number() ? micros.get<std::int64_t>() : 0) / 1000.0);
  return text;
}

/// `rtt NODE`: the path statistics of the running node's link to NODE.
int run_rtt(const ClusterOptions& options, const std::string& peer) {
  auto target = resolve_admin_target(options.target);
  if (!target) return report("rtt", target.error());
  const Fetched fetched =
      fetch("rtt", *target, "/v1/connections/" + query_escaped(peer) + "?ping=1");
  if (fetched.exit_status != kExitOk) return fetched.exit_status;
  if (options.format == "json") {
    std::printf("%s\n", fetched.body.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  const Json& path = fetched.body["path"];
  const std::string ping = fetched.body.contains("ping_us")
                               ? millis_text(fetched.body["ping_us"])
                               : "none (" + text_of(fetched.body.value("ping_error", Json())) + ")";
  std::printf("%s -> %s: rtt %s (min %s, latest %s, variance %s), ping %s\n",
              text_of(fetched.body["node"]).c_str(), text_of(fetched.body["peer"]).c_str(),
              millis_text(path["smoothed_rtt_us"]).c_str(), millis_text(path["min_rtt_us"]).c_str(),
              millis_text(path["latest_rtt_us"]).c_str(),
              millis_text(path["rtt_variance_us"]).c_str(), ping.c_str());
  std::printf("  path %s -> %s (%s), cwnd %s B, in flight %s B, delivery %s B/s\n",
              text_of(path["local"]).c_str(), text_of(path["remote"]).c_str(),
              path.value("dialed", false) ? "dialed here" : "dialed by the peer",
              text_of(path["congestion_window"]).c_str(), text_of(path["bytes_in_flight"]).c_str(),
              text_of(path["delivery_rate"]).c_str());
  return kExitOk;
}

/// `services [--prefix P]`: every instance of every service name the node's registry holds.
int run_services(const ClusterOptions& options, const std::string& prefix) {
  auto target = resolve_admin_target(options.target);
  if (!target) return report("services", target.error());
  const Fetched services =
      fetch("services", *target, "/v1/services?prefix=" + query_escaped(prefix));
  if (services.exit_status != kExitOk) return services.exit_status;
  if (options.format == "json") {
    std::printf("%s\n", services.body.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "NODE", "PID", "METADATA"}};
  for (const auto& service : services.body["services"]) {
    for (const auto& instance : service["instances"]) {
      const std::string metadata = text_of(instance["metadata_hex"]);
      rows.push_back({text_of(service["name"]), text_of(instance["node"]), text_of(instance["pid"]),
                      metadata.empty() ? "-" : metadata});
    }
  }
  print_table(rows);
  return kExitOk;
}

int run_info(const ClusterOptions& options) {
  auto target = resolve_admin_target(options.target);
  if (!target) return report("info", target.error());
  Json info;
  for (const char* resource : {"members", "health", "stats"}) {
    Fetched fetched = fetch("info", *target, std::string("/v1/") + resource);
    if (fetched.exit_status != kExitOk) return fetched.exit_status;
    info[resource] = std::move(fetched.body);
  }
  if (options.format == "json") {
    std::printf("%s\n", info.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  const Json& node = info["members"]["node"];
  std::printf("node:\n  name = %s\n  address = %s\n  fingerprint = %s\n",
              text_of(node["name"]).c_str(), text_of(node["address"]).c_str(),
              text_of(node["fingerprint"]).c_str());
  std::printf("membership:\n  joined = %s\n  active_view = %zu\n  passive_view = %zu\n",
              text_of(info["health"]["joined"]).c_str(), info["members"]["active"].size(),
              info["members"]["passive"].size());
  std::printf("stats:\n");
  for (const auto& [name, value] : info["stats"].items()) {
    if (name != "node") std::printf("  %s = %s\n", name.c_str(), text_of(value).c_str());
  }
  return kExitOk;
}

/// "2026-12-05T17:00:00.123Z" for a Unix time in milliseconds.
std::string utc_text(std::int64_t unix_time_ms) {
  const auto seconds = static_cast<std::time_t>(unix_time_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof(text) - length, ".%03dZ",
                static_cast<int>(unix_time_ms % 1000));
  return text;
}

/// One line of `monitor`: time, type and what the event names.
std::string monitor_line(const Json& event) {
  std::string line = utc_text(event.value("time_ms", std::int64_t{0})) + " " +
                     event.value("type", std::string("?"));
  for (const char* field : {"node", "address", "reason"}) {
    if (event.contains(field)) line += " " + text_of(event[field]);
  }
  if (event.contains("lost") && event["lost"].is_array()) {
    for (const auto& name : event["lost"]) line += " " + text_of(name);
  }
  if (event.contains("missed")) line += " " + text_of(event["missed"]) + " events missed";
  return line;
}

struct MonitorOptions {
  ClusterOptions cluster;
  std::uint64_t since = 0;
  bool since_given = false;
  std::uint64_t count = 0;  // 0: until the stream ends
};

int run_monitor(const MonitorOptions& options) {
  auto target = resolve_admin_target(options.cluster.target);
  if (!target) return report("monitor", target.error());
  const std::string path =
      "/v1/events" + (options.since_given ? "?since=" + std::to_string(options.since) : "");
  std::uint64_t printed = 0;
  auto streamed = admin_stream(*target, path, kMonitorIdleLimit, [&](const StreamEvent& event) {
    Json data = Json::parse(event.data, nullptr, false);
    if (!data.is_object()) return true;  // not ours: skip it
    if (event.type == "missed") data["type"] = "missed";
    std::string line;
    try {  // a field of an unexpected type: print the event as JSON instead
      line = options.cluster.format == "json" ? std::string() : monitor_line(data);
    } catch (const Json::exception&) {
      line.clear();
    }
    if (line.empty()) line = data.dump(-1, ' ', false, Json::error_handler_t::replace);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    return options.count == 0 || ++printed < options.count;
  });
  if (!streamed) return report("monitor", streamed.error());
  if (options.count != 0 && printed >= options.count) return kExitOk;
  std::fprintf(stderr, "barrel-p2p monitor: the node ended the event stream\n");
  return kExitFailure;
}

CLI::App* add_cluster_command(CLI::App& app, const std::string& name, const std::string& about,
                              ClusterOptions& options, bool with_format) {
  auto* command = app.add_subcommand(name, about);
  add_admin_target_options(*command, options.target);
  if (with_format) {
    command->add_option("--format", options.format, "table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));
  }
  return command;
}

void add_actions(CLI::App& app, int& exit_code) {
  struct JoinOptions {
    ClusterOptions cluster;
    std::string address;
  };
  auto join = std::make_shared<JoinOptions>();
  add_cluster_command(app, "join", "make a running node join the cluster through ADDRESS",
                      join->cluster, false)
      ->add_option("address", join->address, "a node of the cluster, host:port (UDP)")
      ->required();
  app.get_subcommand("join")->callback([&exit_code, join] {
    exit_code = act("join", join->cluster.target, "/v1/join", {{"address", join->address}},
                    "joining through " + join->address);
  });

  auto leave = std::make_shared<ClusterOptions>();
  add_cluster_command(app, "leave", "make a running node leave the cluster (it keeps running)",
                      *leave, false)
      ->callback([&exit_code, leave] {
        exit_code = act("leave", leave->target, "/v1/leave", Json::object(), "left the cluster");
      });

  struct BroadcastOptions {
    ClusterOptions cluster;
    std::string tag;
    std::string message;
  };
  auto broadcast = std::make_shared<BroadcastOptions>();
  auto* command = add_cluster_command(app, "broadcast",
                                      "broadcast MESSAGE under TAG to every node of the cluster",
                                      broadcast->cluster, false);
  command->add_option("tag", broadcast->tag, "the tag subscribers listen to")->required();
  command->add_option("message", broadcast->message, "the payload (text)")->required();
  command->callback([&exit_code, broadcast] {
    exit_code = act("broadcast", broadcast->cluster.target, "/v1/broadcast",
                    {{"tag", broadcast->tag}, {"payload", broadcast->message}},
                    "broadcast " + std::to_string(broadcast->message.size()) + " bytes under " +
                        broadcast->tag);
  });
}

}  // namespace

void add_cluster_commands(CLI::App& app, int& exit_code) {
  auto members = std::make_shared<ClusterOptions>();
  add_cluster_command(app, "members",
                      "list a running node and the nodes it knows: its views and its links",
                      *members, true)
      ->callback([&exit_code, members] {
        exit_code = guarded("members", [&] { return run_members(*members); });
      });

  struct ServicesOptions {
    ClusterOptions cluster;
    std::string prefix;
  };
  auto services = std::make_shared<ServicesOptions>();
  add_cluster_command(app, "services",
                      "list the services a running node knows, cluster-wide: every instance "
                      "(node, pid, metadata in hex)",
                      services->cluster, true)
      ->add_option("--prefix", services->prefix, "only names starting with this");
  app.get_subcommand("services")->callback([&exit_code, services] {
    exit_code =
        guarded("services", [&] { return run_services(services->cluster, services->prefix); });
  });

  struct RttOptions {
    ClusterOptions cluster;
    std::string peer;
  };
  auto rtt = std::make_shared<RttOptions>();
  add_cluster_command(app, "rtt",
                      "show the round-trip time and path of a running node's link to NODE",
                      rtt->cluster, true)
      ->add_option("node", rtt->peer, "the peer (a node the running node has a link to)")
      ->required();
  app.get_subcommand("rtt")->callback([&exit_code, rtt] {
    exit_code = guarded("rtt", [&] { return run_rtt(rtt->cluster, rtt->peer); });
  });

  auto info = std::make_shared<ClusterOptions>();
  add_cluster_command(app, "info", "show a running node's identity, membership and counters", *info,
                      true)
      ->callback(
          [&exit_code, info] { exit_code = guarded("info", [&] { return run_info(*info); }); });

  add_actions(app, exit_code);

  auto monitor = std::make_shared<MonitorOptions>();
  auto* command =
      add_cluster_command(app, "monitor", "print a running node's membership events as they happen",
                          monitor->cluster, true);
  command->add_option("--since", monitor->since,
                      "start after event N (0: every event the node still keeps)");
  command->add_option("--count", monitor->count, "stop after N events (default: never)");
  command->callback([&exit_code, monitor, command] {
    monitor->since_given = command->count("--since") > 0;
    exit_code = guarded("monitor", [&] { return run_monitor(*monitor); });
  });
}

}  // namespace barrel_p2p::cli
