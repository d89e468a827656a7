// sluiced end to end: real socket, real clients (logger, Python's SysLogHandler, sluice-attack),
// real PostgreSQL.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "common/unique_fd.h"
#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

using namespace std::string_literals;
using testing::DaemonHarness;
using testing::ProcessResult;
using testing::RunProcess;
using testing::SharedPgSandbox;
using testing::SummaryValue;
using testing::WaitUntil;

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.batches, sluice.aggregates, sluice.shed");
  }
  static testing::PgSandbox& pg() { return SharedPgSandbox(); }
  static long long Rows(const std::string& where = "true") {
    return std::stoll(pg().Query("SELECT count(*) FROM sluice.events WHERE " + where));
  }
  // Waits until the row count stops moving between two 20 ms polls (at most `timeout`) and
  // is above `floor`: what sluiced held has landed.
  static void WaitForRowsToSettle(long long floor, std::chrono::seconds timeout) {
    long long before = -1;
    WaitUntil(
        [&] {
          long long now = Rows();
          bool settled = now == before && now > floor;
          before = now;
          return settled;
        },
        timeout);
  }
  // How many raw lines are stored more than once.
  static std::string DuplicateRawLines() {
    return pg().Query(
        "SELECT count(*) FROM (SELECT raw FROM sluice.events GROUP BY raw HAVING count(*) > 1) d");
  }
  // A stopped daemon's accounting when every datagram is a reject and the flood path is off:
  // it exited cleanly, received what was sent, stored or shed each, and the rows are there.
  // Returns {stored, shed}.
  static std::pair<long long, long long> ExpectStoredPlusShedIsSent(const ProcessResult& stopped,
                                                                    long long sent) {
    EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
    long long received = SummaryValue(stopped.output, "received");
    long long stored = SummaryValue(stopped.output, "stored");
    long long shed = SummaryValue(stopped.output, "shed");
    EXPECT_EQ(received, sent) << stopped.output;
    EXPECT_EQ(received, stored + shed) << stopped.output;
    EXPECT_EQ(Rows(), stored);
    return {stored, shed};
  }
  static long long Scale(long long normal) { return testing::TestScale(normal); }
  static std::chrono::seconds Outage(std::chrono::seconds normal) {
    return testing::TestOutage(normal);
  }
};

// Each real client sends a reject of a different MTA; one more line is not a reject and is
// only counted (ingest.keep = "rejects", the default).
TEST_F(DaemonTest, RealClientsArriveWithTheirHeaderFieldsAndParsedRejects) {
  DaemonHarness daemon(pg());
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  const std::string& sock = daemon.socket_path();
  auto logger = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"logger", "-u", sock});
    return RunProcess(args).exit_code;
  };
  ASSERT_EQ(logger({"--rfc3164", "-t", "postfix/smtpd", "-i",
                    "NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 <v@example.org>: "
                    "Relay access denied; from=<> to=<v@example.org> proto=ESMTP helo=<via3164>"}),
            0);
  ASSERT_EQ(logger({"--rfc5424", "-t", "postfix/postscreen", "-i",
                    "PREGREET 11 after 0.1 from [2001:db8::5]:4000: EHLO via5424\\r\\n"}),
            0);
  ASSERT_EQ(logger({"-t", "exim", "-i",
                    "H=(vialocal) [192.0.2.3]:25 F=<a@example.net> rejected RCPT "
                    "<b@example.org>: relay not permitted"}),
            0);
  ASSERT_EQ(logger({"-t", "postfix/smtpd", "-i", "connect from unknown[192.0.2.4]"}), 0);
  ProcessResult py = RunProcess(
      {"python3", "-c",
       "import logging, logging.handlers, sys\n"
       "h = logging.handlers.SysLogHandler(address=sys.argv[1], "
       "facility=logging.handlers.SysLogHandler.LOG_MAIL)\n"
       "h.setFormatter(logging.Formatter('sendmail[4242]: %(message)s'))\n"
       "log = logging.getLogger('t'); log.addHandler(h)\n"
       "log.warning('ruleset=check_rcpt, arg1=<x@example.org>, relay=viapython [192.0.2.5], "
       "reject=550 5.7.1 <x@example.org>... Relaying denied')\n",
       sock});
  ASSERT_EQ(py.exit_code, 0) << py.output;
  ASSERT_TRUE(WaitUntil([&] { return Rows() == 4; }, std::chrono::seconds(30)));
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;

  auto fields = [&](const std::string& raw_like) {
    return pg().Query(
        "SELECT concat_ws(' ', coalesce(host, '-'), program, pid > 0, "
        "abs(extract(epoch FROM logged_at - received_at)) < 120, mta, stage, client_ip, "
        "coalesce(helo, '-'), coalesce(reason, '-'), left(raw, 4)) "
        "FROM sluice.events WHERE raw LIKE '" +
        raw_like + "'");
  };
  std::string host = pg().Query("SELECT host FROM sluice.events WHERE raw LIKE '%via3164%'");
  EXPECT_FALSE(host.empty());
  EXPECT_EQ(fields("%via3164%"), host + " postfix/smtpd t t postfix rcpt 192.0.2.1 " +
                                     "via3164 Relay access denied <13>");
  EXPECT_EQ(fields("%via5424%"), host + " postfix/postscreen t t postfix postscreen " +
                                     "2001:db8::5 - PREGREET 11 after 0.1 <13>");
  // Without a hostname in the header (logger's local format, Python's SysLogHandler, glibc's
  // syslog(3)) a row gets sluiced's host: ingest.host, here unset, so the machine's name.
  std::array<char, 256> machine{};
  gethostname(machine.data(), machine.size() - 1);
  EXPECT_EQ(fields("%vialocal%"),
            std::string(machine.data()) +
                " exim t t exim rcpt 192.0.2.3 vialocal relay not permitted <13>");
  // Python: no timestamp in its framing, so logged_at is NULL and that test yields nothing.
  EXPECT_EQ(
      fields("%viapython%"),
      std::string(machine.data()) + " sendmail t sendmail rcpt 192.0.2.5 - Relaying denied <20>");
  EXPECT_EQ(SummaryValue(stopped.output, "received"), 5);
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), 4);
  EXPECT_EQ(SummaryValue(stopped.output, "ignored"), 1);
}

TEST_F(DaemonTest, MillionLoggerDatagramsBecomeAMillionRowsThroughTheConfiguredWriters) {
  const long long count = Scale(1'000'000);
  DaemonHarness daemon(pg(), {{"database.writers", "2"},
                              {"database.batch_ms", "200"},
                              {"ingest.queue_mb", "256"},
                              {"spool.memory_mb", "1024"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  std::string lines = daemon.dir().File("lines.txt");
  {
    std::ofstream out(lines);
    for (long long i = 0; i < count; ++i) {
      out << "NOQUEUE: reject: RCPT from unknown[198.18." << (i >> 8 & 255) << "." << (i & 255)
          << "]: 554 5.7.1 Service unavailable; Client host [198.18." << (i >> 8 & 255) << "."
          << (i & 255) << "] blocked using zen.spamhaus.org; from=<s" << i
          << "@example.net> to=<u@example.org> proto=ESMTP helo=<x>\n";
    }
  }
  std::atomic<bool> sending{true};
  std::atomic<int> peak{0};
  std::thread sampler([&] {
    while (sending.load()) {
      std::string n =
          pg().Query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluiced'");
      if (!n.empty()) peak = std::max(peak.load(), std::stoi(n));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  ProcessResult logger = RunProcess(
      {"logger", "-u", daemon.socket_path(), "--rfc3164", "-t", "postfix/smtpd", "-i", "-f", lines},
      std::chrono::seconds(240));
  EXPECT_EQ(logger.exit_code, 0) << logger.output;
  bool landed = WaitUntil([&] { return Rows() >= count; }, std::chrono::seconds(120));
  sending = false;
  sampler.join();
  ProcessResult stopped = daemon.Stop();
  EXPECT_TRUE(landed);
  EXPECT_EQ(Rows(), count);
  EXPECT_EQ(Rows("program = 'postfix/smtpd' AND pid IS NOT NULL AND logged_at IS NOT NULL"), count);
  EXPECT_EQ(SummaryValue(stopped.output, "received"), count) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), count);
  EXPECT_EQ(SummaryValue(stopped.output, "shed"), 0);
  EXPECT_EQ(peak.load(), 2) << "peak connections of sluiced";
}

// Sends `per_burst` datagrams every 250 ms while the database is down for `outage`; returns
// how many were sent in all, 2000 of them before the outage.
long long FloodThroughAnOutage(testing::PgSandbox& pg, const DaemonHarness& daemon,
                               std::chrono::seconds outage, int per_burst) {
  auto flood = [&](int n) {
    return RunProcess({SLUICE_ATTACK, daemon.socket_path(), "-n", std::to_string(n)}).exit_code;
  };
  EXPECT_EQ(flood(2000), 0);
  EXPECT_TRUE(WaitUntil([&] { return pg.Query("SELECT count(*) FROM sluice.events") == "2000"; },
                        std::chrono::seconds(30)));
  EXPECT_TRUE(pg.Stop());
  auto outage_end = std::chrono::steady_clock::now() + outage;
  long long sent = 2000;
  while (std::chrono::steady_clock::now() < outage_end) {
    EXPECT_EQ(flood(per_burst), 0);
    sent += per_burst;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(pg.Start());
  return sent;
}

TEST_F(DaemonTest, DatabaseDownForThirtySecondsThenEveryDatagramLandsExactlyOnce) {
  // 1 MiB of memory: most of the outage is read back from disk segments.
  DaemonHarness daemon(pg(), {{"spool.memory_mb", "1"}, {"database.batch_rows", "500"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  // 30 s of 4,000 datagrams every 250 ms: 480,000 (fewer when the sanitizer runs shorten it).
  long long sent = FloodThroughAnOutage(pg(), daemon, Outage(std::chrono::seconds(30)), 4000);
  EXPECT_TRUE(WaitUntil([&] { return Rows() == sent; }, std::chrono::seconds(90)));
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "received"), sent) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), sent);
  EXPECT_EQ(SummaryValue(stopped.output, "shed"), 0);
  EXPECT_GT(SummaryValue(stopped.output, "spooled"), 0);
  EXPECT_EQ(Rows(), sent);
  // Every line sluice-attack sends is unique (its pid and a sequence number): one row each.
  EXPECT_EQ(pg().Query("SELECT count(DISTINCT raw) FROM sluice.events"), std::to_string(sent));
  EXPECT_EQ(Rows("program LIKE 'postfix/%' AND raw LIKE '<22>%' AND NOT malformed"), sent);
  // sluice-attack sends Postfix RCPT and EHLO rejects and postscreen's PREGREET: parsed, the
  // client from its slot.
  EXPECT_EQ(Rows("mta = 'postfix' AND is_reject AND ((stage IN ('rcpt', 'helo') AND "
                 "smtp_code >= 450) OR stage = 'postscreen') AND "
                 "raw LIKE '%[' || host(client_ip) || ']:%'"),
            sent);
}

TEST_F(DaemonTest, DatabaseDownWithNoRoomLeftShedsTheRestAndCountsIt) {
  // 4 MiB: room for the 2,000 sent before the outage even if the writers are slow to take
  // them (1 MiB was not, on a loaded machine), none for the ~80,000 sent during it.
  DaemonHarness daemon(
      pg(), {{"spool.memory_mb", "4"}, {"spool.disk_mb", "0"}, {"database.batch_rows", "500"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  long long sent = FloodThroughAnOutage(pg(), daemon, std::chrono::seconds(5), 4000);
  WaitForRowsToSettle(2000, std::chrono::seconds(60));
  ProcessResult stopped = daemon.Stop();
  auto [stored, shed] = ExpectStoredPlusShedIsSent(stopped, sent);
  EXPECT_GT(stored, 2000) << "what was held in memory during the outage must land";
  EXPECT_GT(shed, 0) << "4 MiB cannot hold this outage";
  EXPECT_EQ(SummaryValue(stopped.output, "spool_full"), shed);
  // The database holds the whole accounting: what was shed is in sluice.shed, by cause.
  EXPECT_EQ(pg().Query("SELECT string_agg(cause || '=' || total, ',') FROM (SELECT cause, "
                       "sum(events) AS total FROM sluice.shed GROUP BY cause) AS c"),
            "spool_full=" + std::to_string(shed));
}

// The spool's disk really fills (a 1 MiB tmpfs; the spool's own cap is far above it) while the
// database is down under a stream: sluiced logs it once, keeps what memory holds, sheds and
// counts the rest, leaves no empty segment file, and the accounting is exact afterwards.
TEST_F(DaemonTest, ARealFullDiskDuringAnOutageKeepsTheAccountingExact) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  DaemonHarness daemon(
      pg(), {{"spool.memory_mb", "2"}, {"spool.disk_mb", "1024"}, {"database.batch_rows", "500"}});
  const std::string spool = daemon.dir().File("spool");
  std::filesystem::create_directories(spool);
  ASSERT_EQ(
      RunProcess({"mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "sluice-test-full", spool})
          .exit_code,
      0);
  struct Unmount {
    std::string dir;
    ~Unmount() { (void)RunProcess({"umount", "-l", dir}); }
  } unmount{spool};
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  long long sent = FloodThroughAnOutage(pg(), daemon, std::chrono::seconds(6), 4000);
  bool empty_segment = false;
  for (const auto& entry : std::filesystem::directory_iterator(spool)) {
    if (entry.path().extension() == ".sgz" && entry.file_size() == 0) empty_segment = true;
  }
  EXPECT_FALSE(empty_segment);
  WaitForRowsToSettle(2000, std::chrono::seconds(60));
  ProcessResult stopped = daemon.Stop();
  auto [stored, shed] = ExpectStoredPlusShedIsSent(stopped, sent);
  EXPECT_GT(shed, 0) << "1 MiB of disk and 2 MiB of memory cannot hold this outage";
  EXPECT_GT(SummaryValue(stopped.output, "spooled"), 0) << "the tmpfs took some";
  EXPECT_EQ(pg().Query("SELECT coalesce(sum(events), 0) FROM sluice.shed"), std::to_string(shed));
  // Logged once for the episode, not once per batch.
  size_t logged = 0;
  for (size_t at = stopped.output.find("No space left on device"); at != std::string::npos;
       at = stopped.output.find("No space left on device", at + 1)) {
    ++logged;
  }
  EXPECT_GE(logged, 1u) << stopped.output;
  EXPECT_LE(logged, 3u) << stopped.output;
}

TEST_F(DaemonTest, StoppedWhileTheDatabaseIsDownTheSpoolLandsAfterARestart) {
  std::map<std::string, std::string> config = {{"database.batch_rows", "500"},
                                               {"database.shutdown_timeout_ms", "500"}};
  DaemonHarness first(pg(), config);
  ASSERT_TRUE(first.Start()) << first.Output();
  ASSERT_TRUE(pg().Stop());
  ASSERT_EQ(RunProcess({SLUICE_ATTACK, first.socket_path(), "-n", "20000"}).exit_code, 0);
  ProcessResult stopped = first.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "received"), 20000);
  EXPECT_EQ(SummaryValue(stopped.output, "shed"), 0) << stopped.output;
  ASSERT_TRUE(pg().Start());
  // Same config, same spool directory: the restart finds the batches and loads them.
  DaemonHarness second(pg(), config);
  std::filesystem::copy(first.dir().File("spool"), second.dir().File("spool"));
  ASSERT_TRUE(second.Start()) << second.Output();
  EXPECT_TRUE(WaitUntil([&] { return Rows() == 20000; }, std::chrono::seconds(60)));
  ProcessResult restarted = second.Stop();
  EXPECT_EQ(restarted.exit_code, 0) << restarted.output;
  // At least 20,000 / batch_rows batches; more when slow runs close batches on batch_ms.
  EXPECT_GE(SummaryValue(restarted.output, "recovered"), 40);
  EXPECT_EQ(Rows(), 20000);
}

TEST_F(DaemonTest, ReplayLoadsAStoppedDaemonsSpoolOnceAndRefusesALiveOne) {
  DaemonHarness daemon(pg(),
                       {{"database.batch_rows", "500"}, {"database.shutdown_timeout_ms", "500"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  auto replay = [&](std::vector<std::string> segments = {}) {
    std::vector<std::string> args = {SLUICE_CLI, "replay", "--config", daemon.config_path()};
    args.insert(args.end(), segments.begin(), segments.end());
    return RunProcess(args, std::chrono::seconds(120));
  };
  ProcessResult refused = replay();
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("is in use by another process"), std::string::npos)
      << refused.output;

  ASSERT_TRUE(pg().Stop());
  ASSERT_EQ(RunProcess({SLUICE_ATTACK, daemon.socket_path(), "-n", "20000"}).exit_code, 0);
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "shed"), 0) << stopped.output;
  ASSERT_TRUE(pg().Start());
  // A copy of the segments, to replay them a second time (with a LOCK file of its own, as a
  // spool directory copied whole would have).
  std::vector<std::string> copies;
  std::filesystem::create_directories(daemon.dir().File("copy"));
  std::ofstream(daemon.dir().File("copy/LOCK"));
  for (const auto& entry : std::filesystem::directory_iterator(daemon.dir().File("spool"))) {
    if (entry.path().extension() != ".sgz") continue;
    for (std::string prefix : {"", "again-"}) {  // each twice: the second adds nothing either
      copies.push_back(daemon.dir().File("copy/" + prefix + entry.path().filename().string()));
      std::filesystem::copy_file(entry.path(), copies.back());
    }
  }
  ASSERT_FALSE(copies.empty());

  ProcessResult first = replay();
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("20000 rows"), std::string::npos) << first.output;
  EXPECT_EQ(Rows(), 20000);
  for (const auto& entry : std::filesystem::directory_iterator(daemon.dir().File("spool"))) {
    EXPECT_NE(entry.path().extension(), ".sgz") << "replayed segments are deleted";
  }
  ProcessResult second = replay(copies);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find(": 0 batches written"), std::string::npos) << second.output;
  EXPECT_EQ(Rows(), 20000);
  EXPECT_EQ(DuplicateRawLines(), "0");
}

TEST_F(DaemonTest, KilledTenTimesMidStreamNeverWritesARowTwice) {
  // wal mode (the default): each batch is in a segment before it is sent, so a kill -9 loses
  // only what was not yet batched, and every restart recovers and re-sends what it finds,
  // some of it already committed. The ledger must turn those re-sends into no-ops.
  std::map<std::string, std::string> config = {{"database.batch_rows", "200"}};
  DaemonHarness daemon(pg(), config);
  std::mt19937 random(20261128);
  long long sent = 0;
  int rounds_with_recovery = 0;
  for (int round = 0; round < 10; ++round) {
    ASSERT_TRUE(daemon.Start()) << daemon.Output();
    // 30,000 datagrams take 0.1-0.5 s to send here: most kills land mid-stream.
    testing::BackgroundProcess flood({SLUICE_ATTACK, daemon.socket_path(), "-n", "30000"},
                                     daemon.dir().File("flood.json"));
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
    daemon.Kill();
    flood.Wait(std::chrono::seconds(30));
    std::string report = flood.Output();
    auto at = report.find("\"sent\": ");
    if (at != std::string::npos) sent += std::stoll(report.substr(at + 8));
    rounds_with_recovery += daemon.Output().find("spool: recovered") != std::string::npos;
  }
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  WaitForRowsToSettle(0, std::chrono::seconds(60));  // the recovered batches land
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(DuplicateRawLines(), "0");
  EXPECT_EQ(pg().Query("SELECT count(*) FROM (SELECT batch_id FROM sluice.events "
                       "GROUP BY batch_id HAVING count(*) > 200) d"),
            "0");
  EXPECT_GT(Rows(), 0);
  EXPECT_LE(Rows(), sent);
  RecordProperty("rounds_that_recovered_batches", rounds_with_recovery);
  RecordProperty("rows_of_sent", std::to_string(Rows()) + "/" + std::to_string(sent));
}

// Sends 20,000 datagrams while the database is down, waits until they are batched and the
// spool synced, kills sluiced with SIGKILL, starts the database and sluiced again, and
// returns how many rows landed.
long long RowsAfterAKillOnceSpooled(testing::PgSandbox& pg, const std::string& mode) {
  DaemonHarness daemon(pg, {{"spool.mode", "\"" + mode + "\""},
                            {"spool.sync_ms", "50"},
                            {"database.batch_rows", "1000"}});
  EXPECT_TRUE(daemon.Start()) << daemon.Output();
  EXPECT_TRUE(pg.Stop());
  EXPECT_EQ(RunProcess({SLUICE_ATTACK, daemon.socket_path(), "-n", "20000"}).exit_code, 0);
  // Every event batched and in the spool (on disk in wal mode), however slow the pipeline is.
  EXPECT_TRUE(
      WaitUntil([&] { return SummaryValue(daemon.LiveCounters(), "spool_events") == 20000; },
                std::chrono::seconds(60)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // 10 × sync_ms
  if (mode == "wal") {
    EXPECT_GT(SummaryValue(daemon.LiveCounters(), "syncs"), 0);
  }
  daemon.Kill();
  EXPECT_TRUE(pg.Start());
  EXPECT_TRUE(daemon.Start()) << daemon.Output();
  // Recovered segments are deleted once every batch in them is committed.
  EXPECT_TRUE(
      WaitUntil([&] { return SummaryValue(daemon.LiveCounters(), "spool_disk_bytes") == 0; },
                std::chrono::seconds(60)));
  EXPECT_EQ(daemon.Stop().exit_code, 0);
  return std::stoll(pg.Query("SELECT count(*) FROM sluice.events"));
}

TEST_F(DaemonTest, WalModeKilledOnceItsSpoolSyncedLosesNothing) {
  EXPECT_EQ(RowsAfterAKillOnceSpooled(pg(), "wal"), 20000);
  EXPECT_EQ(DuplicateRawLines(), "0");
}

TEST_F(DaemonTest, SpillModeKilledLosesWhatWaitedInMemory) {
  // Why wal is the default: the same kill in spill mode loses every batch held in memory.
  EXPECT_EQ(RowsAfterAKillOnceSpooled(pg(), "spill"), 0);
}

TEST_F(DaemonTest, BinaryOversizedAndEmptyDatagramsAreCountedAndStoredEscaped) {
  DaemonHarness daemon(pg(), {{"ingest.max_datagram_bytes", "4096"}, {"ingest.keep", "\"all\""}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  const std::string& sock = daemon.socket_path();
  ASSERT_TRUE(testing::SendDatagram(sock, "<22>Nov 28 10:00:00 x[1]: nul\0inside"s));
  ASSERT_TRUE(testing::SendDatagram(sock, "\xff\xfe\x80 not utf-8"));
  ASSERT_TRUE(testing::SendDatagram(sock, std::string(66 * 1024, 'L')));
  ASSERT_TRUE(testing::SendDatagram(sock, ""));
  ASSERT_TRUE(testing::SendDatagram(sock, "<22>Nov 28 10:00:00"));  // header, no message
  ASSERT_TRUE(testing::SendDatagram(sock, "a back\\slash stays as it is"));
  std::mt19937 random(42);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random() & 0xFF);
  ASSERT_TRUE(testing::SendDatagram(sock, noise));
  ASSERT_TRUE(WaitUntil([&] { return Rows() == 7; }, std::chrono::seconds(30)));
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_EQ(SummaryValue(stopped.output, "malformed"), 5) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), 2);
  EXPECT_EQ(Rows("malformed"), 5);
  EXPECT_EQ(Rows("raw = '<22>Nov 28 10:00:00 x[1]: nul\\x00inside'"), 1);
  EXPECT_EQ(Rows("raw = '\\xff\\xfe\\x80 not utf-8'"), 1);
  EXPECT_EQ(Rows("length(raw) = 4096 AND malformed"), 1);
  EXPECT_EQ(Rows("raw = '' AND malformed"), 1);
  EXPECT_EQ(Rows("raw = 'a back\\slash stays as it is' AND NOT malformed"), 1);
}

TEST_F(DaemonTest, ForwardsEveryDatagramUnchangedToAnotherSocket) {
  testing::TempDir dir;
  std::string target_path = dir.File("syslog.sock");
  UniqueFd target = testing::BindDatagramSocket(target_path);
  ASSERT_TRUE(target.valid());
  DaemonHarness daemon(pg(), {{"ingest.forward", "\"" + target_path + "\""}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  const std::string line = "<22>Nov 28 10:00:00 postfix/qmgr[7]: 4BqKx: removed";
  ASSERT_TRUE(testing::SendDatagram(daemon.socket_path(), line));
  std::array<char, 256> buffer{};
  ssize_t n = recv(target.get(), buffer.data(), buffer.size(), 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buffer.data(), static_cast<size_t>(n)), line);
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(SummaryValue(stopped.output, "forwarded"), 1) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "ignored"), 1);  // not a reject: forwarded, not stored
  EXPECT_EQ(Rows(), 0);
}

TEST_F(DaemonTest, SigtermFlushesWhatIsInMemory) {
  DaemonHarness daemon(pg(), {{"database.batch_ms", "600000"}, {"database.batch_rows", "1000000"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_EQ(RunProcess({SLUICE_ATTACK, daemon.socket_path(), "-n", "3000"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Rows(), 0);  // still in the open batch
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(Rows(), 3000);
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), 3000);
}

// sluiced sets its umask (0027) before any thread starts: nothing it creates without an
// explicit mode is readable by others; the socket has ingest.socket_mode.
TEST_F(DaemonTest, WhatTheDaemonCreatesIsNotOpenToOthers) {
  DaemonHarness daemon(pg(), {{"ingest.socket_mode", "\"0620\""}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  struct stat st {};
  ASSERT_EQ(::stat(daemon.dir().File("spool/quarantine").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0027, 0u) << std::oct << (st.st_mode & 07777);
  ASSERT_EQ(::stat(daemon.socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0620u) << std::oct << (st.st_mode & 07777);
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

TEST_F(DaemonTest, RefusesAMissingSchemaAndASocketAnotherDaemonServes) {
  auto conn = pg().Connect();
  ASSERT_TRUE(conn);
  (void)conn->Exec("CREATE DATABASE fresh");  // may exist from an earlier run
  std::string fresh_conninfo = pg().conninfo();
  fresh_conninfo.append(" dbname=fresh");
  DaemonHarness fresh(pg(), {{"database.conninfo", "'" + fresh_conninfo + "'"}});
  ProcessResult refused = RunProcess({SLUICE_SLUICED, "--config", fresh.config_path()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("run 'sluice migrate"), std::string::npos) << refused.output;

  DaemonHarness first(pg());
  ASSERT_TRUE(first.Start()) << first.Output();
  // Same spool directory: refused by the spool's lock.
  ProcessResult same_spool = RunProcess({SLUICE_SLUICED, "--config", first.config_path()});
  EXPECT_EQ(same_spool.exit_code, 1);
  EXPECT_NE(same_spool.output.find("is in use by another process"), std::string::npos)
      << same_spool.output;
  // Own spool, same socket: refused by the socket check.
  DaemonHarness second(pg(), {{"ingest.socket", "\"" + first.socket_path() + "\""}});
  ProcessResult same_socket = RunProcess({SLUICE_SLUICED, "--config", second.config_path()});
  EXPECT_EQ(same_socket.exit_code, 1);
  EXPECT_NE(same_socket.output.find("served by another live process"), std::string::npos)
      << same_socket.output;
  EXPECT_EQ(first.Stop().exit_code, 0);
}

TEST_F(DaemonTest, StartsWhileTheDatabaseIsDownAndCatchesUp) {
  ASSERT_TRUE(pg().Stop());
  DaemonHarness daemon(pg());
  bool started = daemon.Start();
  ASSERT_EQ(RunProcess({SLUICE_ATTACK, daemon.socket_path(), "-n", "1000"}).exit_code, 0);
  ASSERT_TRUE(pg().Start());
  ASSERT_TRUE(started) << daemon.Output();
  EXPECT_TRUE(WaitUntil([&] { return Rows() == 1000; }, std::chrono::seconds(60)));
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

}  // namespace
}  // namespace sluice
