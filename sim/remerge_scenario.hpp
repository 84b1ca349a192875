// The re-merge scenario (issue 12, decision 0012): a settled overlay is cut into `groups`
// groups of equal size (nodes assigned at random) for a while, then healed; the run measures
// whether and when the active-view graph is one component again, and the links opened per node
// per minute in the steady state before the cut (the cost of the healing mechanism when there
// is nothing to heal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/time.hpp"
#include "proto/hyparview/hyparview_config.hpp"

namespace barrel_p2p::sim {

struct RemergeParams {
  std::size_t nodes = 12;
  std::size_t groups = 2;
  std::uint64_t seed = 1;
  core::Duration settle = std::chrono::seconds(30);   ///< after the last join
  core::Duration steady = std::chrono::seconds(60);   ///< churn measured over this, before the cut
  core::Duration cut_for = std::chrono::seconds(60);  ///< partition length
  core::Duration limit = std::chrono::seconds(60);    ///< after the heal, at most
  /// After re-merging, churn is measured again over this (0: not measured).
  core::Duration after = core::Duration(0);
  hyparview::Config membership;  ///< remerge_contacts = 0 gives the published HyParView
};

struct RemergeOutcome {
  std::size_t components_cut = 0;  ///< components at the end of the cut
  /// Live nodes outside the `groups` largest components at the end of the cut: nodes that the
  /// cut left without a link into their own group's overlay (alone, or in a small island).
  std::size_t stray_nodes_cut = 0;
  std::optional<core::Duration> merged;     ///< one component again, after the heal
  double links_per_node_minute_before = 0;  ///< steady state before the cut
  double links_per_node_minute_after = 0;   ///< over `after`, once merged
  double links_per_node_heal = 0;           ///< links opened from the heal to one component
  std::uint64_t rejoin_probes = 0;          ///< summed over nodes, whole run
  std::uint64_t rejoins = 0;                ///< summed over nodes, whole run
  std::size_t full_views_at_end = 0;        ///< nodes with a full active view at the end
  std::size_t components_at_end = 0;
  /// The service registry on the same run: a name registered before the cut is in every
  /// live node's replica after this long (unset: not within 10 s)...
  std::optional<core::Duration> registry_reached;
  /// ...and every replica holds the same live entries this long after the heal (unset: not
  /// within `limit`), once each group registered a name of its own during the cut and one
  /// node of every group the same shared name.
  std::optional<core::Duration> registries_converged;
};

class Simulation;
/// Number of connected components of the active-view graph over live nodes.
std::size_t count_components(const Simulation& simulation);
/// Their sizes (live nodes in each), largest first.
std::vector<std::size_t> component_sizes(const Simulation& simulation);

/// Deterministic in `params.seed`. Overlays of up to 64 nodes are built by a join storm on
/// one contact within 100 ms; larger ones join through random earlier nodes 2 ms apart.
RemergeOutcome run_remerge(const RemergeParams& params);

}  // namespace barrel_p2p::sim
