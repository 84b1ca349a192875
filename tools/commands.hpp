// Subcommands of the barrel-p2p CLI.
#pragma once

#include <CLI/CLI.hpp>

namespace barrel_p2p::cli {

/// `barrel-p2p demo`: two nodes on loopback authenticate and exchange messages.
void add_demo_command(CLI::App& app);
/// `barrel-p2p keys ...`: generate, show and fingerprint identities.
void add_keys_command(CLI::App& app);

}  // namespace barrel_p2p::cli
