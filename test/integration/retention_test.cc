// Retention (database.retention_days): whole day partitions of sluice.events older than the
// limit are dropped, never row by row, and aggregates, shed counts and dead letters as old
// are deleted; by `sluice prune` once, and by sluiced's upkeep writer when it connects and
// hourly after. Both run as the least-privileged writer role.
#include <string>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::RunProcess;
using testing::WaitUntil;

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query(
        "TRUNCATE sluice.events, sluice.aggregates, sluice.shed, sluice.dead_letters, "
        "sluice.batches");
    // A day long past, with its partition (made by the schema's owner, as ensure_partitions
    // makes them) and a row of each kind; and the same for today.
    pg().Query(
        "DROP TABLE IF EXISTS sluice.events_20250101; SET ROLE sluice_owner; "
        "CREATE TABLE sluice.events_20250101 PARTITION OF sluice.events FOR VALUES FROM "
        "('2025-01-01 00:00:00+00') TO ('2025-01-02 00:00:00+00'); RESET ROLE");
    for (const char* at : {"'2025-01-01 12:00:00+00'", "now()"}) {
      const std::string t = at;
      pg().Query("INSERT INTO sluice.events (received_at, raw, batch_id) VALUES (" + t +
                 ", 'x', 1)");
      pg().Query(
          "INSERT INTO sluice.aggregates (window_start, window_end, granularity, events, "
          "first_seen, last_seen, batch_id) VALUES (" +
          t + ", " + t + ", 'key', 7, " + t + ", " + t + ", 2)");
      pg().Query(
          "INSERT INTO sluice.shed (window_start, window_end, cause, events, batch_id) "
          "VALUES (" +
          t + ", " + t + ", 'queue_full', 3, 3)");
      pg().Query(
          "INSERT INTO sluice.dead_letters (instance_id, batch_id, row_in_batch, "
          "failed_at, error, copy_tuple) VALUES ('t', 4, " +
          std::string(t == "now()" ? "1" : "0") + ", " + t + ", 'e', '\\x00')");
    }
  }
  static bool OldPartitionExists() {
    return pg().Query("SELECT count(*) FROM pg_class WHERE relname = 'events_20250101'") == "1";
  }
  static std::string Kept() {
    return pg().Query(
        "SELECT (SELECT count(*) FROM sluice.events) || ' ' || (SELECT count(*) FROM "
        "sluice.aggregates) || ' ' || (SELECT count(*) FROM sluice.shed) || ' ' || (SELECT "
        "count(*) FROM sluice.dead_letters) || ' | ' || (SELECT detail_events || ' ' || "
        "aggregated_events || ' ' || shed_events FROM sluice.accounting)");
  }
};

TEST_F(RetentionTest, PruneDropsOldDayPartitionsAndOldSummaryRowsOnly) {
  DaemonHarness config(pg());  // its config: the writer role's conninfo
  ASSERT_TRUE(OldPartitionExists());
  ASSERT_EQ(Kept(), "2 2 2 2 | 2 14 6");
  auto pruned = RunProcess({SLUICE_CLI, "prune", "--config", config.config_path(), "--days", "30"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.output;
  EXPECT_NE(pruned.output.find(": 1 day partitions of sluice.events dropped; 0 rows of "
                               "events_default, 1 aggregate rows, 1 shed rows, 1 dead letters "
                               "deleted"),
            std::string::npos)
      << pruned.output;
  EXPECT_FALSE(OldPartitionExists()) << "dropped as a whole";
  EXPECT_EQ(Kept(), "1 1 1 1 | 1 7 3") << "today's rows stay, and the accounting with them";

  auto again = RunProcess({SLUICE_CLI, "prune", "--config", config.config_path(), "--days", "30"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output, "nothing older than 30 days\n");
}

TEST_F(RetentionTest, PruneWithoutALimitSaysHowToGiveOne) {
  DaemonHarness config(pg());
  auto refused = RunProcess({SLUICE_CLI, "prune", "--config", config.config_path()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.output,
            "sluice prune: no limit: set database.retention_days or pass --days N\n");
  EXPECT_TRUE(OldPartitionExists());
}

TEST_F(RetentionTest, SluicedDropsOldDataOnceItsUpkeepWriterConnects) {
  DaemonHarness daemon(pg(), {{"database.retention_days", "400"}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_TRUE(WaitUntil([] { return !OldPartitionExists(); }, std::chrono::seconds(20)))
      << daemon.Output();
  EXPECT_EQ(Kept(), "1 1 1 1 | 1 7 3");
  auto stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_NE(stopped.output.find("retention (database.retention_days 400): before "),
            std::string::npos)
      << stopped.output;
}

}  // namespace
}  // namespace sluice
