// sluiced following log files ([[follow]]): Exim's mainlog or Postfix's maillog_file read like
// tail -F through rotations and kill -9, through the same pipeline, flood handling and
// accounting as datagrams, every line exactly once.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/pg_sandbox.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::ProcessResult;
using testing::WaitUntil;

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

long long Count(const std::string& sql) {
  const std::string value = pg().Query(sql);
  return value.empty() ? 0 : std::stoll(value);
}

// Detail rows plus the events counted in aggregates: every event, wherever it went.
long long Events() {
  return Count("SELECT count(*) FROM sluice.events") +
         Count("SELECT coalesce(sum(events), 0) FROM sluice.aggregates");
}

// Appends Exim mainlog rejects numbered from `first`, each from its own address.
class EximLog {
 public:
  explicit EximLog(std::string path) : path_(std::move(path)) {}
  void Append(int n) {
    std::ofstream out(path_, std::ios::app);
    for (int i = 0; i < n; ++i, ++written_) {
      out << "2026-12-02 10:00:00 H=(helo.example) [10.1." << written_ / 250 << "."
          << written_ % 250 << "] F=<a@example.net> rejected RCPT <u" << written_
          << "@example.org>: relay not permitted\n";
      if (i % 50 == 49) out.flush();
    }
  }
  int written() const { return written_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int written_ = 0;
};

class FollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.aggregates, sluice.batches");
  }
  static bool Landed(long long n) {
    return WaitUntil([&] { return Events() == n; }, std::chrono::seconds(30));
  }
};

// The writer appends while the file is renamed away and recreated (logrotate's create),
// truncated in place (copytruncate), and sluiced is killed -9 mid-stream and while idle.
TEST_F(FollowTest, EveryLineOnceThroughRotationsAndKills) {
  DaemonHarness daemon(pg(), {{"ingest.keep", "\"rejects\""}});
  EximLog log(daemon.dir().File("mainlog"));
  daemon.AppendConfig("[[follow]]\npath = \"" + log.path() + "\"\n");
  log.Append(300);
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_TRUE(Landed(300)) << Events() << daemon.Output();

  log.Append(200);  // and killed while it reads them
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  daemon.Kill();
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_TRUE(Landed(500)) << Events() << daemon.Output();

  std::filesystem::rename(log.path(), log.path() + ".1");
  log.Append(200);
  ASSERT_TRUE(Landed(700)) << Events() << daemon.Output();

  std::filesystem::copy_file(log.path(), log.path() + ".2");
  std::filesystem::resize_file(log.path(), 0);
  log.Append(100);
  ASSERT_TRUE(Landed(800)) << Events() << daemon.Output();

  daemon.Kill();  // idle this time
  log.Append(100);
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_TRUE(Landed(900)) << Events() << daemon.Output();
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(Count("SELECT count(DISTINCT recipient) FROM sluice.events"), 900);
  EXPECT_EQ(Count("SELECT count(*) FROM sluice.events WHERE program = 'exim' AND "
                  "stage = 'rcpt' AND reason_class = 'relay_denied' AND host IS NOT NULL"),
            900);
}

// Under flood the ladder aggregates followed rejects too (1 in 10 stays a detail row), and a
// kill -9 in the middle neither loses nor doubles an event: each chunk's details and
// aggregates commit together with where the chunk ends. Datagrams arriving at the same time
// are accounted as before: received + followed == what the database holds.
TEST_F(FollowTest, UnderFloodFollowedRejectsAreAggregatedAndCountedOnce) {
  DaemonHarness daemon(pg(), {{"flood.mode", "\"always\""},
                              {"flood.detail_sample", "10"},
                              {"flood.window_ms", "500"},
                              {"ingest.keep", "\"rejects\""}});
  EximLog log(daemon.dir().File("mainlog"));
  daemon.AppendConfig("[[follow]]\npath = \"" + log.path() + "\"\n");
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  log.Append(2000);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  daemon.Kill();
  log.Append(1000);
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  const std::string datagram =
      "<22>Dec  2 10:00:00 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from "
      "unknown[192.0.2.9]: 554 5.7.1 <x@example.org>: Relay access denied; "
      "from=<a@example.net> to=<x@example.org> proto=ESMTP helo=<h>";
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(testing::SendDatagram(daemon.socket_path(), datagram));
  ASSERT_TRUE(Landed(3050)) << Events() << daemon.Output();
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_GT(Count("SELECT count(*) FROM sluice.aggregates"), 0);
  EXPECT_LT(Count("SELECT count(*) FROM sluice.events"), 3050 / 2) << "most were aggregated";
  EXPECT_EQ(Events(), 3050);
  // The second run's own accounting: what it received and followed is what it stored.
  const std::string& out = stopped.output;
  long long followed = testing::SummaryValue(out, "followed");
  EXPECT_GT(followed, 0);
  EXPECT_EQ(testing::SummaryValue(out, "received") + followed,
            testing::SummaryValue(out, "stored") + testing::SummaryValue(out, "aggregated") +
                testing::SummaryValue(out, "shed") + testing::SummaryValue(out, "ignored"))
      << out;
  EXPECT_EQ(testing::SummaryValue(out, "shed"), 0) << out;
}

// A followed path that cannot be read (here a directory: read() fails with EISDIR) is logged
// once, counted, and tried again; once it is a readable file, its lines arrive.
TEST_F(FollowTest, AnUnreadableFileIsLoggedOnceCountedAndTriedAgain) {
  DaemonHarness daemon(pg(), {{"ingest.keep", "\"rejects\""}});
  EximLog log(daemon.dir().File("mainlog"));
  daemon.AppendConfig("[[follow]]\npath = \"" + log.path() + "\"\n");
  std::filesystem::create_directory(log.path());
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_TRUE(
      WaitUntil([&] { return testing::SummaryValue(daemon.LiveCounters(), "follow_errors") >= 2; },
                std::chrono::seconds(20)))
      << daemon.Output();
  std::filesystem::remove(log.path());
  log.Append(10);
  ASSERT_TRUE(Landed(10)) << Events() << daemon.Output();
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0);
  size_t logged = 0;
  for (size_t at = stopped.output.find("follow: cannot read"); at != std::string::npos;
       at = stopped.output.find("follow: cannot read", at + 1)) {
    ++logged;
  }
  EXPECT_EQ(logged, 1u) << stopped.output;
  EXPECT_NE(stopped.output.find("follow: reading " + log.path() + " works again"),
            std::string::npos)
      << stopped.output;
}

}  // namespace
}  // namespace sluice
