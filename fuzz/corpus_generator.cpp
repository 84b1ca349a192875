// Writes the seed corpora under fuzz/corpus/ (auth_message, link_frame, process_message,
// hyparview_message, plumtree_message, pid, registry_delta, registry_message, views_message,
// stream_preamble, path_message) from the real encoders, so seeds stay valid when formats
// change. Usage: fuzz_corpus_generator <fuzz/corpus> Regenerate and commit the output after a
// wire format change.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "barrel_p2p/pid.hpp"
#include "proto/auth/contact.hpp"
#include "proto/hyparview/hyparview_message.hpp"
#include "proto/plumtree/plumtree_message.hpp"
#include "proto/registry/registry_message.hpp"
#include "proto/registry/service_registry.hpp"
#include "wire/auth_message.hpp"
#include "wire/link_frame.hpp"
#include "wire/path_message.hpp"
#include "wire/process_message.hpp"
#include "wire/rotation_record.hpp"
#include "wire/stream_preamble.hpp"
#include "wire/views_message.hpp"

namespace {

namespace wire = barrel_p2p::wire;
using barrel_p2p::core::Bytes;

bool write_file(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(file);
}

wire::RotationRecord sample_rotation_record() {
  wire::RotationRecord record;
  record.cluster_name = "prod";
  record.node_name = "node-2";
  record.old_key.fill(0x01);
  record.new_key.fill(0x02);
  record.sequence = 1;
  record.created_unix_ms = 1700000000123ULL;
  record.old_signature.fill(0x03);
  record.new_signature.fill(0x04);
  return record;
}

bool write_rotation_records(const std::filesystem::path& dir) {
  wire::RotationRecord long_names = sample_rotation_record();
  long_names.cluster_name = std::string(64, 'c');
  long_names.node_name = std::string(64, 'n');
  long_names.sequence = ~0ULL;
  return write_file(dir / "record", wire::encode(sample_rotation_record())) &&
         write_file(dir / "record_long_names", wire::encode(long_names));
}

bool write_auth_messages(const std::filesystem::path& dir) {
  wire::Hello hello{wire::kAuthProtocolVersion, "prod", "node-1.eu_west", {}, false, {}};
  for (std::size_t i = 0; i < hello.public_key.size(); ++i) {
    hello.public_key[i] = static_cast<std::uint8_t>(i * 7);
  }
  wire::Challenge challenge{{}, 1700000000123ULL};
  challenge.nonce.fill(0x5a);
  wire::Response response;
  response.signature.fill(0x11);
  response.cluster_mac.fill(0x22);
  const std::pair<const char*, wire::AuthMessage> seeds[] = {
      {"hello", hello},
      {"hello_long_names",
       wire::Hello{1, std::string(64, 'c'), std::string(64, 'n'), {}, false, {}}},
      {"hello_takeover", wire::Hello{1, "prod", "node-2", {}, true, {}}},
      {"hello_rotation", wire::Hello{1, "prod", "node-2", {}, false, sample_rotation_record()}},
      {"hello_takeover_rotation",
       wire::Hello{1, "prod", "node-2", {}, true, sample_rotation_record()}},
      {"challenge", challenge},
      {"response", response},
      {"ok", wire::Ok{}},
      {"reject_empty", wire::Reject{wire::AuthFailure::budget_exceeded, ""}},
      {"reject_detail",
       wire::Reject{wire::AuthFailure::key_mismatch, "peer 'b' presented SHA256:00 but 11"}},
  };
  bool ok = true;
  for (const auto& [name, message] : seeds)
    ok = write_file(dir / name, wire::encode(message)) && ok;
  return ok;
}

// Link frame inputs: chunking seed byte | payload limit byte | frame stream.
Bytes link_input(std::uint8_t seed, std::uint8_t limit, const Bytes& stream) {
  Bytes out{seed, limit};
  out.insert(out.end(), stream.begin(), stream.end());
  return out;
}

bool write_link_frames(const std::filesystem::path& dir) {
  Bytes single;
  wire::encode_frame(single, wire::FrameType::data, Bytes{1, 2, 3});
  Bytes several;
  wire::encode_frame(several, wire::FrameType::auth, wire::encode(wire::Ok{}));
  wire::encode_frame(several, wire::FrameType::control, Bytes(70, 0xc0));
  wire::encode_frame(several, wire::FrameType::data, Bytes{});
  wire::encode_frame(several, wire::FrameType::goodbye, Bytes{'b', 'y', 'e'});
  Bytes truncated = several;
  truncated.resize(truncated.size() - 2);
  Bytes at_limit;
  wire::encode_frame(at_limit, wire::FrameType::data, Bytes(255, 0xee));
  const std::pair<const char*, Bytes> seeds[] = {
      {"single", link_input(0, 16, single)},
      {"several_chunked", link_input(7, 100, several)},
      {"several_whole", link_input(0, 100, several)},
      {"truncated_tail", link_input(3, 100, truncated)},
      {"at_limit", link_input(9, 255, at_limit)},
      {"oversize", link_input(1, 200, at_limit)},
      {"unknown_type", link_input(2, 16, Bytes{0x05, 0x00})},
      {"empty_stream", link_input(0, 0, Bytes{})},
  };
  bool ok = true;
  for (const auto& [name, input] : seeds) ok = write_file(dir / name, input) && ok;
  return ok;
}

// Writes seed-0, seed-1, ... (one file per encoded message).
bool write_seeds(const std::filesystem::path& dir, const std::vector<Bytes>& seeds) {
  bool ok = true;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    ok = write_file(dir / ("seed-" + std::to_string(i)), seeds[i]) && ok;
  }
  return ok;
}

std::vector<Bytes> process_messages() {
  const Bytes payload{'h', 'e', 'l', 'l', 'o'};
  const wire::LocalPid a{7, 0x1122334455667788ULL};
  const wire::LocalPid b{300, 42};
  std::vector<Bytes> out;
  for (const wire::ProcessMessage& message : std::vector<wire::ProcessMessage>{
           wire::Send{a, wire::Target::of(b), payload},
           wire::Send{a, wire::Target::named("registry"), payload},
           wire::Call{1, a, wire::Target::of(b), payload},
           wire::Reply{9, a, wire::ReplyStatus::ok, payload}, wire::Rpc{3, a, "add", payload},
           wire::Monitor{4, a, wire::Target::named("svc")}, wire::MonitorAck{4, a, b},
           wire::Demonitor{4, a},
           wire::Down{4, a, b, wire::Reason{wire::ReasonCode::user, "crashed"}}, wire::Link{a, b},
           wire::LinkAck{a, b}, wire::Unlink{a, b},
           wire::Exit{a, b, wire::Reason{wire::ReasonCode::killed, ""}, false}}) {
    out.push_back(wire::encode_process_message(message));
  }
  return out;
}

std::vector<Bytes> hyparview_messages() {
  namespace hv = barrel_p2p::hyparview;
  const hv::PeerInfo a{"alpha", "10.0.0.1:4000"};
  const hv::PeerInfo b{"beta", ""};
  std::vector<Bytes> out;
  for (const hv::Message& message : std::vector<hv::Message>{
           hv::Join{a}, hv::ForwardJoin{a, 6}, hv::JoinReply{b}, hv::Neighbor{a, true, false},
           hv::NeighborReply{b, false, {a}}, hv::Disconnect{true, {}}, hv::Shuffle{a, 6, {a, b}},
           hv::ShuffleReply{{b}}}) {
    out.push_back(hv::encode(message));
  }
  return out;
}

std::vector<Bytes> plumtree_messages() {
  namespace pt = barrel_p2p::plumtree;
  pt::MessageId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(i);
  std::vector<Bytes> out;
  for (const pt::Message& message :
       std::vector<pt::Message>{pt::Gossip{id, 3, "origin-node", "topic", {1, 2, 3}},
                                pt::IHave{{{id, 2}}}, pt::Graft{{id}}, pt::Prune{}}) {
    out.push_back(pt::encode(message));
  }
  return out;
}

// Registry deltas made by the real core: adds, a re-registration, removes, a node prune and
// full states (several nodes, floors, tombstones), plus the empty delta.
std::vector<Bytes> registry_deltas() {
  namespace reg = barrel_p2p::registry;
  using barrel_p2p::core::WallTime;
  const WallTime now{1'700'000'000'000};
  reg::ServiceRegistry a(reg::Config{}, "alpha", now);
  reg::ServiceRegistry b(reg::Config{}, "beta", now);
  std::vector<Bytes> out;
  auto keep = [&](const barrel_p2p::Result<reg::Delta>& delta, reg::ServiceRegistry* also) {
    if (!delta) return;
    out.push_back(reg::encode(*delta));
    if (also != nullptr) (void)also->merge(now, *delta);
  };
  keep(a.add(now, "db", Bytes{1, 2, 3}, Bytes{'v', '1'}), &b);
  keep(a.add(now, "db", Bytes{1, 2, 3}, Bytes{'v', '2'}), &b);  // replaces: a removed dot
  keep(b.add(now, "svc.web", Bytes(40, 0x7e), Bytes(200, 'm')), &a);
  keep(b.add(now, "svc.db", Bytes{9}, {}), &a);
  keep(b.remove("db"), nullptr);  // a's entry: a tombstone on b
  keep(a.remove_entry("svc.db", "beta", Bytes{9}), nullptr);
  keep(b.remove_node("alpha"), nullptr);
  out.push_back(reg::encode(a.export_state()));
  out.push_back(reg::encode(b.export_state()));
  out.push_back(reg::encode(reg::Delta{}));
  return out;
}

// Registry messages: a DELTA of each cause, a DIGEST, STATEs (empty and not) each way and one
// with exit causes, two
// ROUTE_REQUESTs and a ROUTE_REPLY.
std::vector<Bytes> registry_messages() {
  namespace reg = barrel_p2p::registry;
  const std::vector<Bytes> deltas = registry_deltas();
  std::vector<Bytes> out;
  out.push_back(reg::encode_delta_message(deltas.front()));
  out.push_back(reg::encode_delta_message(deltas[4], reg::ExitCause{5, "crashed"}));
  out.push_back(reg::encode_digest_message(reg::digest_of(deltas.back())));
  out.push_back(reg::encode_state_message(deltas.back(), true));
  out.push_back(reg::encode_state_message(deltas[deltas.size() - 2], false));
  out.push_back(reg::encode_state_message(
      deltas.back(), true,
      {reg::DotCause{"alpha", {1'700'000'000'000, 2}, reg::ExitCause{5, "crashed"}},
       reg::DotCause{"beta", {1'700'000'000'001, 0}, reg::ExitCause{1, ""}}}));
  out.push_back(
      reg::encode_route_request({0x0102030405060708ULL, 6, "alpha", "10.0.0.1:7000", "svc.web"}));
  out.push_back(reg::encode_route_request({9, 0, "node-2", "", "db"}));
  // A reply holds entries only: a slice per node without floor or removed dots.
  reg::ServiceRegistry answer(reg::Config{}, "beta", barrel_p2p::core::WallTime{1'700'000'000'000});
  (void)answer.add(barrel_p2p::core::WallTime{1'700'000'000'000}, "svc.web", Bytes{1, 2, 3},
                   Bytes{'m'});
  reg::Delta reply;
  for (const reg::Instance& instance : answer.lookup("svc.web")) {
    reply.nodes.push_back(reg::NodeSlice{
        instance.node, {}, {}, {{instance.stamp, "svc.web", instance.pid, instance.metadata}}});
  }
  out.push_back(reg::encode_route_reply(0x0102030405060708ULL, reg::encode(reply)));
  out.push_back(reg::encode_heartbeat("beta", barrel_p2p::hlc::Timestamp{1'700'000'000'000, 3}));
  out.push_back(reg::encode_heartbeat(std::string(64, 'n'), barrel_p2p::hlc::Timestamp{}));
  return out;
}

// Views messages: a REQUEST, REPLYs empty, typical and at every bound.
std::vector<Bytes> views_messages() {
  wire::ViewsReply typical;
  typical.request = 42;
  typical.address = "127.0.0.1:4000";
  typical.active = {{"bravo", "127.0.0.1:4001"}, {"charlie", "[::1]:4002"}};
  typical.passive_size = 17;
  typical.on_demand = {"delta"};
  wire::ViewsReply full;
  full.request = (std::uint64_t{1} << 62U) - 1;
  full.address = std::string(255, 'a');
  full.active.assign(wire::kMaxViewsActive, {std::string(64, 'n'), std::string(255, 'b')});
  full.passive_size = wire::kMaxViewsCount;
  full.on_demand.assign(wire::kMaxViewsOnDemand, std::string(64, 'o'));
  return {wire::encode_views(wire::ViewsRequest{1}), wire::encode_views(wire::ViewsReply{}),
          wire::encode_views(typical), wire::encode_views(full)};
}

// Stream preambles: shortest, longest one-byte length, two-byte lengths up to the bound, a
// preamble followed by application data, and a reserved tag (refused later, not by the decoder).
std::vector<Bytes> stream_preambles() {
  std::vector<Bytes> out;
  for (const std::string& tag :
       {std::string("a"), std::string(63, 't'), std::string(64, 'u'),
        std::string(wire::kMaxStreamTagSize, 'v'), std::string("barrel_p2p:internal")}) {
    out.push_back(wire::encode_stream_preamble(tag));
  }
  Bytes with_data = wire::encode_stream_preamble("files");
  with_data.insert(with_data.end(), {0x01, 0x02, 0x03});
  out.push_back(with_data);
  return out;
}

// Path messages: MOVEs (IPv4, bracketed IPv6, the longest address), a MOVED, REFUSEDs empty,
// typical and at the bound (the largest message).
std::vector<Bytes> path_messages() {
  std::vector<Bytes> out;
  for (const wire::PathMessage& message : std::vector<wire::PathMessage>{
           {wire::PathMessageType::move, "10.0.0.2:4000"},
           {wire::PathMessageType::move, "[2001:db8::1]:65535"},
           {wire::PathMessageType::move, std::string(wire::kMaxPathAddressSize, 'a')},
           {wire::PathMessageType::moved, ""},
           {wire::PathMessageType::refused, ""},
           {wire::PathMessageType::refused, "connect to 10.0.0.2:4000 timed out"},
           {wire::PathMessageType::refused, std::string(wire::kMaxPathReasonSize, 'r')},
           {wire::PathMessageType::unable, "the new path failed validation"}}) {
    out.push_back(wire::encode_path_message(message));
  }
  return out;
}

}  // namespace

// Pid inputs: text forms (Pid::parse) and binary forms (Pid::serialize); the target tries each
// input as both.
bool write_pids(const std::filesystem::path& dir) {
  using barrel_p2p::Pid;
  const Pid pids[] = {
      {"alpha", 7, 0x9f3c01aa42d0be11ULL},
      {"node-1.eu_west", 1, 0},
      {std::string(64, 'n'), (std::uint64_t{1} << 62U) - 1, ~std::uint64_t{0}},
      {"b", 0, 22},  // an anonymous sender
  };
  bool ok = true;
  int index = 0;
  for (const Pid& pid : pids) {
    const std::string text = pid.to_string();
    ok = write_file(dir / ("text-" + std::to_string(index)), Bytes(text.begin(), text.end())) && ok;
    ok = write_file(dir / ("binary-" + std::to_string(index)), pid.serialize()) && ok;
    ++index;
  }
  const std::string edge_texts[] = {"<alpha.007.00FF>", "<alpha.4611686018427387904.1>",
                                    "<alpha.18446744073709551615.1>"};
  for (const std::string& text : edge_texts) {
    ok = write_file(dir / ("text-" + std::to_string(index++)), Bytes(text.begin(), text.end())) &&
         ok;
  }
  ok = write_file(dir / "binary-default", Pid{}.serialize()) && ok;
  return ok;
}

// Contact strings (auth::parse_contact_or_address): contacts made by format_contact(), a plain
// address, and near misses.
std::vector<Bytes> contact_strings() {
  barrel_p2p::auth::PublicKey key;
  key.bytes.fill(0x5a);
  const std::string texts[] = {
      barrel_p2p::auth::format_contact("bob", "127.0.0.1:4000", key),
      barrel_p2p::auth::format_contact(std::string(64, 'n'), "[::1]:65535", key),
      barrel_p2p::auth::format_contact("node-1.eu_west", "localhost:1", key),
      "10.0.0.1:4000",
      "bob@127.0.0.1:4000",
      "bob@127.0.0.1:4000#SHA256:",
  };
  std::vector<Bytes> out;
  for (const std::string& text : texts) out.emplace_back(text.begin(), text.end());
  return out;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <fuzz/corpus directory>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root(argv[1]);
  std::error_code error;
  std::filesystem::create_directories(root / "auth_message", error);
  std::filesystem::create_directories(root / "link_frame", error);
  for (const char* family : {"process_message", "hyparview_message", "plumtree_message", "pid",
                             "registry_delta", "contact", "registry_message", "views_message",
                             "stream_preamble", "rotation_record", "path_message"}) {
    std::filesystem::create_directories(root / family, error);
  }
  if (!write_auth_messages(root / "auth_message") || !write_link_frames(root / "link_frame") ||
      !write_seeds(root / "process_message", process_messages()) ||
      !write_seeds(root / "hyparview_message", hyparview_messages()) ||
      !write_seeds(root / "plumtree_message", plumtree_messages()) || !write_pids(root / "pid") ||
      !write_seeds(root / "registry_delta", registry_deltas()) ||
      !write_seeds(root / "contact", contact_strings()) ||
      !write_seeds(root / "registry_message", registry_messages()) ||
      !write_seeds(root / "views_message", views_messages()) ||
      !write_seeds(root / "stream_preamble", stream_preambles()) ||
      !write_rotation_records(root / "rotation_record") ||
      !write_seeds(root / "path_message", path_messages())) {
    std::fprintf(stderr, "failed to write the corpus under %s\n", root.c_str());
    return 1;
  }
  return 0;
}
