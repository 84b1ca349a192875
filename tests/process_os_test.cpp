// Processes across two OS processes: the child runs node "remote" with an echo service and
// an rpc that tells its pid; the parent calls it, monitors it, then kills the child with
// SIGKILL (no goodbye, no close) and expects noconnection within the idle timeout.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "support/process_cluster.hpp"

namespace barrel_p2p::testing {
namespace {

constexpr auto kIdle = 2s;

[[noreturn]] void run_child(const std::filesystem::path& root) {
  Config config = test_config("remote", root / "remote");
  config.endpoint_dir = root / "endpoints";
  config.idle_timeout = kIdle;
  config.keep_alive = 500ms;
  auto node = Node::start(std::move(config));
  if (!node) _exit(3);
  SpawnOptions options;
  options.name = "echo";
  auto echo = (*node)->spawn(echo_handler(), options);
  if (!echo) _exit(4);
  Pid pid = *echo;
  auto told = (*node)->register_function(
      "echo_pid", [pid](BytesView) -> Result<Bytes> { return pid.serialize(); });
  if (!told) _exit(5);
  std::ofstream(root / "child.ready") << "ready\n";
  for (int i = 0; i < 600; ++i) std::this_thread::sleep_for(100ms);  // killed long before
  _exit(0);
}

TEST(ProcessOs, CallMonitorAndKillAcrossOsProcesses) {
  TempDir dir;
  // Fork before this process starts any thread.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) run_child(dir.path());
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{child};
  for (int i = 0; i < 200 && !std::filesystem::exists(dir.sub("child.ready")); ++i) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(std::filesystem::exists(dir.sub("child.ready")));

  Config config = test_config("local", dir.sub("local"));
  config.endpoint_dir = dir.sub("endpoints");
  config.idle_timeout = kIdle;
  config.keep_alive = 500ms;
  auto node = start_node(std::move(config));
  ASSERT_TRUE(node);
  auto pid_bytes = node->rpc("remote", "echo_pid", {}, 10s).get();
  ASSERT_TRUE(pid_bytes) << pid_bytes.error().to_string();
  auto echo = Pid::deserialize(*pid_bytes);
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->node, "remote");

  auto mailbox = node->mailbox();
  ASSERT_TRUE(mailbox);
  Mailbox& me = **mailbox;
  auto reply = me.call(*echo, bytes_of("over there"), 10s).get();
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(text_of(*reply), "pong:over there");
  ASSERT_TRUE(me.send("remote", "echo", bytes_of("by name")));
  auto back = me.receive(10s);
  ASSERT_TRUE(back);
  EXPECT_EQ(text_of(back->payload), "by name");

  auto ref = me.monitor(*echo);
  ASSERT_TRUE(ref);
  ASSERT_TRUE(me.trap_exit(true));
  ASSERT_TRUE(me.link(*echo));
  ASSERT_TRUE(me.call(*echo, bytes_of("sync"), 10s).get());  // monitor and link are in place

  ASSERT_EQ(kill(child, SIGKILL), 0);
  std::map<EnvelopeKind, Envelope> got;
  for (int i = 0; i < 2; ++i) {
    auto envelope = me.receive(kIdle * 3);
    ASSERT_TRUE(envelope) << envelope.error().to_string();
    got[envelope->kind] = *envelope;
  }
  EXPECT_EQ(got[EnvelopeKind::down].reason.code, ExitCode::noconnection);
  EXPECT_EQ(got[EnvelopeKind::down].monitor, *ref);
  EXPECT_EQ(got[EnvelopeKind::exit].reason.code, ExitCode::noconnection);
  EXPECT_EQ(got[EnvelopeKind::exit].from, *echo);
}

}  // namespace
}  // namespace barrel_p2p::testing
