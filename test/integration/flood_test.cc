// The degradation ladder end to end: sluiced under floods of rejects from sluice-attack, with
// and without the database, checked against the accounting the database itself holds:
// count(sluice.events) + sum(sluice.aggregates.events) + sum(sluice.shed.events) = sent.
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::ProcessResult;
using testing::RunProcess;
using testing::SummaryValue;
using testing::WaitUntil;

class FloodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.batches, sluice.aggregates, sluice.shed");
  }
  static testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }
  static long long Number(const std::string& sql) { return std::stoll(pg().Query(sql)); }
  // Every event the database accounts for: detail rows, aggregated events, shed events.
  static long long Accounted() {
    return Number("SELECT detail_events + aggregated_events + shed_events FROM sluice.accounting");
  }
  static long long TotalRows() {
    return Number(
        "SELECT (SELECT count(*) FROM sluice.events) + "
        "(SELECT count(*) FROM sluice.aggregates) + (SELECT count(*) FROM sluice.shed)");
  }
  // The accounting and the rows, for failure messages.
  static std::string Accounting() {
    return pg().Query(
               "SELECT detail_events || ' detail, ' || aggregated_events || "
               "' aggregated, ' || shed_events || ' shed' FROM sluice.accounting") +
           "; aggregates by granularity: " +
           pg().Query(
               "SELECT string_agg(granularity || '=' || n, ' ') FROM (SELECT "
               "granularity, count(*) AS n FROM sluice.aggregates GROUP BY 1) g") +
           "; shed: " +
           pg().Query(
               "SELECT string_agg(cause || '=' || n, ' ') FROM (SELECT cause, "
               "sum(events) AS n FROM sluice.shed GROUP BY 1) s");
  }
  // Runs sluice-attack with `args`; returns how many it sent.
  static long long Flood(const DaemonHarness& daemon, std::vector<std::string> args) {
    args.insert(args.begin(), {SLUICE_ATTACK, daemon.socket_path()});
    ProcessResult flood = RunProcess(args, std::chrono::seconds(240));
    EXPECT_EQ(flood.exit_code, 0) << flood.output;
    size_t at = flood.output.find("\"sent\": ");
    return at == std::string::npos ? -1 : std::atoll(flood.output.c_str() + at + 8);
  }
  // sluiced's peak resident set (VmHWM), in KiB.
  static long long PeakRssKib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.starts_with("VmHWM:")) return std::atoll(line.c_str() + 6);
    }
    return -1;
  }
  // The daemon's invariant from its last counters line.
  static void ExpectCountersAddUp(const std::string& output, long long sent) {
    EXPECT_EQ(SummaryValue(output, "received"), sent) << output;
    EXPECT_EQ(SummaryValue(output, "stored") + SummaryValue(output, "malformed") +
                  SummaryValue(output, "aggregated") + SummaryValue(output, "dead_lettered") +
                  SummaryValue(output, "shed") + SummaryValue(output, "ignored"),
              sent)
        << output;
  }
};

// The attack sluice exists for: 2,000,000 rejects from 100,000 addresses, Zipf-distributed.
TEST_F(FloodTest, ZipfFloodFromAHundredThousandAddressesBecomesAFewHundredThousandRows) {
  const long long count = testing::TestScale(2'000'000);
  DaemonHarness daemon(pg(), {{"flood.mode", "\"auto\""},
                              {"flood.window_ms", "5000"},
                              {"flood.leave_after_ms", "1000"},
                              {"database.batch_ms", "200"},
                              {"ingest.queue_mb", "128"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  long long sent = Flood(daemon, {"-n", std::to_string(count), "--ips", "100000", "--zipf", "1"});
  ASSERT_EQ(sent, count);
  EXPECT_TRUE(WaitUntil([&] { return Accounted() == sent; }, std::chrono::seconds(120)))
      << Accounting();
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(Accounted(), sent) << Accounting();
  ExpectCountersAddUp(stopped.output, sent);
  EXPECT_NE(stopped.output.find("flood: entered"), std::string::npos) << stopped.output;
  EXPECT_LE(TotalRows(), 300'000) << Accounting();
  EXPECT_GT(Number("SELECT coalesce(sum(events), 0) FROM sluice.aggregates"), sent / 2)
      << Accounting();
  // Detail rows sampled while aggregating still carry their class and client.
  EXPECT_EQ(Number("SELECT count(*) FROM sluice.events WHERE reason_class IS NULL "
                   "OR client_ip IS NULL"),
            0);
  std::cout << "zipf flood: " << sent << " sent -> " << TotalRows() << " rows (" << Accounting()
            << ")\n";
}

// 5,000,000 distinct addresses: far more keys than flood.max_keys. The keys coarsen (to
// networks, then classes), sluiced's memory stays bounded, and every event is accounted for.
TEST_F(FloodTest, FiveMillionDistinctAddressesCoarsenTheKeysAndMemoryStaysBounded) {
  const long long count = testing::TestScale(5'000'000);
  DaemonHarness daemon(pg(), {{"flood.mode", "\"auto\""},
                              {"flood.max_keys", "50000"},
                              {"flood.window_ms", "5000"},
                              {"flood.leave_after_ms", "1000"},
                              {"database.batch_ms", "200"},
                              {"ingest.queue_mb", "64"},
                              {"spool.memory_mb", "64"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  long long sent =
      Flood(daemon, {"-n", std::to_string(count), "--ips", std::to_string(count), "--cycle"});
  ASSERT_EQ(sent, count);
  EXPECT_TRUE(WaitUntil([&] { return Accounted() == sent; }, std::chrono::seconds(120)))
      << Accounting();
  long long peak_kib = PeakRssKib(daemon.pid());
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(Accounted(), sent) << Accounting();
  ExpectCountersAddUp(stopped.output, sent);
  EXPECT_NE(stopped.output.find("aggregation keys now at granularity"), std::string::npos)
      << stopped.output;
  EXPECT_GT(Number("SELECT count(*) FROM sluice.aggregates WHERE granularity <> 'key'"), 0)
      << Accounting();
  EXPECT_LE(Number("SELECT max(n) FROM (SELECT count(*) AS n FROM sluice.aggregates "
                   "GROUP BY window_start) w"),
            50'000);
  // Queue 64 MiB + spool memory 64 MiB + 50,000 keys of at most ~0.7 KiB + the program: well
  // under 384 MiB. Without the key cap 5 M keys would take gigabytes.
  EXPECT_GT(peak_kib, 0);
  EXPECT_LT(peak_kib, 384 * 1024) << "peak RSS of sluiced";
  std::cout << "distinct flood: " << sent << " sent -> " << TotalRows() << " rows, peak RSS "
            << peak_kib / 1024 << " MiB (" << Accounting() << ")\n";
}

// The database is down and the spool fills: details go first (shed, counted), aggregates still
// fit in the room kept for them, and once the database is back everything adds up.
TEST_F(FloodTest, SpoolFullDuringAnOutageDropsDetailsFirstAndTheAccountingStillAddsUp) {
  DaemonHarness daemon(pg(), {{"flood.mode", "\"always\""},
                              {"flood.detail_sample", "5"},
                              {"flood.window_ms", "2000"},
                              {"spool.memory_mb", "1"},
                              {"spool.disk_mb", "1"},
                              {"database.batch_rows", "1000"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_TRUE(pg().Stop());
  // Until the spool refuses details (however fast this machine sends), then as much again.
  long long sent = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  do {
    sent += Flood(daemon, {"-n", "50000", "--ips", "50"});
  } while (SummaryValue(daemon.LiveCounters(), "spool_full") <= 0 &&
           std::chrono::steady_clock::now() < deadline);
  sent += Flood(daemon, {"-n", std::to_string(sent), "--ips", "50"});
  // Let the last window close into the spool, then bring the database back.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  std::string during = daemon.LiveCounters();
  ASSERT_TRUE(pg().Start());
  EXPECT_TRUE(WaitUntil([&] { return Accounted() == sent; }, std::chrono::seconds(90)))
      << Accounting();
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(Accounted(), sent) << Accounting();
  ExpectCountersAddUp(stopped.output, sent);
  EXPECT_NE(stopped.output.find("ladder step 3"), std::string::npos) << stopped.output;
  EXPECT_GT(SummaryValue(during, "spool_full"), 0) << during;
  EXPECT_EQ(Number("SELECT coalesce(sum(events), 0) FROM sluice.shed WHERE cause = "
                   "'spool_full'"),
            SummaryValue(stopped.output, "spool_full"));
  EXPECT_GT(Number("SELECT coalesce(sum(events), 0) FROM sluice.aggregates"), sent / 2)
      << Accounting();
}

// Once the flood is over, rejects are detail rows again, and nothing is counted twice across
// the switch.
TEST_F(FloodTest, LeavingTheFloodDetailRowsResumeAndNothingIsCountedTwice) {
  DaemonHarness daemon(pg(), {{"flood.mode", "\"auto\""},
                              {"flood.enter_rate", "20000"},
                              {"flood.leave_rate", "1000"},
                              {"flood.rate_window_ms", "1000"},
                              {"flood.leave_after_ms", "1000"},
                              {"flood.window_ms", "1000"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  long long sent =
      Flood(daemon, {"-n", std::to_string(testing::TestScale(300'000)), "--ips", "1000"});
  ASSERT_TRUE(WaitUntil([&] { return daemon.Output().find("flood: left") != std::string::npos; },
                        std::chrono::seconds(30)))
      << daemon.Output();
  ASSERT_NE(daemon.Output().find("flood: entered"), std::string::npos);
  for (int i = 0; i < 100; ++i) {
    std::string line =
        "<22>Nov 28 12:00:00 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from "
        "unknown[192.0.2.77]: 554 5.7.1 Service unavailable; Client host "
        "[192.0.2.77] blocked using zen.spamhaus.org; from=<a" +
        std::to_string(i) + "@example.net> to=<b@example.org> proto=ESMTP helo=<x>";
    ASSERT_TRUE(testing::SendDatagram(daemon.socket_path(), line));
    ++sent;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(WaitUntil([&] { return Accounted() == sent; }, std::chrono::seconds(60)))
      << Accounting();
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(Accounted(), sent) << Accounting();
  ExpectCountersAddUp(stopped.output, sent);
  EXPECT_EQ(Number("SELECT count(*) FROM sluice.events WHERE client_ip = '192.0.2.77'"), 100);
  EXPECT_EQ(Number("SELECT count(*) FROM sluice.aggregates WHERE client_ip = '192.0.2.77'"), 0);
  EXPECT_GT(Number("SELECT count(*) FROM sluice.aggregates"), 0) << Accounting();
}

// Everything sluice-attack sends — Postfix, Exim and Sendmail wording, RFC 5424 framing, two
// sender threads, ordinary mail lines beside the rejects — is understood: every reject is a
// parsed, classified row, every ordinary line is ignored, and the counts match its report.
TEST_F(FloodTest, TheSyntheticAttacksWordingIsParsedWhateverTheMtaAndFraming) {
  DaemonHarness daemon(pg());
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  std::vector<std::string> args = {
      SLUICE_ATTACK, daemon.socket_path(), "-n", "3000",          "--mta", "mix",   "--format",
      "rfc5424",     "--senders",          "2",  "--normal-rate", "2000",  "--ips", "500"};
  ProcessResult attack = RunProcess(args, std::chrono::seconds(60));
  ASSERT_EQ(attack.exit_code, 0) << attack.output;
  size_t at = attack.output.find("\"normal_sent\": ");
  ASSERT_NE(at, std::string::npos) << attack.output;
  long long normal = std::atoll(attack.output.c_str() + at + 15);
  EXPECT_TRUE(WaitUntil([&] { return Accounted() == 3000; }, std::chrono::seconds(30)))
      << Accounting();
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), 3000) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "ignored"), normal) << stopped.output;
  EXPECT_EQ(Number("SELECT count(*) FROM sluice.events WHERE is_reject AND reason_class IS NOT "
                   "NULL AND host = 'mx1' AND logged_at IS NOT NULL"),
            3000);
  EXPECT_EQ(pg().Query("SELECT string_agg(mta || '=' || (n > 900)::text, ',' ORDER BY mta) FROM "
                       "(SELECT mta, count(*) AS n FROM sluice.events GROUP BY mta) m"),
            "exim=true,postfix=true,sendmail=true");
  EXPECT_GE(Number("SELECT count(DISTINCT reason_class) FROM sluice.events"), 6);
}

// wal mode: a kill -9 after the windows reached the spool loses no aggregated event, and none
// is counted twice when the spool is replayed.
TEST_F(FloodTest, KilledWhileAggregatingDuringAnOutageLosesNothingOnceSpooled) {
  DaemonHarness first(
      pg(), {{"flood.mode", "\"always\""}, {"flood.window_ms", "500"}, {"spool.sync_ms", "50"}});
  ASSERT_TRUE(first.Start()) << first.Output();
  ASSERT_TRUE(pg().Stop());
  long long sent = Flood(first, {"-n", "100000", "--ips", "5000", "--zipf", "1"});
  ASSERT_EQ(sent, 100000);
  // Every window closed (500 ms), its summary batch appended and synced (50 ms).
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::string counters = first.LiveCounters();
        return SummaryValue(counters, "spool_events") == sent &&
               SummaryValue(counters, "syncs") > 0;
      },
      std::chrono::seconds(30)))
      << first.LiveCounters();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // past one more sync
  first.Kill();
  ASSERT_TRUE(pg().Start());
  ASSERT_TRUE(first.Start()) << first.Output();  // the same config, so the same spool
  EXPECT_TRUE(WaitUntil([&] { return Accounted() == sent; }, std::chrono::seconds(60)))
      << Accounting();
  ProcessResult stopped = first.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(Accounted(), sent) << Accounting();
  EXPECT_GT(SummaryValue(stopped.output, "recovered"), 0) << stopped.output;
}

}  // namespace
}  // namespace sluice
