// Engine: cluster views. A gather asks every active peer for its views (views frames,
// wire/views_message.hpp) and completes once all answered, lost their link or the deadline
// passed; a ping is a gather of one linked peer. Peers answer from their Engine; nothing here
// calls the application.
#include <algorithm>

#include "node/engine.hpp"

namespace barrel_p2p::node {

namespace {
NodeViews to_node_views(std::string name, wire::ViewsReply&& reply) {
  NodeViews views;
  views.name = std::move(name);
  views.address = std::move(reply.address);
  for (auto& peer : reply.active) {
    views.active_view.push_back({std::move(peer.name), std::move(peer.address)});
  }
  views.passive_view_size = static_cast<std::size_t>(reply.passive_size);
  views.on_demand = std::move(reply.on_demand);
  return views;
}
}  // namespace

NodeViews Engine::own_views() const {
  NodeViews views;
  views.name = config_.node_name;
  views.address = config_.advertise_address;
  views.active_view = active_view();
  views.passive_view_size = membership_.passive_view().size();
  for (const std::string& peer : links_.peers()) {
    if (!membership_.is_active(peer)) views.on_demand.push_back(peer);
  }
  return views;
}

Result<std::uint64_t> Engine::gather_views(core::Instant now, core::Duration timeout) {
  std::vector<std::string> peers;
  for (const auto& peer : membership_.active_view()) peers.push_back(peer.name);
  return start_gather(now, timeout, peers);
}

Result<std::uint64_t> Engine::ping_peer(core::Instant now, const std::string& peer,
                                        core::Duration timeout) {
  if (!stopping_ && !links_.route(peer)) {
    return fail(Errc::not_found, "no authenticated link to '" + peer + "'");
  }
  return start_gather(now, timeout, {peer});
}

Result<std::uint64_t> Engine::start_gather(core::Instant now, core::Duration timeout,
                                           const std::vector<std::string>& peers) {
  now_ = now;
  if (stopping_) return fail(Errc::closed, "node is stopping");
  if (view_gathers_.size() >= kMaxViewGathers) {
    return fail(Errc::limit_reached, "too many cluster view requests in flight (" +
                                         std::to_string(kMaxViewGathers) + ")");
  }
  const std::uint64_t ref = next_view_gather_++;
  ViewGather& gather = view_gathers_[ref];
  gather.deadline = now + timeout;
  scratch_ = wire::encode_views(wire::ViewsRequest{ref});
  for (const std::string& peer : peers) {
    if (send_link_frame(peer, wire::FrameType::views, scratch_)) {
      gather.waiting.insert(peer);
    } else {
      gather.view.unanswered.push_back(peer);
    }
  }
  if (gather.waiting.empty()) finish_gather(ref);
  settle(now);
  return ref;
}

void Engine::on_views_frame(const std::string& peer, core::ByteView payload) {
  auto message = wire::decode_views(payload);
  if (!message) {
    close_on_violation(peer, "views frame: ", message.error().message);
    return;
  }
  if (auto* request = std::get_if<wire::ViewsRequest>(&*message)) {
    NodeViews own = own_views();
    wire::ViewsReply reply;
    reply.request = request->request;
    reply.address = std::move(own.address);
    for (auto& node : own.active_view) {
      reply.active.push_back({std::move(node.name), std::move(node.address)});
    }
    reply.passive_size = own.passive_view_size;
    reply.on_demand = std::move(own.on_demand);
    scratch_ = wire::encode_views(reply);
    (void)send_link_frame(peer, wire::FrameType::views, scratch_);  // a lost link: no answer
    return;
  }
  on_views_reply(peer, std::get<wire::ViewsReply>(std::move(*message)));
}

void Engine::on_views_reply(const std::string& peer, wire::ViewsReply&& reply) {
  // A reply nobody waits for (late, or to a gather already finished) is dropped.
  auto it = view_gathers_.find(reply.request);
  if (it == view_gathers_.end() || it->second.waiting.erase(peer) == 0) return;
  it->second.view.peers.push_back(to_node_views(peer, std::move(reply)));
  if (it->second.waiting.empty()) finish_gather(it->first);
}

void Engine::views_peer_lost(const std::string& peer) {
  std::vector<std::uint64_t> finished;
  for (auto& [ref, gather] : view_gathers_) {
    if (gather.waiting.erase(peer) == 0) continue;
    gather.view.unanswered.push_back(peer);
    if (gather.waiting.empty()) finished.push_back(ref);
  }
  for (const std::uint64_t ref : finished) finish_gather(ref);
}

void Engine::finish_gather(std::uint64_t ref) {
  auto it = view_gathers_.find(ref);
  ClusterView view = std::move(it->second.view);
  for (const std::string& peer : it->second.waiting) view.unanswered.push_back(peer);
  view_gathers_.erase(it);
  view.self = own_views();
  std::sort(view.peers.begin(), view.peers.end(),
            [](const NodeViews& a, const NodeViews& b) { return a.name < b.name; });
  std::sort(view.unanswered.begin(), view.unanswered.end());
  commands_.emplace_back(ViewsGathered{ref, std::move(view)});
}

void Engine::views_on_timeout(core::Instant now) {
  std::vector<std::uint64_t> expired;
  for (const auto& [ref, gather] : view_gathers_) {
    if (gather.deadline <= now || stopping_) expired.push_back(ref);
  }
  for (const std::uint64_t ref : expired) finish_gather(ref);
}

core::Instant Engine::views_deadline() const {
  core::Instant deadline = core::Instant::never();
  for (const auto& [ref, gather] : view_gathers_) deadline = std::min(deadline, gather.deadline);
  return deadline;
}

}  // namespace barrel_p2p::node
