#include "node/peer_links.hpp"

#include <algorithm>

#include "core/assert.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p::node {

struct PeerLinks::Link {
  std::uint64_t connection = 0;
  bool is_client = false;
  std::string address;
  std::unique_ptr<auth::AuthSession> session;
  std::array<wire::FrameDecoder, 2> decoders;
  std::string peer;  // set once authenticated
  bool authenticated = false;
  core::Instant connected_at;  // link bytes possible (decision 0027): auth durations start here
  bool closing = false;
  std::string goodbye_reason;  // set when the peer said goodbye
  // A duplicate link being retired (see retire()): still delivers what the peer sent on it.
  bool retiring = false;
  bool peer_retired = false;  // the peer's retire marker arrived on the data stream
  core::Instant retire_deadline = core::Instant::never();  // retiring or quiet: close by then
  // Closed quietly (close_quietly()): our goodbyes are sent and the route is gone; the link
  // still delivers the peer's application frames and closes once its goodbyes arrived.
  bool quiet = false;
  std::array<bool, 2> peer_goodbye{};  // by Channel: the peer ended that stream with a goodbye

  Link(std::size_t max_frame)
      : decoders{wire::FrameDecoder(max_frame), wire::FrameDecoder(max_frame)} {}
};

PeerLinks::PeerLinks(LinkConfig config, std::string local_name, const auth::KeyPair& keys,
                     const auth::TrustStore& trust)
    : config_(std::move(config)), local_name_(std::move(local_name)), keys_(keys), trust_(trust) {}

PeerLinks::~PeerLinks() = default;

void PeerLinks::on_connected(core::Instant now, core::WallTime wall, core::Rng& rng,
                             std::uint64_t connection, bool is_client,
                             const std::array<std::uint8_t, 32>& server_cert_sha256,
                             std::string address, std::optional<auth::ExpectedPeer> expected,
                             bool takeover) {
  auto link = std::make_unique<Link>(config_.max_frame_size);
  link->connection = connection;
  link->connected_at = now;
  link->is_client = is_client;
  link->address = std::move(address);
  link->session = std::make_unique<auth::AuthSession>(
      config_.auth, local_name_, keys_, trust_, is_client ? auth::Role::client : auth::Role::server,
      server_cert_sha256, std::move(expected));
  if (takeover) link->session->request_takeover();
  link->session->start(now, wall, rng);
  Link& ref = *link;
  links_[connection] = std::move(link);
  pump_auth(ref, now, wall, &rng);
}

void PeerLinks::on_stream_data(core::Instant now, core::WallTime wall, core::Rng& rng,
                               std::uint64_t connection, Channel channel, core::ByteView data) {
  auto it = links_.find(connection);
  if (it == links_.end()) return;  // closed link: late bytes are ignored
  Link& link = *it->second;
  if (link.closing) return;
  wire::FrameDecoder& decoder = link.decoders[static_cast<std::size_t>(channel)];
  // Data frames may overtake the OK on the control stream: hold them (bounded) until then.
  if (!link.authenticated && channel == Channel::data &&
      decoder.buffered() + data.size() > config_.max_pre_auth_data) {
    violation(link, now, "too much data before authentication");
    return;
  }
  if (auto pushed = decoder.push(data); !pushed) {
    violation(link, now, pushed.error().message);
    return;
  }
  if (channel == Channel::data && !link.authenticated) return;
  drain_decoder(link, now, wall, rng, channel);
}

void PeerLinks::drain_decoder(Link& link, core::Instant now, core::WallTime wall, core::Rng& rng,
                              Channel channel) {
  wire::FrameDecoder& decoder = link.decoders[static_cast<std::size_t>(channel)];
  while (!link.closing) {
    auto frame = decoder.next();  // push() already validated every complete header
    if (!frame) return;
    handle_frame(link, now, wall, rng, channel, std::move(*frame));
  }
}

void PeerLinks::handle_frame(Link& link, core::Instant now, core::WallTime wall, core::Rng& rng,
                             Channel channel, wire::Frame&& frame) {
  if (frame.type == wire::FrameType::auth) {
    if (link.authenticated || channel != Channel::control) {
      violation(link, now, "authentication frame outside the handshake");
      return;
    }
    link.session->handle_message(now, wall, frame.payload, rng);
    pump_auth(link, now, wall, &rng);
    return;
  }
  if (!link.authenticated) {
    violation(link, now, "application frame before authentication");
    return;
  }
  if (frame.type == wire::FrameType::goodbye) {
    std::string text(frame.payload.begin(), frame.payload.end());
    if (channel == Channel::data && text == kRetiredMarker) {
      link.peer_retired = true;  // nothing more comes on this duplicate link
      if (link.retiring) close_link(link, CloseCode::duplicate_link, "duplicate link");
      return;
    }
    peer_goodbye(link, now, channel, std::move(text));
    return;
  }
  const bool expected_channel =
      wire::is_control_stream_frame(frame.type) == (channel == Channel::control);
  if (!expected_channel) {
    violation(link, now, "frame type does not match its stream");
    return;
  }
  // Once we closed the link quietly, the peer's application frames (process, control, data)
  // are still delivered; its membership, broadcast, registry and views frames are not: those
  // protocols already count the peer gone (PeerDown), and answering them would open links
  // again (a 1,000-node join made twice the links when they were delivered; decision 0030).
  if (link.quiet && frame.type != wire::FrameType::process &&
      frame.type != wire::FrameType::control && frame.type != wire::FrameType::data) {
    ++stats_.frames_dropped_closing;
    return;
  }
  if (frame_sink_ != nullptr && events_.empty()) {
    frame_sink_->on_frame(link.peer, frame.type, std::move(frame.payload));
  } else {
    events_.push_back(FrameReceived{link.peer, channel, std::move(frame.payload), frame.type});
  }
}

void PeerLinks::pump_auth(Link& link, core::Instant now, core::WallTime wall, core::Rng* rng) {
  while (auto message = link.session->poll_transmit()) {
    send_frame(link.connection, Channel::control, wire::FrameType::auth, *message);
  }
  while (auto event = link.session->poll_event()) {
    if (auto* ok = std::get_if<auth::Authenticated>(&*event)) {
      authenticated(link, *ok, now);
      // Data frames that arrived before the OK can now be delivered.
      if (link.authenticated && rng != nullptr) drain_decoder(link, now, wall, *rng, Channel::data);
    } else {
      const auto& failed = std::get<auth::Failed>(*event);
      ++stats_.auth_failed;
      stats_.auth_failed_duration.record(now - link.connected_at);
      ++stats_.auth_failed_by_reason[std::string(wire::auth_failure_name(failed.reason))];
      events_.push_back(AuthFailed{link.connection, link.address,
                                   std::string(link.session->peer_name()), failed.reason,
                                   failed.detail, failed.local});
      close_link(link, CloseCode::auth_failed,
                 "authentication failed: " + std::string(wire::auth_failure_name(failed.reason)));
    }
  }
}

bool PeerLinks::keeps_new_link(const Link& existing, const Link& candidate) const {
  // Both ends must pick the same survivor of a simultaneous dial: keep the connection dialed
  // by the node with the smaller name. Two dials from the same side keep the older one.
  auto dialer = [this](const Link& link) { return link.is_client ? local_name_ : link.peer; };
  const std::string existing_dialer = dialer(existing);
  const std::string candidate_dialer = dialer(candidate);
  if (existing_dialer == candidate_dialer) return false;
  return candidate_dialer < existing_dialer;
}

void PeerLinks::authenticated(Link& link, const auth::Authenticated& result, core::Instant now) {
  ++stats_.auth_succeeded;
  stats_.auth_succeeded_duration.record(now - link.connected_at);
  link.peer = result.peer_name;
  link.authenticated = true;
  events_.push_back(
      LinkAuthenticated{link.connection, link.peer, result.rotated_from, result.peer_key});
  auto route = routes_.find(link.peer);
  if (route != routes_.end()) {
    Link& existing = *links_.at(route->second);
    // A takeover (decision 0020) wins on both sides: both know it from the client's HELLO.
    if (!result.takeover && !keeps_new_link(existing, link)) {
      retire(link, now);
      return;
    }
    if (result.takeover) ++stats_.takeovers;
    route->second = link.connection;  // no PeerDown: the peer stays up on the new link
    retire(existing, now);
  } else {
    routes_.emplace(link.peer, link.connection);
    events_.push_back(
        PeerUp{link.connection, link.peer, result.peer_key, link.address, result.newly_trusted});
  }
  // Data frames that arrived before the OK can now be delivered, after any control frames.
}

void PeerLinks::retire(Link& link, core::Instant now) {
  // Both ends retire the same link (keeps_new_link() agrees on both sides), but either may
  // already have sent frames on it. Each end sends a marker as the last frame of its data
  // stream and keeps delivering the peer's frames; an end closes the link once it has the
  // peer's marker (so everything the peer sent on it arrived), and the close itself is
  // graceful (it waits until our own frames are acknowledged).
  ++stats_.duplicate_links_closed;
  link.retiring = true;
  link.retire_deadline = now + config_.retire_grace;
  send_frame(link.connection, Channel::data, wire::FrameType::goodbye,
             core::as_bytes(std::string_view(kRetiredMarker)));
  events_.push_back(LinkRetired{link.connection, link.peer});
  if (link.peer_retired) close_link(link, CloseCode::duplicate_link, "duplicate link");
}

void PeerLinks::begin_quiet_close(Link& link, core::Instant now, std::string_view reason,
                                  std::string down_reason) {
  // Each end ends both of its streams with a goodbye and sends nothing more on the link; an
  // end closes once it has both of the peer's, so every frame either end sent has arrived
  // (a stream is in order; the two streams are not, hence a goodbye on each).
  ++stats_.links_closed_quietly;
  link.quiet = true;
  link.retire_deadline = now + config_.retire_grace;
  send_frame(link.connection, Channel::control, wire::FrameType::goodbye, core::as_bytes(reason));
  send_frame(link.connection, Channel::data, wire::FrameType::goodbye,
             core::as_bytes(kClosingMarker));
  auto route = routes_.find(link.peer);
  if (route != routes_.end() && route->second == link.connection) {
    routes_.erase(route);  // a new frame for the peer needs a new link
    events_.push_back(PeerDown{link.peer, std::move(down_reason)});
  }
}

void PeerLinks::peer_goodbye(Link& link, core::Instant now, Channel channel, std::string text) {
  if (channel == Channel::control) link.goodbye_reason = std::move(text);
  link.peer_goodbye[static_cast<std::size_t>(channel)] = true;
  // A retired duplicate closes on the peer's retire marker; a goodbye on the control stream
  // alone comes from disconnect(), which closes the link itself.
  if (link.retiring || !link.peer_goodbye[0] || !link.peer_goodbye[1]) return;
  // Both of the peer's streams ended: everything it sent has arrived.
  if (!link.quiet) {
    // The peer closes the link quietly: our goodbyes tell it that all we sent arrived too
    // (the close below waits until they are acknowledged).
    const std::string reason = link.goodbye_reason;
    begin_quiet_close(link, now, reason,
                      reason.empty() ? std::string("peer left") : "peer left: " + reason);
  }
  close_link(link, CloseCode::closed_quietly, "closed quietly");
}

void PeerLinks::violation(Link& link, core::Instant now, std::string reason) {
  ++stats_.protocol_violations;
  if (!link.authenticated) {
    // Treat as a failed authentication so the failure is visible with the peer address.
    ++stats_.auth_failed;
    ++stats_.auth_failed_by_reason["protocol_violation"];
    stats_.auth_failed_duration.record(now - link.connected_at);
    events_.push_back(AuthFailed{link.connection, link.address,
                                 std::string(link.session->peer_name()),
                                 wire::AuthFailure::protocol_violation, reason, true});
  }
  close_link(link, CloseCode::protocol_violation, "protocol violation: " + reason);
}

void PeerLinks::close_link(Link& link, CloseCode code, std::string reason) {
  if (link.closing) return;
  link.closing = true;
  commands_.push_back(CloseConnection{link.connection, code, std::move(reason)});
}

void PeerLinks::on_closed(std::uint64_t connection, const std::string& reason) {
  auto it = links_.find(connection);
  if (it == links_.end()) return;
  std::unique_ptr<Link> link = std::move(it->second);
  links_.erase(it);
  if (!link->authenticated) return;
  auto route = routes_.find(link->peer);
  if (route == routes_.end() || route->second != connection) return;
  routes_.erase(route);
  std::string why = link->goodbye_reason.empty() ? reason : "peer left: " + link->goodbye_reason;
  events_.push_back(PeerDown{link->peer, std::move(why)});
}

std::optional<std::string> PeerLinks::peer_of(std::uint64_t connection) const {
  auto it = links_.find(connection);
  if (it == links_.end() || !it->second->authenticated) return std::nullopt;
  return it->second->peer;
}

Result<std::uint64_t> PeerLinks::route(std::string_view peer) const {
  auto it = routes_.find(peer);
  if (it == routes_.end()) {
    return fail(Errc::not_found, "no authenticated link to peer '" + std::string(peer) + "'");
  }
  return it->second;
}

Result<void> PeerLinks::disconnect(std::string_view peer, std::string_view reason) {
  auto it = routes_.find(peer);
  if (it == routes_.end()) {
    return fail(Errc::not_found, "no authenticated link to peer '" + std::string(peer) + "'");
  }
  Link& link = *links_.at(it->second);
  send_frame(link.connection, Channel::control, wire::FrameType::goodbye, core::as_bytes(reason));
  routes_.erase(it);
  link.authenticated = false;
  events_.push_back(PeerDown{std::string(peer), "disconnected: " + std::string(reason)});
  close_link(link, CloseCode::normal, std::string(reason));
  return {};
}

Result<void> PeerLinks::close_quietly(core::Instant now, std::string_view peer,
                                      std::string_view reason) {
  auto it = routes_.find(peer);
  if (it == routes_.end()) {
    return fail(Errc::not_found, "no authenticated link to peer '" + std::string(peer) + "'");
  }
  begin_quiet_close(*links_.at(it->second), now, reason, "disconnected: " + std::string(reason));
  return {};
}

std::vector<std::string> PeerLinks::peers() const {
  std::vector<std::string> names;
  names.reserve(routes_.size());
  for (const auto& [name, connection] : routes_) names.push_back(name);
  return names;
}

bool PeerLinks::dialed(std::string_view peer) const {
  auto route = routes_.find(peer);
  return route != routes_.end() && links_.at(route->second)->is_client;
}

void PeerLinks::send_frame(std::uint64_t connection, Channel channel, wire::FrameType type,
                           core::ByteView payload) {
  SendBytes command{connection, channel, {}};
  command.bytes.reserve(payload.size() + 16);
  wire::encode_frame_header(command.bytes, type, payload.size());
  command.bytes.insert(command.bytes.end(), payload.begin(), payload.end());
  commands_.push_back(std::move(command));
}

core::Instant PeerLinks::next_deadline() const {
  core::Instant deadline = core::Instant::never();
  for (const auto& [connection, link] : links_) {
    if (!link->authenticated && !link->closing) {
      deadline = std::min(deadline, link->session->next_deadline());
    }
    if ((link->retiring || link->quiet) && !link->closing) {
      deadline = std::min(deadline, link->retire_deadline);
    }
  }
  return deadline;
}

void PeerLinks::on_timeout(core::Instant now) {
  std::vector<Link*> due;
  for (auto& [connection, link] : links_) {
    if (!link->authenticated && !link->closing && link->session->next_deadline() <= now) {
      due.push_back(link.get());
    }
  }
  for (Link* link : due) {
    link->session->on_timeout(now);
    pump_auth(*link, now, core::WallTime{}, nullptr);
  }
  for (auto& [connection, link] : links_) {
    if (link->closing || link->retire_deadline > now) continue;
    if (link->retiring) {
      close_link(*link, CloseCode::duplicate_link, "duplicate link (no retire marker)");
    } else if (link->quiet) {
      close_link(*link, CloseCode::closed_quietly, "closed quietly (no goodbye from the peer)");
    }
  }
}

std::optional<LinkCommand> PeerLinks::poll_command() {
  if (commands_.empty()) return std::nullopt;
  return commands_.take_front();
}

std::optional<LinkEvent> PeerLinks::poll_event() {
  if (events_.empty()) return std::nullopt;
  return events_.take_front();
}

}  // namespace barrel_p2p::node
