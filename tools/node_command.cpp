// `barrel-p2p node --config FILE`: runs one node from a configuration file until SIGINT or
// SIGTERM, then stops it cleanly (peers see the close at once) and exits 0.
#include <signal.h>
#include <spdlog/fmt/ranges.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "barrel_p2p/files.hpp"
#include "barrel_p2p/log_format.hpp"
#include "barrel_p2p/node.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "http_admin.hpp"

namespace barrel_p2p::cli {

namespace {

/// spdlog formatter writing json_log_line() lines, as the node's own logger does with
/// log.format = "json".
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string line =
        json_log_line(msg.time, std::string_view(level.data(), level.size()),
                      std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                      std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

/// The CLI's own logger (stderr, the node's log level and format); the node has its own.
std::shared_ptr<spdlog::logger> make_logger(const Config& config) {
  auto logger = std::make_shared<spdlog::logger>(
      "barrel-p2p", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (config.log_format == "json") logger->set_formatter(std::make_unique<JsonLogFormatter>());
  logger->set_level(spdlog::level::from_str(config.log_level));
  return logger;
}

/// Logs what the node itself does not: each event is logged once. The node logs links up and
/// down, failed authentications and joining; this adds dropped messages (debug). Runs on the
/// node's loop thread, so it only logs: it must not block.
std::function<void(Event&&)> event_logger(std::shared_ptr<spdlog::logger> logger) {
  return [logger = std::move(logger)](Event&& event) {
    if (const auto* message = std::get_if<Message>(&event)) {
      // No application runs in `barrel-p2p node`: link messages are dropped.
      logger->debug("dropped a {}-byte message from {}", message->payload.size(), message->peer);
    }
  };
}

/// Logs membership events, except joining, which the node logs (on the loop thread: it only
/// logs).
std::function<void(const MembershipEvent&)> membership_logger(
    std::shared_ptr<spdlog::logger> logger) {
  return [logger = std::move(logger)](const MembershipEvent& event) {
    if (const auto* up = std::get_if<NeighborUp>(&event)) {
      logger->info("neighbor up: {} {}", up->node.name, up->node.address);
    } else if (const auto* down = std::get_if<NeighborDown>(&event)) {
      logger->info("neighbor down: {} ({})", down->node, down->reason);
    } else if (std::holds_alternative<Left>(event)) {
      logger->info("left the cluster");
    } else if (const auto* suspected = std::get_if<PartitionSuspected>(&event)) {
      logger->warn("partition suspected: {} active links failed at once", suspected->lost.size());
    } else if (const auto* healed = std::get_if<PartitionHealed>(&event)) {
      logger->info("partition healed: {} is reachable again", healed->node);
    }
  };
}

/// Blocks SIGINT and SIGTERM in the calling thread. Called before Node::start so that the
/// node's threads inherit the mask and the signals wait for sigwait() in run_node().
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

/// Options of `barrel-p2p node` beyond --config/--set.
struct NodeOptions {
  ConfigOptions config;
  std::vector<std::string> subscribe;      ///< broadcast tags whose deliveries are logged
  std::vector<std::string> services;       ///< names an echo process is registered under
  bool exit_with_parent = false;           ///< SIGTERM when the parent process exits
  std::string admin;                       ///< admin endpoint address; overrides admin.listen
  std::string admin_file;                  ///< where to write the bound admin address
  bool allow_insecure_file_modes = false;  ///< start despite group/other-readable secrets
  std::string log_format;                  ///< "text" or "json"; overrides log.format
};

/// Spawns a process that answers every call with its request and registers it as `name` in the
/// cluster-wide service registry: something to look up, call and watch in a demo or a test.
Result<Pid> register_echo_service(Node& node, const std::string& name) {
  auto pid = node.spawn([](Process& self, Envelope&& message) {
    if (message.kind == EnvelopeKind::call) (void)self.reply(message, message.payload);
  });
  if (!pid) return Unexpected(pid.error());
  if (auto registered = node.register_service(name, *pid, {}); !registered) {
    (void)node.exit(*pid, ExitReason::killed());
    return Unexpected(registered.error());
  }
  return pid;
}

/// Logs every broadcast under `tag` (on the loop thread). The payload is shown as text,
/// non-printable bytes as '.', at most 200 bytes.
std::function<void(const BroadcastMessage&)> broadcast_logger(
    std::shared_ptr<spdlog::logger> logger, std::string tag) {
  return [logger = std::move(logger), tag = std::move(tag)](const BroadcastMessage& message) {
    std::string text(message.payload.begin(),
                     message.payload.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                                   message.payload.size(), 200)));
    for (char& c : text) {
      if (c < 0x20 || c > 0x7e) c = '.';
    }
    logger->info("broadcast {} from {} ({} hops): {}", tag, message.origin, message.hops, text);
  };
}

/// The admin endpoint's settings: admin.listen (or --admin) and the token of
/// admin.token_file; an empty listen address when there is no endpoint. Checked before the node
/// starts, so a refused endpoint never leaves a node running. Errors: those of
/// read_admin_token() and check_admin_settings().
Result<AdminSettings> admin_settings(const Config& config, const NodeOptions& options) {
  AdminSettings settings{options.admin.empty() ? config.admin.listen : options.admin, {}};
  if (settings.listen.empty()) return settings;
  if (!config.admin.token_file.empty()) {
    auto token = read_admin_token(config.admin.token_file, config.allow_insecure_file_modes);
    if (!token) return Unexpected(token.error());
    settings.token = std::move(*token);
  }
  if (auto checked = check_admin_settings(settings); !checked) return Unexpected(checked.error());
  return settings;
}

/// Serves the admin endpoint (none when `settings.listen` is empty) and writes --admin-file
/// once it serves. Errors: those of HttpAdmin::start(), and io naming the --admin-file that
/// cannot be written (a script waiting for it would wait forever).
Result<std::unique_ptr<HttpAdmin>> serve_admin(Node& node, AdminSettings settings,
                                               const NodeOptions& options, spdlog::logger& logger) {
  if (settings.listen.empty()) return std::unique_ptr<HttpAdmin>();
  const bool with_token = !settings.token.empty();
  auto admin = HttpAdmin::start(node, std::move(settings));
  if (!admin) return admin;
  logger.info("admin endpoint on http://{}{}", (*admin)->address(),
              with_token ? " (bearer token required)" : "");
  if (!options.admin_file.empty()) {
    const std::string text = (*admin)->address() + "\n";
    auto written = write_file_atomic(options.admin_file, text, FileAccess::everyone);
    if (!written) {
      return fail(written.error().code,
                  "--admin-file " + options.admin_file + ": " + written.error().message);
    }
  }
  return admin;
}

int run_node(const NodeOptions& options) {
  if (options.exit_with_parent) prctl(PR_SET_PDEATHSIG, SIGTERM);
  auto config = load_config(options.config);
  if (!config) {
    std::fprintf(stderr, "barrel-p2p node: configuration error: %s\n",
                 config.error().message.c_str());
    return kExitUsage;
  }
  if (!options.log_format.empty()) config->log_format = options.log_format;
  auto logger = make_logger(*config);
  config->event_handler = event_logger(logger);
  if (options.allow_insecure_file_modes) config->allow_insecure_file_modes = true;
  auto settings = admin_settings(*config, options);
  if (!settings) return report("node", settings.error());
  const sigset_t stop_signals = block_stop_signals();
  auto node = Node::start(*config);
  if (!node) return report("node", node.error());
  logger->info("node {} started: cluster {}, listening on {}, fingerprint {}, trust mode {}",
               (*node)->name(), config->cluster_name, (*node)->address(), (*node)->fingerprint(),
               trust_mode_name((*node)->trust_mode()));
  logger->info("contact {}", (*node)->contact());  // to give peers: name, address and key

  // The node joins through membership.contacts by itself (retried while no peer is active);
  // the log shows how the active view changes.
  if (auto watched = (*node)->on_membership_event(membership_logger(logger)); !watched) {
    logger->warn("membership events will not be logged: {}", watched.error().message);
  }
  auto admin = serve_admin(**node, std::move(*settings), options, *logger);
  if (!admin) {
    (*node)->stop();
    return report("node", admin.error());
  }
  for (const auto& tag : options.subscribe) {
    if (auto subscribed = (*node)->subscribe(tag, broadcast_logger(logger, tag)); !subscribed) {
      return report("node", subscribed.error());
    }
  }
  for (const auto& name : options.services) {
    auto pid = register_echo_service(**node, name);
    if (!pid) {
      if (*admin) (*admin)->stop();
      (*node)->stop();
      return report("node",
                    Error{pid.error().code, "--service " + name + ": " + pid.error().message});
    }
    logger->info("service {} registered: echo process {}", name, pid->to_string());
  }
  if (!config->membership.contacts.empty()) {
    logger->info("joining through {}", fmt::join(config->membership.contacts, ", "));
  }

  int received = 0;
  while (sigwait(&stop_signals, &received) != 0) {
  }
  logger->info("received {}, stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
  if (*admin) (*admin)->stop();
  (*node)->stop();
  logger->info("node {} stopped", (*node)->name());
  return kExitOk;
}

}  // namespace

void add_node_command(CLI::App& app, int& exit_code) {
  auto* node = app.add_subcommand(
      "node",
      "run a node from a configuration file until SIGINT or SIGTERM (exit 2 on a "
      "configuration error)");
  auto options = std::make_shared<NodeOptions>();
  add_config_options(*node, options->config, true);
  node->add_option("--subscribe", options->subscribe,
                   "log every broadcast delivered under this tag (repeatable)");
  node->add_option("--service", options->services,
                   "register an echo process (it answers each call with its request) under this "
                   "service name, cluster-wide (repeatable)");
  node->add_option("--admin", options->admin,
                   "serve the HTTP admin endpoint on this address (e.g. 127.0.0.1:0; sets "
                   "admin.listen; off by default; not loopback: needs admin.token_file)");
  node->add_option("--admin-file", options->admin_file,
                   "write the admin endpoint's bound address to this file");
  node->add_option("--log-format", options->log_format,
                   "text or json: one JSON object per line (time, level, logger, msg) from the "
                   "node and this command; sets log.format")
      ->check(CLI::IsMember({"text", "json"}));
  node->add_flag("--allow-insecure-file-modes", options->allow_insecure_file_modes,
                 "start even when a secret file (keys/node.key, quic/node.key, "
                 "cluster.secret_file) is readable or writable by group or others (logged)");
  node->add_flag("--exit-with-parent", options->exit_with_parent,
                 "stop (as on SIGTERM) when the parent process exits")
      ->group("");
  node->callback([&exit_code, options] { exit_code = run_node(*options); });
}

}  // namespace barrel_p2p::cli
