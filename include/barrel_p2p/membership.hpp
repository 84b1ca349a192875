// Membership (HyParView) and gossip broadcast (Plumtree) as the application sees them.
// See docs/concepts/membership.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace barrel_p2p {

/// A node as membership knows it: its name and the address it advertises.
struct NodeInfo {
  std::string name;     ///< Its node name.
  std::string address;  ///< "host:port"; empty when not known.
  /// Equal name and address.
  friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

/// One node's views as it reports them (Node::cluster_view()).
struct NodeViews {
  std::string name;                   ///< The reporting node.
  std::string address;                ///< The address it advertises; empty when not known.
  std::vector<NodeInfo> active_view;  ///< Its gossip peers (HyParView active view).
  std::size_t passive_view_size = 0;  ///< How many nodes its passive view holds.
  /// Nodes it holds an authenticated link to outside its active view (on-demand links); a
  /// peer's report lists at most 64.
  std::vector<std::string> on_demand;
  /// Member-wise equality.
  friend bool operator==(const NodeViews&, const NodeViews&) = default;
};

/// The cluster as one node sees it and as its active peers report it (Node::cluster_view()).
/// No node sees the whole overlay: links between two nodes that are neither this node nor one
/// of its active peers do not appear.
struct ClusterView {
  NodeViews self;                ///< This node's own views.
  std::vector<NodeViews> peers;  ///< One per active peer that answered, ordered by name.
  /// Active peers that did not answer in time or whose link was lost first, ordered by name.
  std::vector<std::string> unanswered;
};

/// A node entered our active view (we gossip with it over a kept link).
struct NeighborUp {
  NodeInfo node;  ///< The new neighbour and the address it advertises.
};
/// A node left our active view. `reason`: "failed" (its link was lost), "disconnected" (it
/// dropped us), "evicted" (we made room), "left" (it left the cluster), "we_left".
struct NeighborDown {
  std::string node;    ///< The neighbour that left.
  std::string reason;  ///< One of the reasons above.
};
/// Our active view became non-empty for the first time after join().
struct Joined {};
/// We left the cluster (leave()).
struct Left {};
/// Local evidence of a partition: two or more of our active links failed within 10 s. A cut
/// and that many crashed neighbours look the same from one node; `lost` names the peers.
/// Each lost peer is then probed until it is reachable again (docs/concepts/membership.md,
/// "Re-merge after a partition").
struct PartitionSuspected {
  std::vector<std::string> lost;  ///< The peers whose links failed, by name.
};
/// After PartitionSuspected: a peer lost then is linked again, so the cut between us and it is
/// gone. It does not say that every group re-merged: no node sees the whole overlay.
struct PartitionHealed {
  std::string node;  ///< The lost peer that is linked again.
};

/// A membership event, as Node::on_membership_event() handlers receive it.
using MembershipEvent =
    std::variant<NeighborUp, NeighborDown, Joined, Left, PartitionSuspected, PartitionHealed>;

/// A broadcast as delivered to subscribers: exactly once per node.
struct BroadcastMessage {
  std::string origin;                 ///< The node that broadcast it.
  std::string tag;                    ///< The tag it was broadcast under.
  std::vector<std::uint8_t> payload;  ///< The application's bytes.
  std::uint32_t hops = 0;             ///< Overlay hops it travelled to reach us (0 at the origin).
};

/// Membership and broadcast settings (Config::membership). Defaults are the paper's.
struct MembershipConfig {
  /// Contacts tried at start, until one answers (retried every contact_retry while the active
  /// view is empty): "host:port" each, or a contact string "name@host:port#SHA256:<hex>"
  /// whose name and key the node there must prove (Node::connect()).
  std::vector<std::string> contacts;
  /// Between join attempts while the active view is empty; each wait is jittered to 0.5-1.5
  /// times this, so nodes started together do not retry in step.
  std::chrono::milliseconds contact_retry{1'000};
  /// The address other nodes should dial to reach us (empty: the bound address).
  std::string advertise_address;
  /// Gossip peers kept connected (HyParView active view, 1-64); the same on every node.
  std::size_t active_view_size = 5;
  /// Known peers kept, unconnected, to replace failed active peers (at most 1024).
  std::size_t passive_view_size = 30;
  /// Hops a JOIN travels (FORWARD_JOIN time to live, 1-32).
  std::size_t active_random_walk = 6;
  /// The hop of a JOIN's walk at which the joiner enters the passive view (at most
  /// active_random_walk).
  std::size_t passive_random_walk = 3;
  /// Between SHUFFLEs (passive view refresh); the first comes 0.05 to 0.15 intervals after start.
  std::chrono::milliseconds shuffle_interval{10'000};
  /// Peers offered in one SHUFFLE (2-64).
  std::size_t shuffle_size = 8;
  /// Time a broadcast announced by IHAVE may take to arrive before we GRAFT it.
  std::chrono::milliseconds ihave_timeout{400};
  /// Largest broadcast payload (also capped by max_frame_size - 512).
  std::size_t max_broadcast_size = 1024 * 1024;
};

}  // namespace barrel_p2p
