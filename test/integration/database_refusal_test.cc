// The database says no for a while, for reasons that have nothing to do with the rows: it is
// read-only (what a standby is right after a failover), sluiced's role lost a grant, a column
// was dropped, or a backend hangs (stopped with SIGSTOP). Every event must land once when it
// says yes again, and nothing may be shed or set aside meanwhile. sluiced runs as an
// unprivileged role that owns its schema, as an operator would run it.
#include <signal.h>

#include <chrono>
#include <functional>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sink/pg_connection.h"
#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::ProcessResult;
using testing::SummaryValue;
using testing::WaitUntil;

constexpr char kRole[] = "sluiced_unprivileged";
constexpr char kDatabase[] = "refusals";

class DatabaseRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Query(std::string("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '") +
               kRole + "') THEN CREATE ROLE " + kRole + " LOGIN; END IF; END $$");
    pg().Query(std::string("DROP DATABASE IF EXISTS ") + kDatabase + " WITH (FORCE)");
    pg().Query(std::string("CREATE DATABASE ") + kDatabase + " OWNER " + kRole);
  }
  static testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }
  // The sandbox's conninfo for `user` on the test's database.
  static std::string Conninfo(const std::string& user) {
    std::string conninfo = pg().conninfo();
    conninfo = std::regex_replace(conninfo, std::regex("user=\\S+"), "user=" + user);
    return std::regex_replace(conninfo, std::regex("dbname=\\S+"),
                              std::string("dbname=") + kDatabase);
  }
  // Runs `sql` on the test's database as the superuser; the first value, or "".
  static std::string Admin(const std::string& sql) {
    auto conn = sink::PgConnection::Connect(Conninfo("sluice"), "sluice-test-admin");
    EXPECT_TRUE(conn) << conn.error().message();
    if (!conn) return "";
    auto value = (*conn)->ExecScalar(sql);
    EXPECT_TRUE(value) << sql << ": " << value.error().message();
    return value ? *value : "";
  }
  static long long Count(const std::string& table) {
    return std::stoll(Admin("SELECT count(*) FROM sluice." + table));
  }

  // The pids of sluiced's backends.
  static std::vector<pid_t> Backends() {
    std::vector<pid_t> pids;
    auto conn = sink::PgConnection::Connect(Conninfo("sluice"), "sluice-test-admin");
    EXPECT_TRUE(conn);
    if (!conn) return pids;
    auto column = (*conn)->ExecColumn(
        std::string("SELECT pid FROM pg_stat_activity WHERE usename = '") + kRole + "'");
    EXPECT_TRUE(column);
    if (!column) return pids;
    for (const std::string& pid : *column) pids.push_back(static_cast<pid_t>(std::stol(pid)));
    return pids;
  }

  // A daemon as the unprivileged role, its schema migrated by that role (`sluice migrate`).
  std::unique_ptr<DaemonHarness> StartDaemon(std::map<std::string, std::string> overrides = {}) {
    // (Appended, not `"\"" + ...`: gcc 12 -O3 warns wrongly, -Wrestrict, on that.)
    overrides.emplace("database.conninfo", std::string("\"").append(Conninfo(kRole)).append("\""));
    overrides.emplace("database.backoff_max_ms", "300");
    overrides.emplace("database.batch_rows", "500");
    auto daemon = std::make_unique<DaemonHarness>(pg(), std::move(overrides));
    ProcessResult migrated =
        testing::RunProcess({SLUICE_CLI, "migrate", "--config", daemon->config_path()});
    EXPECT_EQ(migrated.exit_code, 0) << migrated.output;
    EXPECT_TRUE(daemon->Start()) << daemon->Output();
    return daemon;
  }

  // Streams rejects for 12 s (2,000/s); 3 s in, `refuse()`, 5 s later `allow()`. Returns how
  // many were sent.
  long long StreamThrough(const DaemonHarness& daemon, const std::function<void()>& refuse,
                          const std::function<void()>& allow) {
    testing::BackgroundProcess attack({SLUICE_ATTACK, daemon.socket_path(), "--rate", "2000",
                                       "--seconds", "12", "--count", "1000000"},
                                      daemon.dir().File("attack.json"));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    refuse();
    std::this_thread::sleep_for(std::chrono::seconds(5));
    allow();
    ProcessResult sent = attack.Wait(std::chrono::seconds(60));
    EXPECT_EQ(sent.exit_code, 0) << sent.output;
    std::smatch match;
    EXPECT_TRUE(std::regex_search(sent.output, match, std::regex("\"sent\": (\\d+)")))
        << sent.output;
    return match.empty() ? -1 : std::stoll(match[1]);
  }

  // Every event landed once; nothing shed or set aside; the refusal was reported.
  void ExpectEveryEventOnce(DaemonHarness& daemon, long long sent, const std::string& hint) {
    EXPECT_TRUE(WaitUntil([&] { return Count("events") == sent; }, std::chrono::seconds(60)));
    ProcessResult stopped = daemon.Stop();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
    EXPECT_EQ(Count("events"), sent);
    EXPECT_EQ(Admin("SELECT count(DISTINCT raw) FROM sluice.events"), std::to_string(sent));
    EXPECT_EQ(Count("shed"), 0);
    EXPECT_EQ(Count("dead_letters"), 0);
    EXPECT_EQ(SummaryValue(stopped.output, "received"), sent) << stopped.output;
    EXPECT_EQ(SummaryValue(stopped.output, "stored"), sent);
    EXPECT_EQ(SummaryValue(stopped.output, "shed"), 0);
    EXPECT_EQ(SummaryValue(stopped.output, "dead_lettered"), 0);
    EXPECT_GT(SummaryValue(stopped.output, "db_refusals"), 0);
    EXPECT_NE(stopped.output.find(hint), std::string::npos) << stopped.output;
    EXPECT_NE(stopped.output.find("writing again"), std::string::npos) << stopped.output;
  }
};

TEST_F(DatabaseRefusalTest, AReadOnlyDatabaseDelaysTheRowsAndLosesNone) {
  auto daemon = StartDaemon();
  long long sent = StreamThrough(
      *daemon,
      // From another database: a session of a read-only database could not undo it.
      [] {
        pg().Query(std::string("ALTER DATABASE ") + kDatabase +
                   " SET default_transaction_read_only = on");
        pg().Query(std::string("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE usename = '") +
                   kRole + "'");
      },
      [] {
        pg().Query(std::string("ALTER DATABASE ") + kDatabase +
                   " RESET default_transaction_read_only");
      });
  ExpectEveryEventOnce(*daemon, sent, "the database is read-only");
  EXPECT_GT(SummaryValue(daemon->Output(), "sqlstate_25"), 0) << daemon->Output();
}

TEST_F(DatabaseRefusalTest, ARevokedGrantDelaysTheRowsAndLosesNone) {
  auto daemon = StartDaemon();
  long long sent = StreamThrough(
      *daemon, [] { Admin(std::string("REVOKE INSERT ON sluice.events FROM ") + kRole); },
      [] { Admin(std::string("GRANT INSERT ON sluice.events TO ") + kRole); });
  ExpectEveryEventOnce(*daemon, sent, "lacks a privilege");
  EXPECT_GT(SummaryValue(daemon->Output(), "sqlstate_42"), 0) << daemon->Output();
}

TEST_F(DatabaseRefusalTest, ADroppedColumnIsReportedAtConnectAndNothingIsSetAside) {
  auto daemon = StartDaemon();
  // CASCADE: the view sluice.rejects reads the column (it goes with it, as it would by hand).
  Admin("ALTER TABLE sluice.events DROP COLUMN rbl CASCADE");
  Admin(std::string("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                    "usename = '") +
        kRole + "'");
  ASSERT_EQ(testing::RunProcess({SLUICE_ATTACK, daemon->socket_path(), "-n", "300"}).exit_code, 0);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return daemon->Output().find("schema drift: sluice.events.rbl missing") !=
               std::string::npos;
      },
      std::chrono::seconds(30)))
      << daemon->Output();
  EXPECT_EQ(Count("events"), 0);
  EXPECT_EQ(Count("dead_letters"), 0);
  Admin("ALTER TABLE sluice.events ADD COLUMN rbl text");  // what `sluice migrate` would restore
  // The column comes back at the end: the writers name their columns, so order does not matter.
  EXPECT_TRUE(WaitUntil([&] { return Count("events") == 300; }, std::chrono::seconds(30)));
  ProcessResult stopped = daemon->Stop();
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), 300) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "shed"), 0);
}

// A row refused for its content (a data error) goes to sluice.dead_letters; when that insert
// is itself refused for another reason (no grant), the batch waits instead of being shed, and
// lands, with its dead letter, once the grant is back.
TEST_F(DatabaseRefusalTest, ADeadLetterRefusedForAnotherReasonMakesTheBatchWait) {
  auto daemon = StartDaemon({{"database.batch_ms", "1000"}});
  Admin("ALTER TABLE sluice.events ADD CONSTRAINT no_evil CHECK (raw NOT LIKE '%evil%')");
  Admin(std::string("REVOKE INSERT ON sluice.dead_letters FROM ") + kRole);
  auto line = [](int i, const std::string& word) {
    return "<22>Nov 28 10:07:37 postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[198.18.0." +
           std::to_string(i) + "]: 554 5.7.1 Service unavailable; " + word +
           "; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<x>";
  };
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(testing::SendDatagram(daemon->socket_path(), line(i, i == 10 ? "evil" : "plain")));
  }
  std::this_thread::sleep_for(std::chrono::seconds(4));  // a few attempts, each refused
  EXPECT_EQ(Count("events"), 0);
  EXPECT_EQ(Count("dead_letters"), 0);
  EXPECT_EQ(SummaryValue(daemon->LiveCounters(), "shed"), 0);
  Admin(std::string("GRANT INSERT ON sluice.dead_letters TO ") + kRole);
  EXPECT_TRUE(WaitUntil([&] { return Count("events") == 19; }, std::chrono::seconds(30)));
  ProcessResult stopped = daemon->Stop();
  EXPECT_EQ(Count("dead_letters"), 1);
  EXPECT_EQ(SummaryValue(stopped.output, "dead_lettered"), 1) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "shed"), 0);
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), 19);
}

// A backend that stops answering mid-stream (SIGSTOP: what a server stuck on its disk looks
// like from outside): its writer gives up after the statement timeout, reconnects and goes on;
// the batch the stopped transaction holds lands once the backend is gone.
TEST_F(DatabaseRefusalTest, AHungBackendIsGivenUpOnAndNothingIsLost) {
  auto daemon = StartDaemon({{"database.statement_timeout_ms", "2000"}});
  std::vector<pid_t> stopped;
  long long during = 0;
  long long sent = StreamThrough(
      *daemon,
      [&] {
        std::vector<pid_t> backends;  // (none for a moment while the writers reconnect)
        ASSERT_TRUE(
            WaitUntil([&] { return !(backends = Backends()).empty(); }, std::chrono::seconds(10)));
        stopped.push_back(backends.front());
        ASSERT_EQ(::kill(stopped.front(), SIGSTOP), 0);
        during = Count("events");
      },
      [&] {
        EXPECT_GT(Count("events"), during);  // the writers went on meanwhile
        EXPECT_NE(daemon->Output().find("no answer from PostgreSQL within the statement timeout"),
                  std::string::npos)
            << daemon->Output();
        for (pid_t pid : stopped) ::kill(pid, SIGCONT);
      });
  EXPECT_TRUE(WaitUntil([&] { return Count("events") == sent; }, std::chrono::seconds(60)));
  ProcessResult result = daemon->Stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(Admin("SELECT count(DISTINCT raw) FROM sluice.events"), std::to_string(sent));
  EXPECT_EQ(SummaryValue(result.output, "stored"), sent) << result.output;
  EXPECT_EQ(SummaryValue(result.output, "shed"), 0);
}

// SIGTERM while every backend hangs: sluiced keeps its shutdown deadline instead of waiting for
// a server that will not answer (the statement timeout is a minute here), keeps what it could
// not write in its spool, and the next start writes it.
TEST_F(DatabaseRefusalTest, ShutdownKeepsItsDeadlineWhileTheServerHangs) {
  auto daemon = StartDaemon(
      {{"database.statement_timeout_ms", "60000"}, {"database.shutdown_timeout_ms", "2000"}});
  ASSERT_EQ(testing::RunProcess({SLUICE_ATTACK, daemon->socket_path(), "-n", "500"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil([&] { return Count("events") == 500; }, std::chrono::seconds(30)));
  std::vector<pid_t> backends = Backends();
  ASSERT_FALSE(backends.empty());
  for (pid_t pid : backends) ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  ASSERT_EQ(testing::RunProcess({SLUICE_ATTACK, daemon->socket_path(), "-n", "1000"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // a writer is stuck in its COPY now
  auto before = std::chrono::steady_clock::now();
  ProcessResult result = daemon->Stop(std::chrono::seconds(50));
  auto took = std::chrono::steady_clock::now() - before;
  for (pid_t pid : backends) ::kill(pid, SIGCONT);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_LT(took, std::chrono::seconds(12)) << result.output;  // 2 s deadline, not 60 s
  EXPECT_EQ(SummaryValue(result.output, "shed"), 0) << result.output;
  ASSERT_TRUE(daemon->Start()) << daemon->Output();  // the spool still holds the rest
  EXPECT_TRUE(WaitUntil([&] { return Count("events") == 1500; }, std::chrono::seconds(60)))
      << Count("events");
  ProcessResult again = daemon->Stop();
  EXPECT_EQ(Admin("SELECT count(DISTINCT raw) FROM sluice.events"), "1500");
}

}  // namespace
}  // namespace sluice
