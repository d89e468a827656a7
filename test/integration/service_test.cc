// sluiced as a service manager and a monitoring system see it: sd_notify messages on a
// NOTIFY_SOCKET the test binds (as systemd would), a real scrape of /metrics checked by
// promtool, /healthz, SIGHUP, and journal-style log lines when JOURNAL_STREAM names stderr.
#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::RunProcess;
using testing::SummaryValue;
using testing::WaitUntil;

constexpr char kReject[] =
    "<22>Dec  2 10:00:00 mx1 postfix/smtpd[4242]: NOQUEUE: reject: RCPT from "
    "unknown[192.0.2.7]: 554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked "
    "using zen.spamhaus.org; from=<a@example.net> to=<b@example.org> proto=ESMTP "
    "helo=<x.example.net>";

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

// The messages sluiced sends to the notify socket, one string per datagram.
std::vector<std::string> ReadNotifications(int fd, const std::string& until) {
  std::vector<std::string> messages;
  char buffer[4096];
  while (true) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;  // the socket's 10 s timeout
    messages.emplace_back(buffer, static_cast<size_t>(n));
    if (messages.back().find(until) != std::string::npos) break;
  }
  return messages;
}

bool AnyContains(const std::vector<std::string>& messages, const std::string& text) {
  for (const std::string& message : messages) {
    if (message.find(text) != std::string::npos) return true;
  }
  return false;
}

// GET `path` from 127.0.0.1:`port`: {status, body}; status -1 when nothing answers.
std::pair<int, std::string> Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  auto result = client.Get(path);
  if (!result) return {-1, ""};
  return {result->status, result->body};
}

// The value of the sample line `sample` ("name" or "name{labels}") on a metrics page, or -1.
double Sample(const std::string& page, const std::string& sample) {
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  }
  return -1;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("JOURNAL_STREAM");
  }
};

TEST_F(ServiceTest, NotifiesReadyOnceServingThenStatusWatchdogAndStopping) {
  // Connections kept open, so every writer has one by the first status (else only the upkeep
  // writer connects until batches wait).
  DaemonHarness daemon(pg(), {{"database.idle_disconnect_ms", "0"}});
  const std::string notify_path = daemon.dir().File("notify");
  UniqueFd notify = testing::BindDatagramSocket(notify_path);
  ASSERT_TRUE(notify.valid());
  ::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);  // a ping every 200 ms
  ASSERT_TRUE(daemon.Start()) << daemon.Output();

  auto ready = ReadNotifications(notify.get(), "READY=1");
  ASSERT_TRUE(AnyContains(ready, "READY=1")) << daemon.Output();
  // READY comes after recovery and once the socket is served: a sender succeeds at once.
  EXPECT_TRUE(std::filesystem::exists(daemon.socket_path()));
  EXPECT_TRUE(testing::SendDatagram(daemon.socket_path(), kReject));
  EXPECT_TRUE(AnyContains(ready, "STATUS=receiving ")) << ready.back();

  auto later = ReadNotifications(notify.get(), "connections");  // the 5-second STATUS=
  EXPECT_TRUE(AnyContains(later, "WATCHDOG=1"));
  ASSERT_TRUE(AnyContains(later, "STATUS=receiving ")) << daemon.Output();
  EXPECT_TRUE(AnyContains(later, "2/2 connections"));

  auto stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  auto last = ReadNotifications(notify.get(), "STOPPING=1");
  EXPECT_TRUE(AnyContains(last, "STOPPING=1"));
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), 1);
}

TEST_F(ServiceTest, ScrapePassesPromtoolAndCountsWhatLanded) {
  pg().Query("TRUNCATE sluice.events, sluice.batches");
  int port = testing::FreeTcpPort();
  ASSERT_NE(port, 0);
  DaemonHarness daemon(pg(), {{"metrics.listen", "\"127.0.0.1:" + std::to_string(port) + "\""},
                              {"database.idle_disconnect_ms", "0"}});  // both writers connected
  // And a followed Exim mainlog, so that its families are on the page too.
  const std::string mainlog = daemon.dir().File("mainlog");
  {
    std::ofstream out(mainlog);
    for (int i = 0; i < 20; ++i) {
      out << "2026-12-02 10:00:00 H=(helo.example) [192.0.2.7] F=<a@example.net> rejected RCPT "
             "<b@example.org>: relay not permitted\n";
    }
  }
  daemon.AppendConfig("[[follow]]\npath = \"" + mainlog + "\"\n");
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(testing::SendDatagram(daemon.socket_path(), kReject));
  ASSERT_TRUE(WaitUntil([&] { return pg().Query("SELECT count(*) FROM sluice.events") == "120"; },
                        std::chrono::seconds(30)));
  std::string page;
  ASSERT_TRUE(WaitUntil(
      [&] {
        page = Get(port, "/metrics").second;
        return Sample(page, "sluice_events_stored_total") == 120;
      },
      std::chrono::seconds(10)))
      << page;
  EXPECT_EQ(Sample(page, "sluice_datagrams_received_total"), 100);
  EXPECT_EQ(Sample(page, "sluice_follow_lines_total"), 20);
  EXPECT_EQ(Sample(page, "sluice_follow_errors_total"), 0);
  EXPECT_EQ(Sample(page, "sluice_follower_alive"), 1);
  EXPECT_EQ(Sample(page, "sluice_events_shed_total{cause=\"queue_full\"}"), 0);
  EXPECT_EQ(Sample(page, "sluice_database_connections"), 2);
  EXPECT_EQ(Sample(page, "sluice_writers_alive"), 2);
  EXPECT_GE(Sample(page, "sluice_batch_commit_seconds_count"), 1);
  EXPECT_EQ(Sample(page, "sluice_batch_commit_seconds_bucket{le=\"+Inf\"}"),
            Sample(page, "sluice_batch_commit_seconds_count"));
  EXPECT_GE(Sample(page, "sluice_event_age_at_commit_seconds_count"), 1);

  const std::string scrape = daemon.dir().File("scrape.txt");
  std::ofstream(scrape) << page;
  auto promtool = RunProcess({"promtool", "check", "metrics"}, std::chrono::seconds(60), scrape);
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output;
  EXPECT_EQ(promtool.output, "") << "promtool's lint findings";

  auto health = Get(port, "/healthz");
  EXPECT_EQ(health.first, 200) << health.second;
  EXPECT_EQ(health.second, "ok\n");
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

TEST_F(ServiceTest, AMetricsAddressInUseStopsTheStartBeforeAnythingIsReceived) {
  httplib::Server other;  // another program on the port
  int port = other.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  DaemonHarness daemon(pg(), {{"metrics.listen", "\"127.0.0.1:" + std::to_string(port) + "\""}});
  auto refused = RunProcess({SLUICE_SLUICED, "--config", daemon.config_path()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(
      refused.output.find("metrics.listen: cannot listen on 127.0.0.1:" + std::to_string(port)),
      std::string::npos)
      << refused.output;
  EXPECT_FALSE(std::filesystem::exists(daemon.socket_path()));
}

TEST_F(ServiceTest, HealthzSays503WhileShedding) {
  int port = testing::FreeTcpPort();
  ASSERT_NE(port, 0);
  // No database and a spool with room for almost nothing: batches are shed, counted.
  DaemonHarness daemon(pg(), {{"metrics.listen", "\"127.0.0.1:" + std::to_string(port) + "\""},
                              {"database.conninfo", "\"host=/nonexistent connect_timeout=1\""},
                              {"spool.memory_mb", "1"},
                              {"spool.disk_mb", "1"},
                              {"spool.segment_mb", "1"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  EXPECT_EQ(Get(port, "/healthz").first, 200);
  std::pair<int, std::string> health;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (int i = 0; i < 2000; ++i) testing::SendDatagram(daemon.socket_path(), kReject);
        health = Get(port, "/healthz");
        // On a slow machine the database's absence may be reported first (after 30 s).
        return health.first == 503 && health.second.find("shedding events") != std::string::npos;
      },
      std::chrono::seconds(90)))
      << daemon.Output();
  EXPECT_NE(health.second.find("shedding events"), std::string::npos) << health.second;
  std::string page = Get(port, "/metrics").second;
  EXPECT_EQ(Sample(page, "sluice_healthy"), 0);
  EXPECT_EQ(Sample(page, "sluice_health_problems_total{kind=\"shedding\"}"), 1);
  EXPECT_EQ(Sample(page, "sluice_health_problems_total{kind=\"writers\"}"), 0);
  auto stopped = daemon.Stop();
  EXPECT_NE(stopped.output.find("unhealthy: shedding events"), std::string::npos);
  EXPECT_GT(SummaryValue(stopped.output, "spool_full"), 0);
}

TEST_F(ServiceTest, SighupAppliesWhatItCanAndNamesWhatNeedsARestart) {
  int first = testing::FreeTcpPort();
  int second = first + 1;
  ASSERT_NE(first, 0);
  DaemonHarness daemon(pg(), {{"metrics.listen", "\"127.0.0.1:" + std::to_string(first) + "\""}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_EQ(Get(first, "/healthz").first, 200);

  std::stringstream read;
  read << std::ifstream(daemon.config_path()).rdbuf();
  std::string text = read.str();
  text = std::regex_replace(text, std::regex(":" + std::to_string(first)),
                            ":" + std::to_string(second));
  text += "[log]\nlevel = \"debug\"\n";
  text = std::regex_replace(text, std::regex("batch_ms = 50"), "batch_ms = 60");
  std::ofstream(daemon.config_path()) << text;
  ::kill(daemon.pid(), SIGHUP);
  ASSERT_TRUE(
      WaitUntil([&] { return daemon.Output().find("SIGHUP: reloaded") != std::string::npos; },
                std::chrono::seconds(10)));
  std::string output = daemon.Output();
  EXPECT_NE(output.find("applied log.level, metrics.listen"), std::string::npos) << output;
  EXPECT_NE(output.find("needing a restart (running with the old values): database.batch_ms"),
            std::string::npos)
      << output;
  EXPECT_TRUE(
      WaitUntil([&] { return Get(second, "/healthz").first == 200; }, std::chrono::seconds(5)));
  EXPECT_EQ(Get(first, "/healthz").first, -1);

  // A file that no longer loads changes nothing.
  std::ofstream(daemon.config_path()) << "[database]\nwriters = \"many\"\n";
  ::kill(daemon.pid(), SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return daemon.Output().find("the running config stays") != std::string::npos; },
      std::chrono::seconds(10)));
  EXPECT_EQ(Get(second, "/healthz").first, 200);
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

TEST_F(ServiceTest, JournalStreamGetsPriorityPrefixesAndNoTimestamps) {
  DaemonHarness daemon(pg(), {{"database.conninfo", "\"host=/nonexistent connect_timeout=1\""}});
  // The harness's log file is sluiced's stderr: make JOURNAL_STREAM name it, as systemd does
  // for a service whose output goes to the journal.
  const std::string log = daemon.dir().File("out.log");
  std::ofstream(log).close();
  struct stat st {};
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  auto stopped = daemon.Stop();
  EXPECT_NE(stopped.output.find("<6>listening on "), std::string::npos) << stopped.output;
  EXPECT_NE(stopped.output.find("<4>cannot connect to PostgreSQL"), std::string::npos)
      << stopped.output;
  std::istringstream lines(stopped.output);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(std::regex_match(line, std::regex("<[3467]>.*"))) << line;
  }
}

TEST_F(ServiceTest, StatsShowsTheRunningDaemonsCountersAndState) {
  int port = testing::FreeTcpPort();
  ASSERT_NE(port, 0);
  DaemonHarness daemon(pg(), {{"metrics.listen", "\"127.0.0.1:" + std::to_string(port) + "\""}});
  auto off = RunProcess({SLUICE_CLI, "stats", "--config", DaemonHarness(pg()).config_path()});
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_NE(off.output.find("metrics.listen is off"), std::string::npos) << off.output;
  auto down = RunProcess({SLUICE_CLI, "stats", "--config", daemon.config_path()});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.output.find("is sluiced running?"), std::string::npos) << down.output;

  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(testing::SendDatagram(daemon.socket_path(), kReject));
  ASSERT_TRUE(WaitUntil(
      [&] { return Sample(Get(port, "/metrics").second, "sluice_events_stored_total") == 50; },
      std::chrono::seconds(30)));
  auto stats =
      RunProcess({SLUICE_CLI, "stats", "--config", daemon.config_path(), "--interval", "0.2"});
  ASSERT_EQ(stats.exit_code, 0) << stats.output;
  EXPECT_NE(stats.output.find("health: ok"), std::string::npos) << stats.output;
  EXPECT_TRUE(std::regex_search(stats.output, std::regex("datagrams received +50 +0\n")))
      << stats.output;
  EXPECT_TRUE(std::regex_search(stats.output, std::regex("events stored as detail rows +50 ")))
      << stats.output;
  // The second writer connects only when batches wait for it (database.idle_disconnect_ms).
  EXPECT_TRUE(std::regex_search(stats.output, std::regex("[12] of 2 writers connected, 2 alive")))
      << stats.output;
  auto watch = RunProcess({SLUICE_CLI, "stats", "--config", daemon.config_path(), "--watch",
                           "--interval", "0.2", "--count", "3"});
  EXPECT_EQ(watch.exit_code, 0) << watch.output;
  size_t pages = 0;
  for (size_t at = watch.output.find("sluiced at"); at != std::string::npos;
       at = watch.output.find("sluiced at", at + 1)) {
    ++pages;
  }
  EXPECT_EQ(pages, 3u) << watch.output;
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

TEST_F(ServiceTest, CheckPassesForTheWriterRoleAndSaysWhatIsWrongOtherwise) {
  DaemonHarness daemon(pg());
  auto good = RunProcess({SLUICE_CLI, "check", "--config", daemon.config_path()});
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("ok    database: the role has every privilege sluiced needs"),
            std::string::npos)
      << good.output;
  EXPECT_EQ(good.output.find("FAIL"), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("connections for ordinary roles in use now; this sluiced takes up "
                             "to 2 (database.writers"),
            std::string::npos)
      << good.output;

  // A role nobody granted anything, a socket directory that does not exist, a bad group.
  pg().Query(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nobody_in_particular') "
      "THEN CREATE ROLE nobody_in_particular LOGIN; END IF; END $$");
  std::string conninfo = pg().writer_conninfo();
  conninfo.replace(conninfo.find("user=sluiced"), 12, "user=nobody_in_particular");
  DaemonHarness wrong(pg(), {{"database.conninfo", "\"" + conninfo + "\""},
                             {"ingest.socket", "\"/nonexistent/dir/in.sock\""},
                             {"ingest.socket_group", "\"no-such-group-here\""}});
  auto bad = RunProcess({SLUICE_CLI, "check", "--config", wrong.config_path()});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("FAIL  ingest.socket: directory /nonexistent/dir does not exist"),
            std::string::npos)
      << bad.output;
  EXPECT_NE(bad.output.find("FAIL  ingest.socket_group: no group named no-such-group-here"),
            std::string::npos);
  EXPECT_NE(bad.output.find("FAIL  database: the role lacks USAGE on schema sluice, INSERT on "
                            "sluice.events"),
            std::string::npos)
      << bad.output;

  // As the superuser: works, with a warning.
  std::string superuser = pg().conninfo();
  superuser.insert(superuser.begin(), '"');
  superuser.push_back('"');
  DaemonHarness super(pg(), {{"database.conninfo", superuser}});
  auto warned = RunProcess({SLUICE_CLI, "check", "--config", super.config_path()});
  EXPECT_EQ(warned.exit_code, 0) << warned.output;
  EXPECT_NE(warned.output.find("warn  database: the role is a superuser"), std::string::npos);

  auto broken = RunProcess({SLUICE_CLI, "check", "--config", daemon.dir().File("missing.toml")});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.output.find("FAIL  config: "), std::string::npos) << broken.output;
}

TEST_F(ServiceTest, BothProgramsSayTheirVersion) {
  auto daemon = RunProcess({SLUICE_SLUICED, "--version"});
  EXPECT_EQ(daemon.exit_code, 0);
  EXPECT_TRUE(std::regex_match(daemon.output, std::regex("sluiced [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << daemon.output;
  auto cli = RunProcess({SLUICE_CLI, "--version"});
  EXPECT_EQ(cli.exit_code, 0);
  EXPECT_TRUE(std::regex_match(cli.output, std::regex("sluice [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << cli.output;
}

}  // namespace
}  // namespace sluice
