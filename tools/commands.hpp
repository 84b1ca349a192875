// Subcommands of the barrel-p2p CLI. Commands that take `exit_code` store their exit status
// there (0 ok, 1 failure, 2 bad input or configuration); `exit_code` must outlive the App.
#pragma once

#include <CLI/CLI.hpp>

namespace barrel_p2p::cli {

/// `barrel-p2p demo`: N node processes on loopback join, broadcast, lose a node and heal.
void add_demo_command(CLI::App& app);
/// `barrel-p2p demo-link`: two nodes in one process authenticate and exchange messages.
void add_demo_link_command(CLI::App& app);
/// `barrel-p2p keys ...`: generate, show and fingerprint identities; `keys trust ...`.
void add_keys_command(CLI::App& app, int& exit_code);
/// `barrel-p2p keys trust ...`: pin, unpin and list peer keys; show the trust mode.
void add_trust_command(CLI::App& keys, int& exit_code);
/// `barrel-p2p node --config FILE`: runs a node until SIGINT or SIGTERM.
void add_node_command(CLI::App& app, int& exit_code);
/// `barrel-p2p admin --connect ADDRESS RESOURCE`: reads one resource of a node's admin endpoint.
void add_admin_command(CLI::App& app, int& exit_code);
/// `barrel-p2p members|join|leave|info|broadcast|monitor`: operate a running node through its
/// admin endpoint, in Serf's manner.
void add_cluster_commands(CLI::App& app, int& exit_code);
/// `barrel-p2p config ...`: check a configuration file, print the key reference.
void add_config_command(CLI::App& app, int& exit_code);

}  // namespace barrel_p2p::cli
