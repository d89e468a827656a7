// Socket activation: a socket bound by someone else (systemd's sluiced.socket; here the test,
// which binds it once and keeps it, as systemd does) is passed to each sluiced it starts with
// LISTEN_FDS/LISTEN_PID. The socket outlives a kill -9: what senders write while sluiced is
// away waits in it and is stored after the restart, and the socket file stays.
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::WaitUntil;

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

std::string Reject(int n) {
  return "<22>Dec  2 10:00:00 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from "
         "unknown[192.0.2.9]: 554 5.7.1 <u" +
         std::to_string(n) + "@example.org>: Relay access denied; from=<a@example.net> to=<u" +
         std::to_string(n) + "@example.org> proto=ESMTP helo=<h>";
}

long long Rows() { return std::stoll(pg().Query("SELECT count(*) FROM sluice.events")); }

class SocketActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.batches");
  }
};

TEST_F(SocketActivationTest, APassedSocketOutlivesAKillAndKeepsWhatWasSentMeanwhile) {
  DaemonHarness daemon(pg());
  UniqueFd socket = testing::BindDatagramSocket(daemon.socket_path());
  ASSERT_TRUE(socket.valid());
  daemon.PassSocket(socket.get());
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  EXPECT_NE(daemon.Output().find("(passed by the service manager)"), std::string::npos)
      << daemon.Output();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(testing::SendDatagram(daemon.socket_path(), Reject(i)));
  ASSERT_TRUE(WaitUntil([] { return Rows() == 100; }, std::chrono::seconds(30)));

  daemon.Kill();
  // sluiced is gone; the socket is not: senders still reach it (up to the kernel's queue,
  // net.unix.max_dgram_qlen, 10 on this machine, before a blocking sender waits).
  ASSERT_TRUE(std::filesystem::exists(daemon.socket_path()));
  for (int i = 100; i < 108; ++i) {
    ASSERT_TRUE(testing::SendDatagram(daemon.socket_path(), Reject(i))) << i;
  }
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_TRUE(WaitUntil([] { return Rows() == 108; }, std::chrono::seconds(30))) << Rows();
  auto stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_TRUE(std::filesystem::exists(daemon.socket_path()))
      << "the service manager's socket file is never removed by sluiced";
  EXPECT_EQ(pg().Query("SELECT count(DISTINCT recipient) FROM sluice.events"), "108");
}

TEST_F(SocketActivationTest, ASocketAtAnotherPathIsRefusedWithTheReason) {
  DaemonHarness daemon(pg());
  UniqueFd other = testing::BindDatagramSocket(daemon.dir().File("other.sock"));
  ASSERT_TRUE(other.valid());
  testing::BackgroundProcess sluiced({SLUICE_SLUICED, "--config", daemon.config_path()},
                                     daemon.dir().File("refused.log"), other.get());
  auto stopped = sluiced.Wait(std::chrono::seconds(30));
  EXPECT_EQ(stopped.exit_code, 1) << stopped.output;
  EXPECT_NE(stopped.output.find("ListenDatagram= in sluiced.socket and ingest.socket must name "
                                "the same path"),
            std::string::npos)
      << stopped.output;
  EXPECT_FALSE(std::filesystem::exists(daemon.socket_path()));
}

}  // namespace
}  // namespace sluice
