// The database says no for a while, for reasons that have nothing to do with the rows: it is
// read-only (what a standby is right after a failover), or sluiced's role lost a grant. Every
// event must land once when it says yes again, and nothing may be shed or set aside meanwhile.
// sluiced runs as an unprivileged role that owns its schema, as an operator would run it.
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

  // A daemon as the unprivileged role, its schema migrated by that role (`sluice migrate`).
  std::unique_ptr<DaemonHarness> StartDaemon() {
    auto daemon = std::make_unique<DaemonHarness>(
        pg(),
        std::map<std::string, std::string>{{"database.conninfo", "\"" + Conninfo(kRole) + "\""},
                                           {"database.backoff_max_ms", "300"},
                                           {"database.batch_rows", "500"}});
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
  Admin("ALTER TABLE sluice.events DROP COLUMN rbl");
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

}  // namespace
}  // namespace sluice
